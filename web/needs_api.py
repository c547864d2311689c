"""The JSON API, version 1: a buyer's needs, and its commitments of them to lots."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from marketplace.application import Marketplace, NeedNotFoundError
from marketplace.domain.lot_rules import CommitmentNotFoundError
from marketplace.readmodels.lot_queries import CommitmentView, MyCommitments, NeedView
from web.api import acting_organisation
from web.idempotency import idempotent

#: A quantity or a price, as a JSON string ("1000.5") or number (1000.5); the domain reads it
#: exactly (never as a float) and says what is wrong with it.
Amount = str | int | float


class NeedPosting(msgspec.Struct, forbid_unknown_fields=True):
    """A demand line: what (category, specification, unit), how much, by when, where to."""

    category: str
    specification: str
    unit: str
    quantity: Amount
    needed_by: str
    """A date, YYYY-MM-DD."""
    delivery_prefecture: str
    max_unit_price: Amount | None = None


class NeedRevision(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to replace on an unpooled need; absent fields stay, null clears the max price."""

    category: str | msgspec.UnsetType = msgspec.UNSET
    specification: str | msgspec.UnsetType = msgspec.UNSET
    unit: str | msgspec.UnsetType = msgspec.UNSET
    quantity: Amount | msgspec.UnsetType = msgspec.UNSET
    needed_by: str | msgspec.UnsetType = msgspec.UNSET
    delivery_prefecture: str | msgspec.UnsetType = msgspec.UNSET
    max_unit_price: Amount | msgspec.UnsetType | None = msgspec.UNSET


class CommitmentRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Pool one of my needs: all of its quantity unless less is given, at most at a price."""

    need_id: UUID
    quantity: Amount | None = None
    max_unit_price: Amount | None = None


class CommitmentChange(msgspec.Struct, forbid_unknown_fields=True):
    """A new committed quantity and/or max unit price; absent or null ones stay."""

    quantity: Amount | None = None
    max_unit_price: Amount | None = None


class NeedController(Controller):
    path = "/api/v1/needs"
    tags = ("needs",)

    @post(status_code=HTTP_201_CREATED, sync_to_thread=True)
    def post_need(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace],
                  data: JSONBody[NeedPosting]) -> Response[NeedView]:
        """Post a need (buyers only)."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, NeedView]:
            need_id = marketplace.post_need(me, **msgspec.structs.asdict(data))
            return HTTP_201_CREATED, _need(marketplace, me, need_id)
        return idempotent(request, marketplace, me, data, produce)

    @get(sync_to_thread=True)
    def list_needs(self, request: Request[Any, Any, Any],
                   marketplace: NamedDependency[Marketplace],
                   status: FromQuery[Literal["open", "pooled", "rfq", "withdrawn"] | None] = None,
                   ) -> list[NeedView]:
        """My needs, most recent first."""
        return marketplace.lots.needs(acting_organisation(request, marketplace), status=status)

    @get("/{need_id:uuid}", sync_to_thread=True)
    def get_need(self, request: Request[Any, Any, Any],
                 marketplace: NamedDependency[Marketplace], need_id: FromPath[UUID]) -> NeedView:
        """One of my needs (other buyers' needs are private: 404)."""
        return _need(marketplace, acting_organisation(request, marketplace), need_id)

    @patch("/{need_id:uuid}", sync_to_thread=True)
    def revise_need(self, request: Request[Any, Any, Any],
                    marketplace: NamedDependency[Marketplace], need_id: FromPath[UUID],
                    data: JSONBody[NeedRevision]) -> NeedView:
        """Replace fields of one of my needs that is not pooled."""
        me = acting_organisation(request, marketplace)
        changes = {name: value for name, value in msgspec.structs.asdict(data).items()
                   if value is not msgspec.UNSET}
        marketplace.revise_need(me, need_id, **changes)
        return _need(marketplace, me, need_id)

    @post("/{need_id:uuid}/withdrawal", status_code=HTTP_200_OK, sync_to_thread=True)
    def withdraw_need(self, request: Request[Any, Any, Any],
                      marketplace: NamedDependency[Marketplace],
                      need_id: FromPath[UUID]) -> Response[NeedView]:
        """Withdraw one of my needs, and its commitment from an open lot."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, NeedView]:
            marketplace.withdraw_need(me, need_id)
            return HTTP_200_OK, _need(marketplace, me, need_id)
        return idempotent(request, marketplace, me, None, produce)


class CommitmentController(Controller):
    path = "/api/v1/lots/{lot_id:uuid}/commitments"
    tags = ("commitments",)

    @post(status_code=HTTP_201_CREATED, sync_to_thread=True)
    def pool_need(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                  data: JSONBody[CommitmentRequest]) -> Response[CommitmentView]:
        """Pool one of my needs into a lot I am eligible for."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, CommitmentView]:
            marketplace.pool_need(me, lot_id, data.need_id, quantity=data.quantity,
                                  max_unit_price=data.max_unit_price)
            return HTTP_201_CREATED, _commitment(marketplace, me, lot_id, data.need_id)
        return idempotent(request, marketplace, me, data, produce)

    @patch("/{need_id:uuid}", sync_to_thread=True)
    def change_commitment(self, request: Request[Any, Any, Any],
                          marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                          need_id: FromPath[UUID],
                          data: JSONBody[CommitmentChange]) -> CommitmentView:
        """Change the quantity or max unit price I commit, until the lot closes."""
        me = acting_organisation(request, marketplace)
        marketplace.change_commitment(me, lot_id, need_id, quantity=data.quantity,
                                      max_unit_price=data.max_unit_price)
        return _commitment(marketplace, me, lot_id, need_id)

    @delete("/{need_id:uuid}", sync_to_thread=True)
    def withdraw_commitment(self, request: Request[Any, Any, Any],
                            marketplace: NamedDependency[Marketplace], lot_id: FromPath[UUID],
                            need_id: FromPath[UUID]) -> None:
        """Take my need back out of the lot before it closes; the need stays open."""
        marketplace.withdraw_commitment(acting_organisation(request, marketplace), lot_id,
                                        need_id)


@get("/api/v1/me/commitments", sync_to_thread=True, tags=["commitments"])
def my_commitments(request: Request[Any, Any, Any],
                   marketplace: NamedDependency[Marketplace]) -> MyCommitments:
    """Everything that binds me: needs I pooled, live bids I lead or accepted a share of."""
    return marketplace.lots.commitments(acting_organisation(request, marketplace))


def _need(marketplace: Marketplace, buyer_id: UUID, need_id: UUID) -> NeedView:
    view = marketplace.lots.need(buyer_id, need_id)
    if view is None:
        raise NeedNotFoundError(f"no need of yours has id {need_id}")
    return view


def _commitment(marketplace: Marketplace, buyer_id: UUID, lot_id: UUID,
                need_id: UUID) -> CommitmentView:
    commitment = marketplace.lots.commitment(buyer_id, lot_id, need_id)
    if commitment is not None:
        return commitment
    raise CommitmentNotFoundError(f"you have no commitment of need {need_id} in lot {lot_id}")
