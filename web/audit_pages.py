"""The auditor's landing page: where the ledger stands, the lots and their clearings, and the
ways in to the ledger's pages (web/ledger_pages.py), verify, time travel and the CLI."""

from __future__ import annotations

from collections import Counter
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from marketplace.accounts import MemberRole
from marketplace.application import Marketplace
from web.auth import members, require_member
from web.lots_api import viewer_for
from web.render import page

#: The most lots the page reads; past it, the counts say "at least".
LOTS_LIMIT = 1000


class AuditPages(Controller):
    """The auditor's landing page."""

    path = "/audit"

    @get("/", opt=members(MemberRole.AUDITOR), sync_to_thread=True)
    def landing(self, request: Request[Any, Any, Any],
                marketplace: NamedDependency[Marketplace]) -> Response[Any]:
        """The ledger's position, the lots open to the organisation (closed ones with their
        allocation), and the `marketplace` commands an auditor can run today."""
        me = require_member(request).organisation_id
        viewer = viewer_for(marketplace, me)
        lots = marketplace.lots.search(viewer, now=marketplace.clock(), status=None,
                                       limit=LOTS_LIMIT + 1)
        capped = len(lots) > LOTS_LIMIT
        lots = lots[:LOTS_LIMIT]
        closed = sorted((lot for lot in lots if lot.status == "closed"),
                        key=lambda lot: (lot.closes_at, str(lot.id)), reverse=True)
        return page(request, "audit/landing.html", {
            "position": marketplace.position(), "lot_count": len(lots), "capped": capped,
            "by_status": Counter(lot.status for lot in lots), "closed_lots": closed})
