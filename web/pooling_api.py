"""The JSON API, version 1: pooling suggestions to a buyer, and starting a lot from one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from marketplace.application import Marketplace, NeedNotFoundError
from marketplace.readmodels.lot_queries import LotDetail, LotView
from marketplace.readmodels.pooling_suggestions import NewLotTerms, PoolingSuggestion
from web.api import acting_organisation
from web.idempotency import idempotent
from web.lots_api import lot_detail
from web.needs_api import Amount


class PooledLotOpening(msgspec.Struct, forbid_unknown_fields=True):
    """Terms for a lot started from a suggestion; absent ones are the suggestion's."""

    closes_at: datetime | None = None
    """ISO 8601 with its offset, before the need's needed-by date."""
    cluster: str | None = None
    prefectures: list[str] | None = None
    """With ``cluster``: who may take part, replacing the suggested eligibility."""
    thresholds: list[Amount] = msgspec.field(default_factory=list)
    max_suppliers: int | None = None


@dataclass(frozen=True)
class Acceptance:
    """The request that accepts a suggestion."""

    method: Literal["POST"]
    path: str
    body: dict[str, str]


@dataclass(frozen=True)
class PoolingSuggestionView:
    key: str
    kind: Literal["existing_lot", "new_lot"]
    need_id: UUID
    buyer_count: int
    lot: LotView | None
    new_lot: NewLotTerms | None
    accept: Acceptance


class PoolingSuggestionController(Controller):
    path = "/api/v1"
    tags = ("pooling suggestions",)

    @get("/pooling-suggestions", sync_to_thread=True)
    def my_suggestions(self, request: Request[Any, Any, Any],
                       marketplace: NamedDependency[Marketplace],
                       ) -> list[PoolingSuggestionView]:
        """Where my open needs could be pooled (buyers only): open lots first."""
        me = acting_organisation(request, marketplace)
        found = marketplace.pooling_suggestions.for_buyer(me, now=marketplace.clock())
        return [_view(s) for s in found]

    @get("/needs/{need_id:uuid}/pooling-suggestions", sync_to_thread=True)
    def need_suggestions(self, request: Request[Any, Any, Any],
                         marketplace: NamedDependency[Marketplace],
                         need_id: FromPath[UUID]) -> list[PoolingSuggestionView]:
        """Where one of my needs could be pooled; [] once it is pooled or withdrawn."""
        me = acting_organisation(request, marketplace)
        found = marketplace.pooling_suggestions.for_need(me, need_id, now=marketplace.clock())
        if found is None:
            raise NeedNotFoundError(f"no need of yours has id {need_id}")
        return [_view(s) for s in found]

    @post("/needs/{need_id:uuid}/pooling-suggestions/lot", status_code=HTTP_201_CREATED,
          sync_to_thread=True)
    def open_pooled_lot(self, request: Request[Any, Any, Any],
                        marketplace: NamedDependency[Marketplace], need_id: FromPath[UUID],
                        data: JSONBody[PooledLotOpening | None] = None,
                        ) -> Response[LotDetail]:
        """Start the suggested lot: I organise it, my need is pooled in it; the other buyers
        see it suggested and each pools its own need, or not."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, LotDetail]:
            terms = msgspec.structs.asdict(data or PooledLotOpening())
            lot_id = marketplace.open_pooled_lot(me, need_id, **terms)
            return HTTP_201_CREATED, lot_detail(marketplace, me, lot_id)
        return idempotent(request, marketplace, me, data, produce)


def _view(suggestion: PoolingSuggestion) -> PoolingSuggestionView:
    need = str(suggestion.need_id)
    if suggestion.lot is not None:
        accept = Acceptance("POST", f"/api/v1/lots/{suggestion.lot.id}/commitments",
                            {"need_id": need})
    else:
        accept = Acceptance("POST", f"/api/v1/needs/{need}/pooling-suggestions/lot", {})
    return PoolingSuggestionView(
        key=suggestion.key, kind=suggestion.kind, need_id=suggestion.need_id,
        buyer_count=suggestion.buyer_count, lot=suggestion.lot, new_lot=suggestion.new_lot,
        accept=accept)
