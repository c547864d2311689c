"""Reads of a cleared lot's allocation, each as one organisation may see it.

Everyone who may see the lot sees the outcome in aggregate (how much was served, to how many
buyers, by how many suppliers). A buyer in the lot sees its own needs' outcomes with their
explanations, the pool's goods price and saving, and, as a comparison, every bid that stood at
close (the losing ones too): sealed until the close, open to the lot's buyers after it. A
supplier sees its own bids' outcomes and the awards it must deliver; never another's price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events import reading
from marketplace.readmodels.lot_queries import BidView, PriceBreakView, bid_views
from marketplace.readmodels.lot_tables import bids, lot_allocations, lot_commitments


@dataclass(frozen=True)
class AwardView:
    """Units of one bid sent to one need, at the bid's tier price plus delivery."""

    need_id: UUID
    buyer_id: UUID
    bid_id: UUID
    supplier_id: UUID
    """The bid's lead (for a consortium, see its members' split in BidOutcome)."""
    quantity: Decimal
    unit_price: Decimal
    delivery_unit_cost: Decimal
    delivery_amount: Decimal


@dataclass(frozen=True)
class NeedOutcome:
    """A buyer's need in the clearing: served in full at the pool's price, or left out."""

    need_id: UUID
    quantity: Decimal
    served: bool
    reason: str | None
    """Why it was left out: no_delivery, above_max_price, capacity, max_price, better_alone."""
    goods_amount: Decimal
    delivery_amount: Decimal
    total: Decimal
    unit_price: Decimal | None
    max_unit_price: Decimal | None
    alone_total: Decimal | None
    """What the same bids would have charged for this quantity alone."""
    saving: Decimal | None
    binding: list[str]
    explanation: str
    awards: list[AwardView]


@dataclass(frozen=True)
class MemberAward:
    organisation_id: UUID
    quantity: Decimal


@dataclass(frozen=True)
class BidOutcome:
    """A supplier's bid in the clearing: its whole award, the tier reached, and why."""

    bid_id: UUID
    lead_id: UUID
    quantity: Decimal
    tier: PriceBreakView | None
    goods_amount: Decimal
    delivery_amount: Decimal
    members: list[MemberAward]
    binding: list[str]
    explanation: str
    awards: list[AwardView]


@dataclass(frozen=True)
class BidComparison:
    """A bid that stood at close, as the lot's buyers may compare it after the close."""

    bid: BidView
    awarded_quantity: Decimal
    unit_price_reached: Decimal | None
    binding: list[str]


@dataclass(frozen=True)
class AllocationView:
    lot_id: UUID
    status: str
    """optimal, limit_reached (not proven optimal), or infeasible (nobody could be served)."""
    allocated_at: datetime
    input_digest: str
    solver: dict[str, Any]
    served_quantity: Decimal
    buyers_served: int
    buyers_left_out: int
    suppliers_awarded: int
    pool_unit_price: Decimal | None
    """The goods price every served buyer pays per unit: shown to the lot's buyers only."""
    total_saving: Decimal | None
    """Against each served buyer buying alone: shown to the lot's buyers only."""
    my_needs: list[NeedOutcome]
    my_bids: list[BidOutcome]
    bid_comparison: list[BidComparison]
    """Every bid that stood at close, winners and losers: shown to the lot's buyers only."""


class AllocationQueries:
    """Reads of the allocations read model, filtered by what the viewer may see."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of_lot(self, organisation_id: UUID, lot_id: UUID) -> AllocationView | None:
        """The lot's allocation as ``organisation_id`` may see it; None before the clearing.

        The caller has checked that the organisation may see the lot at all.
        """
        with reading(self.engine) as connection:
            row = connection.execute(sa.select(lot_allocations).where(
                lot_allocations.c.lot_id == lot_id)).mappings().one_or_none()
            if row is None:
                return None
            buyers: dict[UUID, UUID] = {
                need_id: buyer_id for need_id, buyer_id in connection.execute(
                    sa.select(lot_commitments.c.need_id, lot_commitments.c.buyer_id)
                    .where(lot_commitments.c.lot_id == lot_id))}
            lot_bids = {b.id: b for b in bid_views(connection, bids.c.lot_id == lot_id)}
        return _view(row, organisation_id, buyers, lot_bids)


def _view(row: Any, me: UUID, buyers: dict[UUID, UUID], lot_bids: dict[UUID, BidView]
          ) -> AllocationView:
    result = row["result"]
    awards = [_award(a, buyers, lot_bids) for a in result["awards"]]
    is_buyer = me in buyers.values()
    mine = {bid_id for bid_id, bid in lot_bids.items()
            if bid.lead_id == me or any(m.organisation_id == me for m in bid.members)}
    suppliers = {UUID(s["id"]): s for s in result["suppliers"]}
    return AllocationView(
        lot_id=row["lot_id"], status=row["status"], allocated_at=row["allocated_at"],
        input_digest=row["input_digest"],
        solver={k: result["solver"][k] for k in ("name", "version", "status", "gap")},
        served_quantity=row["served_quantity"],
        buyers_served=sum(1 for b in result["buyers"] if b["served"]),
        buyers_left_out=sum(1 for b in result["buyers"] if not b["served"]),
        suppliers_awarded=sum(1 for s in result["suppliers"] if Decimal(s["quantity"])),
        pool_unit_price=row["pool_unit_price"] if is_buyer else None,
        total_saving=row["total_saving"] if is_buyer else None,
        my_needs=[_need_outcome(b, [a for a in awards if a.need_id == UUID(b["id"])])
                  for b in result["buyers"] if buyers.get(UUID(b["id"])) == me],
        my_bids=[_bid_outcome(s, lot_bids[bid_id], [a for a in awards if a.bid_id == bid_id])
                 for bid_id, s in suppliers.items() if bid_id in mine],
        bid_comparison=[_comparison(lot_bids[bid_id], s) for bid_id, s in suppliers.items()]
        if is_buyer else [])


def _award(data: dict[str, Any], buyers: dict[UUID, UUID],
           lot_bids: dict[UUID, BidView]) -> AwardView:
    need_id, bid_id = UUID(data["buyer"]), UUID(data["supplier"])
    return AwardView(
        need_id=need_id, buyer_id=buyers[need_id], bid_id=bid_id,
        supplier_id=lot_bids[bid_id].lead_id, quantity=Decimal(data["quantity"]),
        unit_price=Decimal(data["unit_price"]),
        delivery_unit_cost=Decimal(data["delivery_unit_cost"]),
        delivery_amount=Decimal(data["delivery_amount"]))


def _need_outcome(data: dict[str, Any], awards: list[AwardView]) -> NeedOutcome:
    return NeedOutcome(
        need_id=UUID(data["id"]), quantity=Decimal(data["quantity"]), served=data["served"],
        reason=data["reason"], goods_amount=Decimal(data["goods_amount"]),
        delivery_amount=Decimal(data["delivery_amount"]), total=Decimal(data["total"]),
        unit_price=_decimal(data["unit_price"]), max_unit_price=_decimal(data["max_unit_price"]),
        alone_total=_decimal(data["alone_total"]), saving=_decimal(data["saving"]),
        binding=list(data["binding"]), explanation=data["explanation"], awards=awards)


def _bid_outcome(data: dict[str, Any], bid: BidView, awards: list[AwardView]) -> BidOutcome:
    tier = data["tier"]
    return BidOutcome(
        bid_id=bid.id, lead_id=bid.lead_id, quantity=Decimal(data["quantity"]),
        tier=None if tier is None else PriceBreakView(Decimal(tier["min_quantity"]),
                                                      Decimal(tier["unit_price"])),
        goods_amount=Decimal(data["goods_amount"]),
        delivery_amount=Decimal(data["delivery_amount"]),
        members=[MemberAward(UUID(m["id"]), Decimal(m["quantity"])) for m in data["members"]],
        binding=list(data["binding"]), explanation=data["explanation"], awards=awards)


def _comparison(bid: BidView, data: dict[str, Any]) -> BidComparison:
    tier = data["tier"]
    return BidComparison(bid=bid, awarded_quantity=Decimal(data["quantity"]),
                         unit_price_reached=None if tier is None else Decimal(tier["unit_price"]),
                         binding=list(data["binding"]))


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
