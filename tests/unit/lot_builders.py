"""Builders shared by the Lot unit tests: a lot at a fixed instant, participants, terms."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from marketplace.domain.bids import BidTerms
from marketplace.domain.eligibility import (
    Eligibility,
    Participant,
)
from marketplace.domain.items import ItemSpec
from marketplace.domain.lot import Lot
from marketplace.domain.need import NeedLine
from marketplace.domain.organisation import Role
from marketplace.domain.prefectures import Prefecture

AT = datetime(2026, 11, 20, 9, tzinfo=UTC)
CLOSES = AT + timedelta(days=7)  # 2026-11-27 18:00 JST
BUYER, SUPPLIER = frozenset({Role.BUYER}), frozenset({Role.SUPPLIER})
ITEM = ItemSpec.create(category="Steel sheet", specification="SPCC 1.0 mm", unit="kg")
KIRYU = Eligibility.create(cluster="Kiryu Textile")


def org(roles: frozenset[Role] = SUPPLIER, prefecture: str = "Gunma",
        clusters: tuple[str, ...] = ("kiryu textile",)) -> Participant:
    return Participant(uuid4(), roles, Prefecture.parse(prefecture), frozenset(clusters))


ORGANISER = org(BUYER)


def a_lot(eligibility: Eligibility = KIRYU, **overrides: Any) -> Lot:
    fields: dict[str, Any] = {"currency": "JPY", "closes_at": CLOSES, "thresholds": [1000, 5000],
                              "eligibility": eligibility, "at": AT}
    fields.update(overrides)
    lot = Lot.open(ORGANISER, ITEM, **fields)
    lot.collect_events()
    return lot


def a_line(**overrides: Any) -> NeedLine:
    fields: dict[str, Any] = {"category": "steel sheet", "specification": "SPCC 1 mm",
                              "unit": "kg", "quantity": "800", "needed_by": "2026-12-15",
                              "delivery_prefecture": "Gunma", "max_unit_price": "190"}
    fields.update(overrides)
    return NeedLine.create(today=AT.date(), **fields)


def terms(**overrides: Any) -> BidTerms:
    fields: dict[str, Any] = {"tiers": [{"from_quantity": 100, "unit_price": 200},
                                        {"from_quantity": 1000, "unit_price": 180}],
                              "capacity": 2000, "minimum_quantity": 100, "lead_time_days": 14,
                              "valid_until": "2026-12-31"}
    fields.update(overrides)
    return BidTerms.create(**fields)


def bidding_alone(lot: Lot, supplier: Participant, at: datetime = AT) -> UUID:
    bid_id = uuid4()
    lot.join(supplier, at=at)
    lot.place_bid(supplier, bid_id, terms(), at=at)
    return bid_id


def consortium(lot: Lot, lead: Participant, *members: Participant) -> UUID:
    shares = {lead.organisation_id: Decimal(1200)} | {m.organisation_id: Decimal(400)
                                                      for m in members}
    bid_id = uuid4()
    lot.join(lead, at=AT)
    lot.place_bid(lead, bid_id, terms(capacity=None, shares=shares),
                  members={m.organisation_id: m for m in members}, shares=shares, at=AT)
    return bid_id


def names(lot: Lot) -> list[str]:
    return [type(event).__name__ for event in lot.collect_events()]
