"""Time travel for auditors: a lot's timeline, entry by entry, and the lot as it stood at any
ledger position or instant. The ledger decides what is shown (``marketplace.audit``); sealed
bids stay sealed until the lot closes, to auditors too."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from marketplace.accounts import MemberRole
from marketplace.application import Marketplace
from marketplace.audit.record_state import lot_summary
from marketplace.audit.summary_text import OrganisationNames
from marketplace.audit.time_travel import (
    Entry,
    PastState,
    PointInvalidError,
    positions,
    state_at,
    timeline,
)
from web.auth import members, require_member
from web.i18n import gettext, language_of
from web.lots_api import lot_detail
from web.render import page
from web.rfq_pages import parse_deadline

AUDITORS = members(MemberRole.AUDITOR)


class AuditTimePages(Controller):
    """A lot's timeline and its state at a point of the ledger, for the auditor role."""

    path = "/audit/lots"

    @get("/{lot_id:uuid}/timeline", opt=AUDITORS, sync_to_thread=True)
    def lot_timeline(self, request: Request[Any, Any, Any],
                     marketplace: NamedDependency[Marketplace],
                     lot_id: FromPath[UUID]) -> Response[Any]:
        """Every event of the lot in ledger order, each linked to the lot's state there, and
        a form to see the lot at an instant."""
        names = _names(request, marketplace, lot_id)
        entries = timeline(marketplace, lot_id, names)
        now = lot_summary(marketplace, state_at(marketplace, lot_id), names)
        return page(request, "audit/timeline.html", {
            "lot": now, "entries": [_row(request, entry) for entry in entries],
            "zone": require_member(request).time_zone})

    @get("/{lot_id:uuid}/state", opt=AUDITORS, sync_to_thread=True)
    def lot_state(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                  position: FromQuery[str | None] = None,
                  at: FromQuery[str | None] = None) -> Response[Any]:
        """The lot after its last event at or before ``position``, or recorded at or before
        ``at`` (a date and time in the member's time zone); now, without either."""
        names = _names(request, marketplace, lot_id)
        zone = require_member(request).time_zone
        past = state_at(marketplace, lot_id, position=_position(position),
                        at=_instant(at, zone))
        return page(request, "audit/state.html", {
            "lot": lot_summary(marketplace, past, names), "zone": zone,
            **_neighbours(marketplace, lot_id, past)})


def _names(request: Request[Any, Any, Any], marketplace: Marketplace,
           lot_id: UUID) -> OrganisationNames:
    """The organisations' names in the page's language, once the lot is known to be open to
    the auditor's organisation (else 404, as for any lot it may not see)."""
    lot_detail(marketplace, require_member(request).organisation_id, lot_id)
    return OrganisationNames(marketplace, english=language_of(request) == "en")


def _row(request: Request[Any, Any, Any], entry: Entry) -> dict[str, Any]:
    summary = entry.summary
    return {"entry": entry, "summary": gettext(language_of(request), summary.message,
                                               **summary.values)}


def _position(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise PointInvalidError(f"{text!r} is not a ledger position; positions are whole "
                                "numbers from 1") from None


def _instant(text: str | None, zone: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    instant = parse_deadline(text, zone)
    if instant is None:
        raise PointInvalidError(f"{text!r} is not a date and time; pick one, e.g. "
                                "2026-11-20T09:00")
    return instant


def _neighbours(marketplace: Marketplace, lot_id: UUID, past: PastState) -> dict[str, Any]:
    """The positions of the lot's events just before and after the one shown."""
    found = positions(marketplace, lot_id)
    index = found.index(past.position)
    return {"earlier": found[index - 1] if index > 0 else None,
            "later": found[index + 1] if index + 1 < len(found) else None,
            "latest": found[-1]}
