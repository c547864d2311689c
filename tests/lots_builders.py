"""Builders for tests of pooled lots: a cluster of organisations, a lot, needs and bids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from events import engine_for
from events.integrity_tables import integrity_metadata
from marketplace.application import Marketplace
from marketplace.readmodels import Viewer, metadata

CLUSTER = "Kiryu Textile"
OPEN_FOR = timedelta(days=7)
LEDGER_TABLES = ("ledger_events", "ledger_snapshots", "ledger_tracking")

#: A supplier's bid alone: 100 kg to 2 t, cheaper from 1 t.
BID_TERMS: dict[str, Any] = {
    "tiers": [{"from_quantity": 100, "unit_price": 200},
              {"from_quantity": 1000, "unit_price": 180}],
    "capacity": 2000, "minimum_quantity": 100, "lead_time_days": 14,
    "valid_until": "2026-12-31"}

#: A consortium's terms: its capacity is the sum of its members' shares.
CONSORTIUM_TERMS: dict[str, Any] = {
    "tiers": [{"from_quantity": 100, "unit_price": 190}],
    "minimum_quantity": 100, "lead_time_days": 21, "valid_until": "2026-12-31"}


@dataclass(frozen=True)
class Cluster:
    """Buyers and suppliers of one cluster, and a supplier from outside it."""

    buyers: list[UUID]
    suppliers: list[UUID]
    outsider: UUID


def register(marketplace: Marketplace, *roles: str, name: str = "Firm",
             clusters: tuple[str, ...] = (CLUSTER,), prefecture: str = "Gunma") -> UUID:
    return marketplace.register_organisation(
        name_en=name, roles=list(roles), prefecture=prefecture,
        clusters=list(clusters)).organisation_id


def a_cluster(marketplace: Marketplace, *, buyers: int = 3, suppliers: int = 3) -> Cluster:
    return Cluster(
        buyers=[register(marketplace, "buyer", name=f"Buyer {n}") for n in range(buyers)],
        suppliers=[register(marketplace, "supplier", name=f"Supplier {n}")
                   for n in range(suppliers)],
        outsider=register(marketplace, "buyer", "supplier", name="Outsider",
                          clusters=("Hamamatsu Motors",)))


def open_lot(marketplace: Marketplace, organiser: UUID, *, closes_at: datetime | None = None,
             thresholds: Any = (1000, 5000), unit: str = "kg") -> UUID:
    return marketplace.open_lot(
        organiser, category="Steel sheet", specification="SPCC 1.0 mm, cold rolled", unit=unit,
        closes_at=closes_at or marketplace.clock() + OPEN_FOR, cluster=CLUSTER,
        thresholds=list(thresholds))


def post_need(marketplace: Marketplace, buyer: UUID, quantity: Any = 800, *,
              unit: str = "kg", category: str = "steel sheet",
              max_unit_price: Any = 190) -> UUID:
    return marketplace.post_need(
        buyer, category=category, specification="SPCC 1 mm", unit=unit, quantity=quantity,
        needed_by="2026-12-15", delivery_prefecture="Gunma", max_unit_price=max_unit_price)


def pooled_need(marketplace: Marketplace, buyer: UUID, lot_id: UUID,
                quantity: Any = 800) -> UUID:
    need_id = post_need(marketplace, buyer, quantity)
    marketplace.pool_need(buyer, lot_id, need_id)
    return need_id


def bid_alone(marketplace: Marketplace, supplier: UUID, lot_id: UUID, **overrides: Any) -> UUID:
    marketplace.join_lot(supplier, lot_id)
    return marketplace.place_bid(supplier, lot_id, **{**BID_TERMS, **overrides})


def viewer(marketplace: Marketplace, organisation_id: UUID) -> Viewer:
    found = marketplace.lots.viewer(organisation_id)
    assert found is not None
    return found


def decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def erase_everything(url: str) -> None:
    """Empties the ledger and every read model: a fresh marketplace without a new database."""
    with engine_for(url).begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(sa.delete(table))
        for name in LEDGER_TABLES:
            connection.execute(sa.text(f"DELETE FROM {name}"))  # noqa: S608 (our constants)
        for table in integrity_metadata.sorted_tables:
            connection.execute(sa.delete(table))
