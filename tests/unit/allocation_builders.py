"""Builders of small allocation inputs for the hand-checked cases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marketplace.allocation import AllocationResult, allocate, parse_input


def a_buyer(buyer_id: str, quantity: object, region: str = "kiryu",
            max_unit_price: object = None) -> dict[str, Any]:
    return {"id": buyer_id, "quantity": str(quantity), "region": region,
            "max_unit_price": None if max_unit_price is None else str(max_unit_price)}


def a_bid(bid_id: str, capacity: object, *tiers: tuple[object, object], min_quantity: object = 0,
          delivery: dict[str, object] | None = None,
          members: list[tuple[str, object]] | None = None) -> dict[str, Any]:
    """A bid; ``tiers`` are (from quantity, unit price) pairs, one flat ¥100 tier if none."""
    bid: dict[str, Any] = {
        "id": bid_id, "min_quantity": str(min_quantity),
        "tiers": [{"min_quantity": str(start), "unit_price": str(price)}
                  for start, price in tiers or ((0, 100),)]}
    if capacity is not None:
        bid["capacity"] = str(capacity)
    if delivery is not None:
        bid["delivery_cost"] = {region: str(cost) for region, cost in delivery.items()}
    if members is not None:
        bid["members"] = [{"id": member, "share": str(share)} for member, share in members]
    return bid


def clear(buyers: list[dict[str, Any]], bids: list[dict[str, Any]],
          max_suppliers: int | None = None) -> AllocationResult:
    return allocate(parse_input({"currency": "JPY", "unit": "kg", "buyers": buyers,
                                 "bids": bids, "options": {"max_suppliers": max_suppliers}}))


def amounts(*values: int | str) -> tuple[Decimal, ...]:
    return tuple(Decimal(value) for value in values)


def awarded(result: AllocationResult) -> dict[str, Decimal]:
    return {s.id: s.quantity for s in result.suppliers}


def served(result: AllocationResult) -> dict[str, str | None]:
    """Each buyer's reason for being left out, None for the served."""
    return {b.id: b.reason for b in result.buyers}
