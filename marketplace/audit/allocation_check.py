"""Checking a recorded allocation: the input is what stood at close, the result is feasible,
and solving the input again reaches the same objective (DESIGN.md §3.3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from marketplace.allocation import AllocationInput, allocate, parse_input
from marketplace.allocation.inputs import AllocationInputError, BidOffer
from marketplace.application import Marketplace
from marketplace.domain.lot import Lot


class AllocationCheckError(Exception):
    """A recorded allocation that does not hold; the message says what."""


def check_recorded_allocation(marketplace: Marketplace, event: Any) -> None:
    """``event`` is a Lot.Allocated; the lot is loaded as it stood just before it."""
    lot_at_close: object = marketplace.repository.get(event.originator_id,
                                              version=event.originator_version - 1)
    if not isinstance(lot_at_close, Lot):
        raise AllocationCheckError("the allocation is not of a lot")
    try:
        recorded = parse_input(event.input)
    except AllocationInputError as error:
        raise AllocationCheckError(f"the recorded input cannot be read: {error}") from None
    if recorded.digest != event.input_digest:
        raise AllocationCheckError("the recorded input does not have the recorded digest")
    if marketplace.allocation_input(lot_at_close).digest != event.input_digest:
        raise AllocationCheckError("the recorded input is not the lot as it stood at close")
    result = event.result
    check_feasible(recorded, result)
    again = allocate(recorded).as_json()
    if again["status"] != result["status"]:
        raise AllocationCheckError(f"solved again, the status is {again['status']}, not the "
                                   f"recorded {result['status']}")
    if Decimal(again["objective"]) != Decimal(result["objective"]):
        raise AllocationCheckError(f"solved again, the objective is {again['objective']}, "
                                   f"not the recorded {result['objective']}")


def check_feasible(problem: AllocationInput, result: dict[str, Any]) -> None:
    """Every served buyer gets exactly its quantity at no more than its limit; every bid is
    awarded within its capacity, minimum and tiers, at its tier's price; totals add up."""
    buyers = {b.id: b for b in problem.buyers}
    bids = {b.id: b for b in problem.bids}
    served = {b["id"]: Decimal(b["quantity"]) for b in result["buyers"] if b["served"]}
    got: dict[str, Decimal] = dict.fromkeys(buyers, Decimal(0))
    supplied: dict[str, Decimal] = dict.fromkeys(bids, Decimal(0))
    total = Decimal(0)
    for award in result["awards"]:
        buyer, supplier = award["buyer"], award["supplier"]
        if buyer not in buyers or supplier not in bids:
            raise AllocationCheckError(f"an award names an unknown buyer {buyer} or bid "
                                       f"{supplier}")
        quantity, price = Decimal(award["quantity"]), Decimal(award["unit_price"])
        got[buyer] += quantity
        supplied[supplier] += quantity
        total += quantity * price + Decimal(award["delivery_amount"])
    for buyer_id, need in buyers.items():
        expected = need.quantity if buyer_id in served else Decimal(0)
        if got[buyer_id] != expected:
            raise AllocationCheckError(f"buyer {buyer_id} is awarded {got[buyer_id]}, not "
                                       f"{expected}")
    for bid_id, quantity in supplied.items():
        _check_bid(bids[bid_id], quantity, result)
    awarded = [bid_id for bid_id, quantity in supplied.items() if quantity > 0]
    limit = problem.options.max_suppliers
    if limit is not None and len(awarded) > limit:
        raise AllocationCheckError(f"{len(awarded)} suppliers are awarded, over the limit "
                                   f"of {limit}")
    for buyer in result["buyers"]:
        limit_price = buyers[buyer["id"]].max_unit_price
        if buyer["served"] and limit_price is not None and buyer["unit_price"] is not None \
                and Decimal(buyer["unit_price"]) > limit_price:
            raise AllocationCheckError(f"buyer {buyer['id']} pays {buyer['unit_price']} a "
                                       f"unit, over its limit of {limit_price}")
    if total != Decimal(result["total_cost"]):
        raise AllocationCheckError(f"the awards add up to {total}, not the recorded total "
                                   f"cost {result['total_cost']}")


def _check_bid(bid: BidOffer, quantity: Decimal, result: dict[str, Any]) -> None:
    if quantity == 0:
        return
    if quantity > bid.capacity or quantity < bid.min_quantity:
        raise AllocationCheckError(f"bid {bid.id} is awarded {quantity}, outside its "
                                   f"capacity {bid.capacity} and minimum {bid.min_quantity}")
    price = bid.price_for(quantity)
    for award in result["awards"]:
        if award["supplier"] == bid.id and Decimal(award["unit_price"]) != price:
            raise AllocationCheckError(f"bid {bid.id} is paid {award['unit_price']} a unit, "
                                       f"not its tier price {price} for {quantity}")


def lot_id_of(event: Any) -> UUID:
    return UUID(str(event.originator_id))
