"""An independent brute-force clearing of small instances, to check the allocation engine against.

It shares nothing with the engine but the parsed input's dataclasses: no program, no solver,
no helper of `marketplace.allocation` (it reads tiers, capacities and delivery costs itself).
It is meant for at most 4 buyers, 3 bids and 3 tiers with small whole-number quantities, and
is written to be obviously correct rather than fast.

Why enumerating whole-number deliveries is exact (the data's quantities, tier starts,
capacities and minimums are whole numbers):

Fix the served buyers, so each region's demand ``D[r]`` is a whole number, and fix for every
bid whether it is used and which tier ``t`` its award ends in. What is left is a transport
problem: deliveries ``f[r, s] >= 0`` with ``sum_s f[r, s] = D[r]`` and, for a used bid, its
award ``x[s] = sum_r f[r, s]`` in ``[max(start[t], minimum), min(next start, capacity)]``
(the tier's range is half-open at the next start; take its closure), ``x[s] = 0`` for an
unused bid. Its cost ``sum_s price[t] * x[s] + sum delivery[r, s] * f[r, s]`` is linear.
The constraint matrix is that of a bipartite network (regions to bids, then bids to a sink),
which is totally unimodular, and every bound is a whole number, so the closed polytope's
vertices are whole-number deliveries and a linear cost attains its minimum at one of them.
Such a vertex is a real clearing; if it sits at the closed end (an award exactly at the next
tier's start) its true price is that next tier's, which is no higher, so its true cost is at
most the linear minimum. Hence the least true cost over whole-number deliveries equals the
least over all real deliveries, and enumerating whole-number deliveries (at their true
all-units price, with no tier enumerated at all) finds the exact minimum.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from itertools import combinations, product

from marketplace.allocation import AllocationInput, BidOffer, BuyerNeed


def compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as an ordered sum of ``parts`` whole numbers from 0."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


def all_units_price(bid: BidOffer, awarded: int) -> Decimal | None:
    """The price of every unit when ``awarded`` units go to the bid: the last tier reached."""
    price = None
    for tier in bid.tiers:
        if awarded >= tier.min_quantity:
            price = tier.unit_price
    return price


def bid_cost(bid: BidOffer, awarded: int) -> Decimal | None:
    """The goods cost of awarding ``awarded`` units to the bid; None if its terms forbid it."""
    if awarded == 0:
        return Decimal(0)
    if awarded > bid.capacity or awarded < bid.min_quantity:
        return None
    price = all_units_price(bid, awarded)
    return None if price is None else price * awarded


def delivers(bid: BidOffer, region: str) -> bool:
    return bid.delivery_cost is None or region in bid.delivery_cost


def delivery(bid: BidOffer, region: str) -> Decimal:
    return Decimal(0) if bid.delivery_cost is None else bid.delivery_cost[region]


class BruteForce:
    """Least costs and the most servable quantity of one small instance, by enumeration."""

    def __init__(self, problem: AllocationInput) -> None:
        self.problem = problem
        self.regions = tuple(sorted({b.region for b in problem.buyers}))
        self.costs: dict[tuple[int, ...], Decimal | None] = {}

    def min_cost(self, served: Sequence[BuyerNeed]) -> Decimal | None:
        """The least total cost (exact, before rounding to yen) of serving ``served`` in full.

        Goods at each bid's all-units price for its whole award, plus delivery per unit;
        None when no clearing serves exactly these buyers.
        """
        demand = tuple(_whole(sum((b.quantity for b in served if b.region == region),
                                  Decimal(0)))
                       for region in self.regions)
        if demand not in self.costs:
            self.costs[demand] = self._min_cost(demand)
        return self.costs[demand]

    def max_servable(self) -> Decimal:
        """The most quantity any set of buyers served in full can add up to."""
        return max(sum((b.quantity for b in served), Decimal(0))
                   for served in self.buyer_sets() if self.min_cost(served) is not None)

    def buyer_sets(self) -> Iterator[tuple[BuyerNeed, ...]]:
        buyers = self.problem.buyers
        for size in range(len(buyers) + 1):
            yield from combinations(buyers, size)

    def _min_cost(self, demand: tuple[int, ...]) -> Decimal | None:
        bids = self.problem.bids
        limit = self.problem.options.max_suppliers
        best: Decimal | None = None
        # One choice per region: how its demand splits among the bids in input order.
        per_region = [list(self._splits(region, need))
                      for region, need in zip(self.regions, demand, strict=True)]
        for splits in product(*per_region):
            awards = [sum(split[s] for split in splits) for s in range(len(bids))]
            if limit is not None and sum(1 for q in awards if q) > limit:
                continue
            goods = [bid_cost(bid, q) for bid, q in zip(bids, awards, strict=True)]
            if any(cost is None for cost in goods):
                continue
            total = sum((cost for cost in goods if cost is not None), Decimal(0))
            for region, split in zip(self.regions, splits, strict=True):
                total += sum((delivery(bid, region) * q
                              for bid, q in zip(bids, split, strict=True) if q), Decimal(0))
            if best is None or total < best:
                best = total
        return best

    def _splits(self, region: str, need: int) -> Iterator[tuple[int, ...]]:
        """Every whole-number split of a region's demand that only uses bids delivering there."""
        bids = self.problem.bids
        for split in compositions(need, len(bids)):
            if all(q == 0 or delivers(bid, region) for q, bid in zip(split, bids, strict=True)):
                yield split


def _whole(amount: Decimal) -> int:
    if amount != amount.to_integral_value():
        raise ValueError(f"the brute force takes whole-number quantities, not {amount}")
    return int(amount)
