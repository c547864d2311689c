"""Why each party got what it got: the tier reached, the constraint that bound, the comparison.

Each explanation is a list of codes (stable, for programs and translations) and one English
sentence or two for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marketplace.allocation.inputs import AllocationInput, BidOffer, BuyerNeed
from marketplace.allocation.result import per_unit

if TYPE_CHECKING:
    from marketplace.allocation.clearing import Settled


def explain_supplier(bid: BidOffer, settled: Settled, served: Sequence[BuyerNeed],
                     problem: AllocationInput) -> dict[str, Any]:
    unit = problem.unit
    awarded = settled.quantities[bid.id]
    reachable = sum((b.quantity for b in served if bid.delivers_to(b.region)), Decimal(0))
    if awarded:
        tier = bid.tier_for(awarded)
        assert tier is not None  # noqa: S101 (settle checks every award reaches a tier)
        number = bid.tiers.index(tier) + 1
        binding = [code for code, holds in (
            ("capacity", awarded == bid.capacity),
            ("min_quantity", awarded == bid.min_quantity),
            ("tier_start", number > 1 and awarded == tier.min_quantity),
            ("demand", awarded == reachable)) if holds]
        text = (f"Awarded {awarded} {unit} at tier {number} of {len(bid.tiers)} (from "
                f"{tier.min_quantity} {unit}, ¥{tier.unit_price}/{unit}).")
        text += "".join(f" {_BINDING[code]}" for code in binding)
        if number < len(bid.tiers):
            following = bid.tiers[number]
            text += (f" {following.min_quantity - awarded} {unit} more would have reached "
                     f"¥{following.unit_price}/{unit}.")
        pool = _pool_price(settled, served)
        if pool is not None:
            text += f" Served buyers pay ¥{pool}/{unit} for the goods on average."
        return {"binding": tuple(binding), "explanation": text}
    return _not_awarded(bid, settled, served, reachable, problem)


def _not_awarded(bid: BidOffer, settled: Settled, served: Sequence[BuyerNeed],
                 reachable: Decimal, problem: AllocationInput) -> dict[str, Any]:
    unit = problem.unit
    awarded = [q for q in settled.quantities.values() if q]
    limit = problem.options.max_suppliers
    if not reachable:
        return {"binding": ("no_delivery",),
                "explanation": "Not awarded: no served buyer is in a region this bid delivers to."}
    if bid.min_quantity > reachable:
        return {"binding": ("min_quantity",),
                "explanation": f"Not awarded: its minimum award of {bid.min_quantity} {unit} is "
                               f"more than the {reachable} {unit} it could reach."}
    if limit is not None and len(awarded) >= limit:
        return {"binding": ("max_suppliers",),
                "explanation": f"Not awarded: the lot awards at most {limit} supplier(s), and "
                               "cheaper bids filled them."}
    best = bid.price_for(min(bid.capacity, reachable)) or bid.tiers[0].unit_price
    delivery = min(bid.delivery_to(b.region) for b in served if bid.delivers_to(b.region))
    prices = sorted({a.unit_price for a in settled.awards})
    awarded_range = (f"¥{prices[0]}" if len(prices) == 1 else f"¥{prices[0]}–¥{prices[-1]}"
                     if prices else "none")
    return {"binding": ("price",),
            "explanation": f"Not awarded: cheaper bids covered the demand. Its best price for "
                           f"what it could take was ¥{best}/{unit} plus delivery from "
                           f"¥{delivery}/{unit}; the awarded bids' prices: {awarded_range}/{unit}."}


def explain_buyer(buyer: BuyerNeed, settled: Settled, alone_total: Decimal | None,
                  left_out: str | None, problem: AllocationInput) -> dict[str, Any]:
    unit = problem.unit
    if left_out is not None:
        return {"binding": (), "explanation": f"Not served: {left_out}."}
    goods, delivery = settled.buyer_goods[buyer.id], settled.buyer_delivery[buyer.id]
    paid = goods + delivery
    text = (f"Served {buyer.quantity} {unit}: goods at the pool's price "
            f"¥{per_unit(goods, buyer.quantity)}/{unit} plus delivery "
            f"¥{per_unit(delivery, buyer.quantity)}/{unit}, ¥{paid} in all.")
    binding = []
    if alone_total is None:
        text += " These bids could not have served this quantity alone."
    else:
        saving = alone_total - paid
        share = (saving * 100 / alone_total).quantize(Decimal("0.1")) if alone_total else 0
        text += (f" Alone it would have paid ¥{alone_total} "
                 f"(¥{per_unit(alone_total, buyer.quantity)}/{unit}); the pool saves ¥{saving} "
                 f"({share} %).")
        if saving == 0:
            binding.append("alone_price")
    if buyer.max_unit_price is not None:
        room = buyer.max_unit_price * buyer.quantity - paid
        text += (f" Max price ¥{buyer.max_unit_price}/{unit}: "
                 f"¥{per_unit(room, buyer.quantity)}/{unit} to spare.")
        if room == 0:
            binding.append("max_price")
    return {"binding": tuple(binding), "explanation": text}


def _pool_price(settled: Settled, served: Sequence[BuyerNeed]) -> Decimal | None:
    quantity = sum((b.quantity for b in served), Decimal(0))
    return per_unit(sum(settled.goods.values(), Decimal(0)), quantity) if quantity else None


_BINDING = {
    "capacity": "Its whole capacity was awarded.",
    "min_quantity": "The award is exactly its minimum.",
    "tier_start": "The award sits exactly at the tier's start.",
    "demand": "It serves all the demand it could reach.",
}
