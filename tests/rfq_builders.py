"""Builders for tests of RFQs: a buyer's RFQ on two needs, invited and eligible suppliers, quotes.

The three quotes are priced so that the comparison has something to say (hand computation in
``tests/integration/test_rfq_read_models.py``): A covers both lines, B only line 1 and is the
cheapest there, C covers both with a price break line 1 does not reach and a half yen to round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain.sealed_round import SETTLE
from tests.lots_builders import CLUSTER, post_need, register

VALID = "2026-12-31"

#: Line 1: 800 kg of steel sheet; line 2: 50 pcs of bolts.
QUOTE_A: list[dict[str, Any]] = [
    {"line": 1, "price_breaks": [{"from_quantity": 0, "unit_price": 210},
                                 {"from_quantity": 500, "unit_price": 190}],
     "lead_time_days": 12, "valid_until": VALID, "notes": "mill certificate included"},
    {"line": 2, "unit_price": "33.5", "lead_time_days": 3, "valid_until": VALID}]
QUOTE_B: list[dict[str, Any]] = [
    {"line": 1, "unit_price": "185.5", "lead_time_days": 10, "valid_until": VALID}]
QUOTE_C: list[dict[str, Any]] = [
    {"line": 1, "price_breaks": [{"from_quantity": 0, "unit_price": 200},
                                 {"from_quantity": 1000, "unit_price": 180}],
     "lead_time_days": 10, "valid_until": VALID},
    {"line": 2, "unit_price": "33.35", "lead_time_days": 5, "valid_until": VALID}]


@dataclass(frozen=True)
class RfqScene:
    """An open RFQ of ``buyer`` on two needs, invited: A, B, C; open to the cluster too.

    ``eligible`` is a supplier of the cluster, not invited; ``outsider`` a supplier of
    another prefecture and cluster; ``bystander`` a buyer of the cluster (not a supplier).
    """

    marketplace: Marketplace
    clock: SettableClock
    buyer: UUID
    a: UUID
    b: UUID
    c: UUID
    eligible: UUID
    outsider: UUID
    bystander: UUID
    needs: list[UUID]
    rfq_id: UUID
    closes_at: datetime

    def quote_all(self) -> dict[UUID, UUID]:
        """A, B and C quote; their quote ids by supplier."""
        return {supplier: self.marketplace.submit_quote(supplier, self.rfq_id, lines)
                for supplier, lines in ((self.a, QUOTE_A), (self.b, QUOTE_B),
                                        (self.c, QUOTE_C))}

    def after_deadline(self) -> None:
        """Past the deadline and the settling time: the buyer sees the quotes."""
        self.clock.now = self.closes_at + SETTLE


def an_rfq(marketplace: Marketplace, clock: SettableClock, *, cluster: str | None = CLUSTER
           ) -> RfqScene:
    buyer = register(marketplace, "buyer", name="Takasaki Press")
    a, b, c = (register(marketplace, "supplier", name=name)
               for name in ("Ashikaga Steel", "Beppu Bolts", "Chichibu Metals"))
    eligible = register(marketplace, "supplier", name="Echigo Works")
    outsider = register(marketplace, "supplier", name="Osaka Outsider", prefecture="Osaka",
                        clusters=("Kansai Metal",))
    bystander = register(marketplace, "buyer", name="Bystander Buyer")
    needs = [post_need(marketplace, buyer, 800),
             post_need(marketplace, buyer, 50, unit="pcs", category="bolts")]
    closes_at = clock() + timedelta(days=3)
    rfq_id = marketplace.issue_rfq(
        buyer, need_ids=needs, title="SPCC sheet and bolts for Q1", closes_at=closes_at,
        invited=[a, b, c], cluster=cluster, required_certifications=["ISO 9001"],
        notes="deliver to the Takasaki plant")
    return RfqScene(marketplace, clock, buyer, a, b, c, eligible, outsider, bystander, needs,
                    rfq_id, closes_at)
