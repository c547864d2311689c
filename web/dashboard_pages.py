"""The members' dashboard: what needs my attention, per role, each item a link to act on it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from marketplace.application import Marketplace
from web.auth import accounts_of, members, require_member
from web.dashboard_attention import SOON, attention
from web.payout_pages import payout_panel
from web.render import page


class DashboardPages(Controller):
    """``GET /dashboard``: the whole page, or (for htmx, every 30 s) only the attention list."""

    path = "/dashboard"

    @get("/", opt=members(), sync_to_thread=True)
    def dashboard(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace]) -> Response[Any]:
        member = require_member(request)
        return page(request, "dashboard/index.html",
                    {"attention": attention(marketplace, accounts_of(request), member),
                     "payouts": payout_panel(marketplace, member),
                     "now": marketplace.clock(), "soon_days": SOON.days},
                    fragment="dashboard/_attention.html")
