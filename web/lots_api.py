"""The JSON API, version 1: lots, and suppliers' sealed bids on them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from marketplace.application import LotNotFoundError, Marketplace, OrganisationNotFoundError
from marketplace.domain import Prefecture
from marketplace.domain.items import normalise_category
from marketplace.domain.lot_rules import BidNotFoundError
from marketplace.readmodels import Viewer
from marketplace.readmodels.lot_queries import BidView, LotDetail, LotView
from web.api import acting_organisation
from web.idempotency import idempotent
from web.needs_api import Amount


class LotOpening(msgspec.Struct, forbid_unknown_fields=True):
    """A lot for one item spec, open to a cluster and/or prefectures until ``closes_at``."""

    category: str
    specification: str
    unit: str
    closes_at: datetime
    """ISO 8601 with its offset, e.g. 2026-12-01T17:00:00+09:00."""
    currency: str = "JPY"
    cluster: str | None = None
    prefectures: list[str] = msgspec.field(default_factory=list)
    thresholds: list[Amount] = msgspec.field(default_factory=list)
    """Announced volume thresholds, rising, in the lot's unit."""
    max_suppliers: int | None = None
    """The most suppliers the clearing may award; leave out for as many as is cheapest."""


class LotCancellation(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class PriceBreakOffer(msgspec.Struct, forbid_unknown_fields=True):
    """From ``from_quantity`` awarded, every unit costs ``unit_price`` (all-units pricing)."""

    from_quantity: Amount
    unit_price: Amount


class ConsortiumShareOffer(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: UUID
    share: Amount
    """The capacity this member supplies, in the lot's unit."""


class BidOffer(msgspec.Struct, forbid_unknown_fields=True):
    """A sealed bid: alone (with ``capacity``), or leading a consortium (with ``members``,
    the lead's own share included)."""

    tiers: list[PriceBreakOffer]
    minimum_quantity: Amount
    lead_time_days: int
    valid_until: str
    """A date, YYYY-MM-DD, on or after the lot's close."""
    capacity: Amount | None = None
    unit: str | None = None
    currency: str | None = None
    members: list[ConsortiumShareOffer] | None = None
    delivery_costs: dict[str, Amount] | None = None
    """Cost per unit by prefecture (name or ISO code) on top of the tier price; the bid then
    delivers only to the prefectures listed. Leave out when the prices include delivery."""


class LotController(Controller):
    path = "/api/v1/lots"
    tags = ("lots",)

    @post(status_code=HTTP_201_CREATED, sync_to_thread=True)
    def open_lot(self, request: Request[Any, Any, Any],
                 marketplace: NamedDependency[Marketplace],
                 data: JSONBody[LotOpening]) -> Response[LotDetail]:
        """Open a lot (buyers only) that needs are pooled into until it closes."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, LotDetail]:
            lot_id = marketplace.open_lot(me, **msgspec.structs.asdict(data))
            return HTTP_201_CREATED, lot_detail(marketplace, me, lot_id)
        return idempotent(request, marketplace, me, data, produce)

    @get(sync_to_thread=True)
    def search_lots(
        self, request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
        status: FromQuery[Literal["open", "closed", "cancelled"]] = "open",
        category: FromQuery[str | None] = None,
        prefecture: FromQuery[str | None] = None,
        closing_within_hours: Annotated[int | None, QueryParameter(ge=1, le=24 * 366)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[LotView]:
        """Lots I may see, soonest close first; by default those still open."""
        viewer = viewer_for(marketplace, acting_organisation(request, marketplace))
        return marketplace.lots.search(
            viewer, now=marketplace.clock(), status=status,
            category=normalise_category(category) if category else None,
            prefecture=Prefecture.parse(prefecture).code if prefecture else None,
            closing_within=(timedelta(hours=closing_within_hours)
                            if closing_within_hours else None),
            limit=limit, offset=offset)

    @get("/{lot_id:uuid}", sync_to_thread=True)
    def get_lot(self, request: Request[Any, Any, Any],
                marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID]) -> LotDetail:
        """A lot's pooled quantity and progress, with my own commitments and bids in it."""
        return lot_detail(marketplace, acting_organisation(request, marketplace), lot_id)

    @post("/{lot_id:uuid}/cancellation", status_code=HTTP_200_OK, sync_to_thread=True)
    def cancel_lot(self, request: Request[Any, Any, Any],
                   marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                   data: JSONBody[LotCancellation]) -> Response[LotDetail]:
        """Cancel a lot I organise, saying why."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, LotDetail]:
            marketplace.cancel_lot(me, lot_id, data.reason)
            return HTTP_200_OK, lot_detail(marketplace, me, lot_id)
        return idempotent(request, marketplace, me, data, produce)


class BiddingController(Controller):
    path = "/api/v1/lots/{lot_id:uuid}"
    tags = ("bids",)

    @post("/suppliers", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def join_lot(self, request: Request[Any, Any, Any],
                 marketplace: NamedDependency[Marketplace],
                 lot_id: FromPath[UUID]) -> Response[LotDetail]:
        """Join a lot as a supplier (201), or confirm that I had joined (200)."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, LotDetail]:
            joined = marketplace.join_lot(me, lot_id)
            status = HTTP_201_CREATED if joined else HTTP_200_OK
            return status, lot_detail(marketplace, me, lot_id)
        return idempotent(request, marketplace, me, None, produce)

    @post("/bids", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def place_bid(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                  data: JSONBody[BidOffer]) -> Response[BidView]:
        """Place a sealed bid on a lot I joined, alone or leading a consortium."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, BidView]:
            bid_id = marketplace.place_bid(me, lot_id, **_terms(data))
            return HTTP_201_CREATED, _bid(marketplace, me, bid_id)
        return idempotent(request, marketplace, me, data, produce)

    @put("/bids/{bid_id:uuid}", sync_to_thread=True)
    def revise_bid(self, request: Request[Any, Any, Any],
                   marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                   bid_id: FromPath[UUID], data: JSONBody[BidOffer]) -> BidView:
        """Replace my bid's terms (members keep their shares unless given; they re-accept)."""
        me = acting_organisation(request, marketplace)
        marketplace.revise_bid(me, lot_id, bid_id, **_terms(data))
        return _bid(marketplace, me, bid_id)

    @delete("/bids/{bid_id:uuid}", sync_to_thread=True)
    def withdraw_bid(self, request: Request[Any, Any, Any],
                     marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                     bid_id: FromPath[UUID]) -> None:
        """Withdraw a bid I lead, before the lot closes."""
        marketplace.withdraw_bid(acting_organisation(request, marketplace), lot_id, bid_id)

    @post("/bids/{bid_id:uuid}/acceptance", status_code=HTTP_200_OK, sync_to_thread=True)
    def accept_share(self, request: Request[Any, Any, Any],
                     marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                     bid_id: FromPath[UUID]) -> Response[BidView]:
        """Accept my share of a consortium bid that names me."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, BidView]:
            marketplace.accept_consortium_share(me, lot_id, bid_id)
            return HTTP_200_OK, _bid(marketplace, me, bid_id)
        return idempotent(request, marketplace, me, None, produce)

    @post("/bids/{bid_id:uuid}/decline", status_code=HTTP_200_OK, sync_to_thread=True)
    def decline_share(self, request: Request[Any, Any, Any],
                      marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                      bid_id: FromPath[UUID]) -> Response[BidView]:
        """Decline my share of a consortium bid (or take my acceptance back)."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, BidView]:
            marketplace.decline_consortium_share(me, lot_id, bid_id)
            return HTTP_200_OK, _bid(marketplace, me, bid_id)
        return idempotent(request, marketplace, me, None, produce)


class BidController(Controller):
    path = "/api/v1/bids"
    tags = ("bids",)

    @get(sync_to_thread=True)
    def my_bids(self, request: Request[Any, Any, Any],
                marketplace: NamedDependency[Marketplace]) -> list[BidView]:
        """Bids I lead or am named in; nobody else's (bids are sealed)."""
        return marketplace.lots.bids(acting_organisation(request, marketplace))

    @get("/{bid_id:uuid}", sync_to_thread=True)
    def get_bid(self, request: Request[Any, Any, Any],
                marketplace: NamedDependency[Marketplace], bid_id: FromPath[UUID]) -> BidView:
        """A bid I lead or am named in; 404 for anyone else."""
        return _bid(marketplace, acting_organisation(request, marketplace), bid_id)


def _terms(offer: BidOffer) -> dict[str, Any]:
    """The bid's terms as ``place_bid`` and ``revise_bid`` take them."""
    shares = None
    if offer.members is not None:
        shares = {member.organisation_id: member.share for member in offer.members}
        if len(shares) < len(offer.members):
            raise ClientException("name each consortium member once in members")
    return {"tiers": [msgspec.structs.asdict(tier) for tier in offer.tiers],
            "minimum_quantity": offer.minimum_quantity, "lead_time_days": offer.lead_time_days,
            "valid_until": offer.valid_until, "capacity": offer.capacity, "shares": shares,
            "unit": offer.unit, "currency": offer.currency,
            "delivery_costs": offer.delivery_costs}


def viewer_for(marketplace: Marketplace, organisation_id: UUID) -> Viewer:
    """The organisation as the lot queries see it (where it is, its clusters)."""
    viewer = marketplace.lots.viewer(organisation_id)
    if viewer is None:
        raise OrganisationNotFoundError(f"no organisation has id {organisation_id}")
    return viewer


def lot_detail(marketplace: Marketplace, organisation_id: UUID, lot_id: UUID) -> LotDetail:
    detail = marketplace.lots.detail(viewer_for(marketplace, organisation_id), lot_id,
                                     now=marketplace.clock())
    if detail is None:
        raise LotNotFoundError(f"no lot has id {lot_id} (or it is not open to you)")
    return detail


def _bid(marketplace: Marketplace, organisation_id: UUID, bid_id: UUID) -> BidView:
    view = marketplace.lots.bid(organisation_id, bid_id)
    if view is None:
        raise BidNotFoundError(f"you have no bid {bid_id}")
    return view
