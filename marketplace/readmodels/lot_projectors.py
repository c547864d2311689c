"""Projectors of needs, lots, commitments and bids into their read-model tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events import Projectors
from marketplace.domain.lot import Lot
from marketplace.domain.need import Need
from marketplace.readmodels.lot_tables import (
    LOT_TABLES,
    bid_members,
    bids,
    lot_allocations,
    lot_commitments,
    lot_prefectures,
    lot_suppliers,
    lots,
    needs,
)


def register(projectors: Projectors) -> None:
    projectors.owns(*LOT_TABLES)
    on = projectors.on
    on(Need.Posted)(_need_posted)
    on(Need.Revised)(_need_revised)
    on(Need.Withdrawn)(lambda c, e, p: _update_need(c, e, p, status="withdrawn"))
    on(Need.Pooled)(lambda c, e, p: _update_need(c, e, p, status="pooled", lot_id=e.lot_id))
    on(Need.Unpooled)(lambda c, e, p: _update_need(c, e, p, status="open", lot_id=None))
    on(Lot.Opened)(_lot_opened)
    on(Lot.Cancelled)(lambda c, e, p: _update_lot(c, e, p, status="cancelled",
                                                  cancel_reason=e.reason))
    on(Lot.Closed)(lambda c, e, p: _update_lot(c, e, p, status="closed", closed_at=e.timestamp))
    on(Lot.NeedPooled)(_need_pooled)
    on(Lot.CommitmentChanged)(_commitment_changed)
    on(Lot.CommitmentWithdrawn)(_commitment_withdrawn)
    on(Lot.SupplierJoined)(_supplier_joined)
    on(Lot.BidPlaced)(_bid_placed)
    on(Lot.BidRevised)(_bid_revised)
    on(Lot.BidWithdrawn)(_bid_withdrawn)
    on(Lot.ConsortiumShareAccepted)(lambda c, e, p: _member_answered(c, e, p, "accepted"))
    on(Lot.ConsortiumShareDeclined)(lambda c, e, p: _member_answered(c, e, p, "declined"))
    on(Lot.Allocated)(_allocated)


def _touch(event: Any, position: int) -> dict[str, Any]:
    return {"version": event.originator_version, "position": position,
            "updated_at": event.timestamp}


# -- needs --------------------------------------------------------------------------------

def _need_posted(connection: Connection, event: Need.Posted, position: int) -> None:
    connection.execute(sa.insert(needs).values(
        id=event.originator_id, buyer_id=event.buyer_id, category=event.category,
        specification=event.specification, unit=event.unit, quantity=event.quantity,
        needed_by=event.needed_by, delivery_prefecture=event.delivery_prefecture,
        max_unit_price=event.max_unit_price, status="open", lot_id=None,
        posted_at=event.timestamp, **_touch(event, position)))


def _need_revised(connection: Connection, event: Need.Revised, position: int) -> None:
    _update_need(connection, event, position, **event.changes)


def _update_need(connection: Connection, event: Any, position: int, **values: Any) -> None:
    connection.execute(sa.update(needs).where(needs.c.id == event.originator_id)
                       .values(**values, **_touch(event, position)))


# -- lots and commitments -----------------------------------------------------------------

def _lot_opened(connection: Connection, event: Lot.Opened, position: int) -> None:
    connection.execute(sa.insert(lots).values(
        id=event.originator_id, organiser_id=event.organiser_id, category=event.category,
        specification=event.specification, unit=event.unit, currency=event.currency,
        closes_at=event.closes_at, cluster=event.cluster,
        thresholds=[str(t) for t in event.thresholds], status="open", cancel_reason=None,
        pooled_quantity=Decimal(0), buyer_count=0, supplier_count=0, opened_at=event.timestamp,
        closed_at=None, max_suppliers=getattr(event, "max_suppliers", None),
        allocated_at=None, **_touch(event, position)))
    if event.prefectures:
        connection.execute(sa.insert(lot_prefectures), [
            {"lot_id": event.originator_id, "prefecture": code} for code in event.prefectures])


def _update_lot(connection: Connection, event: Any, position: int, **values: Any) -> None:
    connection.execute(sa.update(lots).where(lots.c.id == event.originator_id)
                       .values(**values, **_touch(event, position)))


def _refresh_pool(connection: Connection, event: Any, position: int) -> None:
    rows = connection.execute(sa.select(lot_commitments.c.buyer_id, lot_commitments.c.quantity)
                              .where(lot_commitments.c.lot_id == event.originator_id)).all()
    _update_lot(connection, event, position,
                pooled_quantity=sum((row.quantity for row in rows), Decimal(0)),
                buyer_count=len({row.buyer_id for row in rows}))


def _need_pooled(connection: Connection, event: Lot.NeedPooled, position: int) -> None:
    connection.execute(sa.insert(lot_commitments).values(
        need_id=event.need_id, lot_id=event.originator_id, buyer_id=event.buyer_id,
        quantity=event.quantity, max_unit_price=event.max_unit_price,
        committed_at=event.timestamp, updated_at=event.timestamp))
    _refresh_pool(connection, event, position)


def _commitment_changed(connection: Connection, event: Lot.CommitmentChanged,
                        position: int) -> None:
    connection.execute(sa.update(lot_commitments)
                       .where(lot_commitments.c.lot_id == event.originator_id,
                              lot_commitments.c.need_id == event.need_id)
                       .values(quantity=event.quantity, max_unit_price=event.max_unit_price,
                               updated_at=event.timestamp))
    _refresh_pool(connection, event, position)


def _commitment_withdrawn(connection: Connection, event: Lot.CommitmentWithdrawn,
                          position: int) -> None:
    connection.execute(sa.delete(lot_commitments)
                       .where(lot_commitments.c.lot_id == event.originator_id,
                              lot_commitments.c.need_id == event.need_id))
    _refresh_pool(connection, event, position)


def _supplier_joined(connection: Connection, event: Lot.SupplierJoined, position: int) -> None:
    connection.execute(sa.insert(lot_suppliers).values(
        lot_id=event.originator_id, supplier_id=event.supplier_id, joined_at=event.timestamp))
    count = connection.execute(sa.select(sa.func.count()).select_from(lot_suppliers)
                               .where(lot_suppliers.c.lot_id == event.originator_id)).scalar()
    _update_lot(connection, event, position, supplier_count=count)


# -- bids ---------------------------------------------------------------------------------

def _terms_columns(terms: dict[str, Any]) -> dict[str, Any]:
    return {"tiers": [{"from_quantity": str(t["from_quantity"]),
                       "unit_price": str(t["unit_price"])} for t in terms["tiers"]],
            "minimum_quantity": terms["minimum_quantity"],
            "lead_time_days": terms["lead_time_days"], "valid_until": terms["valid_until"],
            "delivery_costs": None if terms.get("delivery_costs") is None else {
                code: str(cost) for code, cost in terms["delivery_costs"].items()}}


def _write_members(connection: Connection, bid_id: UUID, lead_id: UUID,
                   shares: list[dict[str, Any]]) -> None:
    connection.execute(sa.delete(bid_members).where(bid_members.c.bid_id == bid_id))
    if shares:
        connection.execute(sa.insert(bid_members), [
            {"bid_id": bid_id, "organisation_id": s["organisation_id"], "share": s["share"],
             "status": "accepted" if s["organisation_id"] == lead_id else "invited"}
            for s in shares])


def _bid_placed(connection: Connection, event: Lot.BidPlaced, position: int) -> None:
    connection.execute(sa.insert(bids).values(
        id=event.bid_id, lot_id=event.originator_id, lead_id=event.supplier_id,
        is_consortium=bool(event.shares), capacity=event.terms["capacity"] or Decimal(0),
        counts=True, status="live", placed_at=event.timestamp, updated_at=event.timestamp,
        **_terms_columns(event.terms)))
    _write_members(connection, event.bid_id, event.supplier_id, event.shares)
    _refresh_bid(connection, event.bid_id)
    _update_lot(connection, event, position)


def _bid_revised(connection: Connection, event: Lot.BidRevised, position: int) -> None:
    lead_id = connection.execute(sa.select(bids.c.lead_id)
                                 .where(bids.c.id == event.bid_id)).scalar_one()
    connection.execute(sa.update(bids).where(bids.c.id == event.bid_id).values(
        is_consortium=bool(event.shares), capacity=event.terms["capacity"] or Decimal(0),
        counts=True, updated_at=event.timestamp, **_terms_columns(event.terms)))
    _write_members(connection, event.bid_id, lead_id, event.shares)
    _refresh_bid(connection, event.bid_id)
    _update_lot(connection, event, position)


def _bid_withdrawn(connection: Connection, event: Lot.BidWithdrawn, position: int) -> None:
    connection.execute(sa.update(bids).where(bids.c.id == event.bid_id).values(
        status="withdrawn", counts=False, updated_at=event.timestamp))
    _update_lot(connection, event, position)


def _member_answered(connection: Connection, event: Any, position: int, status: str) -> None:
    connection.execute(sa.update(bid_members).where(
        bid_members.c.bid_id == event.bid_id,
        bid_members.c.organisation_id == event.member_id).values(status=status))
    connection.execute(sa.update(bids).where(bids.c.id == event.bid_id)
                       .values(updated_at=event.timestamp))
    _refresh_bid(connection, event.bid_id)
    _update_lot(connection, event, position)


def _refresh_bid(connection: Connection, bid_id: UUID) -> None:
    """A consortium's capacity is its accepted shares; it counts once all have accepted."""
    members = connection.execute(sa.select(bid_members.c.share, bid_members.c.status)
                                 .where(bid_members.c.bid_id == bid_id)).all()
    if members:
        connection.execute(sa.update(bids).where(bids.c.id == bid_id).values(
            capacity=sum((m.share for m in members if m.status == "accepted"), Decimal(0)),
            counts=all(m.status == "accepted" for m in members)))


# -- allocation -----------------------------------------------------------------------------

def _allocated(connection: Connection, event: Lot.Allocated, position: int) -> None:
    """Applies the clearing as recorded; the engine is never run again on replay."""
    result = event.result
    connection.execute(sa.insert(lot_allocations).values(
        lot_id=event.originator_id, status=result["status"], input_digest=event.input_digest,
        served_quantity=Decimal(result["served_quantity"]),
        total_cost=Decimal(result["total_cost"]),
        pool_unit_price=None if result["pool_unit_price"] is None else Decimal(
            result["pool_unit_price"]),
        total_saving=Decimal(result["savings"]["total"]), result=result, position=position,
        allocated_at=event.timestamp))
    _update_lot(connection, event, position, allocated_at=event.timestamp)
