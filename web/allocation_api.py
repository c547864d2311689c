"""The JSON API, version 1: a cleared lot's allocation, as the asking organisation may see it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from marketplace.application import LotNotFoundError, Marketplace
from marketplace.domain import NotFoundError
from marketplace.domain.lot_rules import jst
from marketplace.readmodels import AllocationView
from web.api import acting_organisation
from web.lots_api import lot_detail


class AllocationNotFoundError(NotFoundError):
    """The lot has not been cleared yet."""


class AllocationController(Controller):
    path = "/api/v1/lots/{lot_id:uuid}/allocation"
    tags = ("lots",)

    @get(sync_to_thread=True)
    def get_allocation(self, request: Request[Any, Any, Any],
                       marketplace: NamedDependency[Marketplace],
                       lot_id: FromPath[UUID]) -> AllocationView:
        """The lot's clearing: my needs' outcomes, my bids' awards, and (to the lot's buyers)
        the pool's price and saving and every bid that stood at close, for comparison."""
        me = acting_organisation(request, marketplace)
        lot = lot_detail(marketplace, me, lot_id).lot
        view = marketplace.allocations.of_lot(me, lot_id)
        if view is None:
            if lot.status == "cancelled":
                raise LotNotFoundError("this lot was cancelled; it has no allocation")
            raise AllocationNotFoundError(
                f"this lot is cleared shortly after its close at {jst(lot.closes_at)}; "
                "it has not been cleared yet")
        return view
