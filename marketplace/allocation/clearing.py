"""Clearing a closed lot: who is served, by which bids, at what price (docs/allocation.md).

The rules, in the order they apply:

1. A buyer no bid delivers to, or whose max price is below the lowest delivered price any bid
   offers it, is left out before solving.
2. The program serves every remaining need at least total cost; if the bids cannot serve them
   all, it serves the most quantity it can, at least cost (needs are served in full or not).
3. Cost sharing: every served buyer pays the same goods price per unit (the goods cost of all
   awards divided by the quantity served), plus the delivery of its own units at cost.
4. Every served buyer who would pay more than its max price, or more than buying its own
   quantity alone from the same bids, is left out, and the program is solved again for the
   rest, until nobody served is over a limit. Nobody left out comes back.
5. Ties between equally cheap allocations go to the earlier bid and buyer in the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

from marketplace.allocation import program
from marketplace.allocation.explain import explain_buyer, explain_supplier
from marketplace.allocation.inputs import AllocationInput, BidOffer, BuyerNeed, Options
from marketplace.allocation.result import (
    AllocationResult,
    Award,
    BuyerResult,
    SolverRun,
    SupplierResult,
)
from marketplace.domain.items import YEN, yen

QUANTUM = Decimal("0.001")  # quantities are exact to the gram (domain.items.QUANTITY_PLACES)


class AllocationError(Exception):
    """The solver's answer failed an exact check; a bug, never an input problem."""


@dataclass(frozen=True)
class Alone:
    """What a buyer would pay for its own quantity from the same bids, without the pool."""

    total: Decimal
    bids: tuple[str, ...]


@dataclass(frozen=True)
class Settled:
    """A solution in exact decimals and whole yen, with the cost shared among served buyers."""

    awards: tuple[Award, ...]
    quantities: dict[str, Decimal]
    goods: dict[str, Decimal]
    buyer_goods: dict[str, Decimal]
    buyer_delivery: dict[str, Decimal]
    objective: Decimal

    def total(self, buyer_id: str) -> Decimal:
        return self.buyer_goods[buyer_id] + self.buyer_delivery[buyer_id]


@dataclass(frozen=True)
class LeftOut:
    reason: str
    detail: str


def allocate(problem: AllocationInput) -> AllocationResult:
    """Clears the lot described by ``problem``. Pure: the same input gives the same result."""
    counter = _Solves()
    alone = {b.id: _alone(b, problem.bids, counter) for b in problem.buyers}
    left_out = {b.id: why for b in problem.buyers
                if (why := _unreachable(b, problem.bids, problem.unit)) is not None}
    while True:
        pool = [b for b in problem.buyers if b.id not in left_out]
        solution = counter.solve(pool, problem.bids, problem.options, serve_all=True)
        if solution.status is program.SolveStatus.INFEASIBLE and pool:
            solution = counter.solve(pool, problem.bids, problem.options, serve_all=False)
        served = [b for b, is_served in zip(pool, solution.served, strict=True) if is_served]
        settled = settle(served, problem.bids, solution)
        over = _over_limit(served, settled, alone, problem.unit)
        if not over:
            break
        left_out.update(over)
    served_ids = {b.id for b in served}
    for buyer in pool:
        if buyer.id not in served_ids:
            left_out[buyer.id] = LeftOut("capacity", _capacity_detail(problem.options))
    return _result(problem, served, settled, solution, alone, left_out, counter.count)


def settle(served: Sequence[BuyerNeed], bids: Sequence[BidOffer],
           solution: program.Solution) -> Settled:
    """Turns the solver's floats into exact quantities, awards and whole-yen amounts."""
    supply = _exact_supply(served, solution)
    awards: list[Award] = []
    for region in dict.fromkeys(b.region for b in served):
        awards += _split_region([b for b in served if b.region == region], bids,
                                {s: q for (r, s), q in supply.items() if r == region})
    quantities = {bid.id: sum((a.quantity for a in awards if a.supplier == bid.id), Decimal(0))
                  for bid in bids}
    # Every unit of a bid costs the price of the tier its whole award reached.
    prices = {bid.id: bid.price_for(quantities[bid.id]) or Decimal(0) for bid in bids}
    awards = [replace(a, unit_price=prices[a.supplier]) for a in awards]
    goods = {bid.id: yen(prices[bid.id] * quantities[bid.id]) for bid in bids}
    objective = sum((prices[bid.id] * quantities[bid.id] for bid in bids), Decimal(0))
    objective += sum((a.delivery_unit_cost * a.quantity for a in awards), Decimal(0))
    _check(served, bids, quantities, awards)
    return Settled(
        awards=tuple(awards), quantities=quantities, goods=goods,
        buyer_goods=_share(sum(goods.values(), Decimal(0)), served),
        buyer_delivery={b.id: sum((a.delivery_amount for a in awards if a.buyer == b.id),
                                  Decimal(0)) for b in served},
        objective=objective)


def plain(amount: Decimal) -> Decimal:
    """1000, not 1000.000 or 1E+3: the form people write, for output and digests alike."""
    amount = amount.normalize()
    return amount.quantize(YEN) if amount.as_tuple().exponent > 0 else amount  # type: ignore[operator]


def _exact_supply(served: Sequence[BuyerNeed],
                  solution: program.Solution) -> dict[tuple[str, int], Decimal]:
    # The program is a network flow once its binaries are fixed, so its vertices lie on the
    # input's grid of 0.001: rounding recovers them exactly. The rare float drift left over is
    # moved onto the region's largest supply line, and `_check` confirms the result.
    supply = {key: plain(Decimal(repr(value)).quantize(QUANTUM))
              for key, value in solution.supply.items()}
    supply = {key: value for key, value in supply.items() if value > 0}
    for region in dict.fromkeys(b.region for b in served):
        demand = sum((b.quantity for b in served if b.region == region), Decimal(0))
        lines = sorted((key for key in supply if key[0] == region),
                       key=lambda key: (-supply[key], key[1]))
        drift = demand - sum((supply[key] for key in lines), Decimal(0))
        if drift and lines:
            supply[lines[0]] += drift
    return supply


def _split_region(buyers: list[BuyerNeed], bids: Sequence[BidOffer],
                  supply: dict[int, Decimal]) -> list[Award]:
    """Gives a region's supply to its buyers in input order, bid by bid in input order.

    Any split costs the same (delivery is priced per region), so this one is chosen for being
    predictable and for sending each buyer as few separate deliveries as it can.
    """
    awards: list[Award] = []
    queue = [(s, quantity) for s, quantity in sorted(supply.items())]
    for buyer in buyers:
        wanted = buyer.quantity
        while wanted > 0 and queue:
            s, available = queue[0]
            taken = min(wanted, available)
            bid = bids[s]
            delivery = bid.delivery_to(buyer.region)
            awards.append(Award(buyer=buyer.id, supplier=bid.id, quantity=taken,
                                unit_price=Decimal(0), delivery_unit_cost=delivery,
                                delivery_amount=yen(delivery * taken)))
            wanted -= taken
            queue[0] = (s, available - taken)
            if queue[0][1] == 0:
                queue.pop(0)
    return awards


def _share(goods: Decimal, served: Sequence[BuyerNeed]) -> dict[str, Decimal]:
    """The pool's goods cost split by quantity in whole yen (largest remainder, ties in order)."""
    total = sum((b.quantity for b in served), Decimal(0))
    if not served or total == 0:
        return {}
    exact = [(b.id, goods * b.quantity / total) for b in served]
    shares = {buyer: part.quantize(YEN, rounding=ROUND_DOWN) for buyer, part in exact}
    left = int(goods - sum(shares.values(), Decimal(0)))
    by_remainder = sorted(range(len(exact)),
                          key=lambda i: (-(exact[i][1] - shares[exact[i][0]]), i))
    for i in by_remainder[:left]:
        shares[exact[i][0]] += YEN
    return shares


def _check(served: Sequence[BuyerNeed], bids: Sequence[BidOffer],
           quantities: dict[str, Decimal], awards: list[Award]) -> None:
    for buyer in served:
        got = sum((a.quantity for a in awards if a.buyer == buyer.id), Decimal(0))
        if got != buyer.quantity:
            raise AllocationError(f"buyer {buyer.id} was sent {got}, not {buyer.quantity}")
    for bid in bids:
        q = quantities[bid.id]
        if q > bid.capacity or (0 < q < bid.min_quantity) or (q and bid.price_for(q) is None):
            raise AllocationError(f"bid {bid.id} was awarded {q}, outside its terms")


def _alone(buyer: BuyerNeed, bids: Sequence[BidOffer], counter: _Solves) -> Alone | None:
    """The cheapest way to buy ``buyer``'s quantity from these bids without the pool.

    Usually one bid is cheapest and a bound proves it; otherwise a one-buyer program decides.
    """
    region, wanted = buyer.region, buyer.quantity
    open_to = [bid for bid in bids if bid.delivers_to(region)
               and bid.min_quantity <= min(wanted, bid.capacity)]
    if not open_to:
        return None
    # No part of the quantity can cost less per unit than a bid's price for all it could take.
    floor = min(_landed(bid, min(wanted, bid.capacity), region) for bid in open_to)
    whole = [(bid, _landed(bid, wanted, region)) for bid in open_to if bid.capacity >= wanted]
    if whole:
        bid, price = min(whole, key=lambda pair: pair[1])  # min keeps the earliest on a tie
        if price == floor:
            cost = yen((price - bid.delivery_to(region)) * wanted) + yen(
                bid.delivery_to(region) * wanted)
            return Alone(total=cost, bids=(bid.id,))
    solution = counter.solve([buyer], bids, Options(), serve_all=True)
    if solution.status is program.SolveStatus.INFEASIBLE:
        return None
    settled = settle([buyer], bids, solution)
    used = tuple(bid.id for bid in bids if settled.quantities[bid.id])
    return Alone(total=sum(settled.goods.values(), Decimal(0)) + settled.buyer_delivery[buyer.id],
                 bids=used)


def _landed(bid: BidOffer, awarded: Decimal, region: str) -> Decimal:
    return (bid.price_for(awarded) or Decimal(0)) + bid.delivery_to(region)


def _unreachable(buyer: BuyerNeed, bids: Sequence[BidOffer], unit: str) -> LeftOut | None:
    delivering = [bid for bid in bids if bid.delivers_to(buyer.region)]
    if not delivering:
        return LeftOut("no_delivery", f"no bid delivers to {buyer.region}")
    lowest = min(_landed(bid, bid.capacity, buyer.region) for bid in delivering)
    if buyer.max_unit_price is not None and lowest > buyer.max_unit_price:
        return LeftOut("above_max_price",
                       f"the lowest price any bid offers, ¥{lowest}/{unit} delivered to "
                       f"{buyer.region}, is above the max price ¥{buyer.max_unit_price}")
    return None


def _over_limit(served: Sequence[BuyerNeed], settled: Settled,
                alone: dict[str, Alone | None], unit: str) -> dict[str, LeftOut]:
    """Served buyers who would pay more than their max price or than buying alone."""
    over: dict[str, LeftOut] = {}
    for buyer in served:
        paid = settled.total(buyer.id)
        cheaper = alone[buyer.id]
        if buyer.max_unit_price is not None and paid > buyer.max_unit_price * buyer.quantity:
            price = (paid / buyer.quantity).quantize(Decimal("0.01"))
            over[buyer.id] = LeftOut(
                "max_price", f"the pool's price came to ¥{price}/{unit} delivered, above the "
                f"max price ¥{buyer.max_unit_price}")
        elif cheaper is not None and paid > cheaper.total:
            over[buyer.id] = LeftOut(
                "better_alone", f"buying alone from {', '.join(cheaper.bids)} would cost "
                f"¥{cheaper.total}, less than the pool's ¥{paid}")
    return over


def _capacity_detail(options: Options) -> str:
    limit = "" if options.max_suppliers is None else (
        f" within the limit of {options.max_suppliers} supplier(s)")
    return ("the bids could not serve every need in full" + limit + "; the clearing serves "
            "the most quantity it can, and this need did not fit")


class _Solves:
    def __init__(self) -> None:
        self.count = 0

    def solve(self, buyers: Sequence[BuyerNeed], bids: Sequence[BidOffer], options: Options, *,
              serve_all: bool) -> program.Solution:
        self.count += 1
        return program.solve(buyers, bids, options, serve_all=serve_all)


def _result(problem: AllocationInput, served: list[BuyerNeed], settled: Settled,
            solution: program.Solution, alone: dict[str, Alone | None],
            left_out: dict[str, LeftOut], solves: int) -> AllocationResult:
    suppliers = tuple(
        SupplierResult(
            id=bid.id, quantity=settled.quantities[bid.id],
            tier=bid.tier_for(settled.quantities[bid.id]) if settled.quantities[bid.id] else None,
            goods_amount=settled.goods[bid.id],
            delivery_amount=sum((a.delivery_amount for a in settled.awards
                                 if a.supplier == bid.id), Decimal(0)),
            members=_members(bid, settled.quantities[bid.id]),
            **explain_supplier(bid, settled, served, problem))
        for bid in problem.bids)
    buyers = []
    for buyer in problem.buyers:
        is_served = buyer.id not in left_out
        why = left_out.get(buyer.id)
        cheaper = alone[buyer.id]
        buyers.append(BuyerResult(
            id=buyer.id, quantity=buyer.quantity, served=is_served,
            goods_amount=settled.buyer_goods.get(buyer.id, Decimal(0)),
            delivery_amount=settled.buyer_delivery.get(buyer.id, Decimal(0)),
            max_unit_price=buyer.max_unit_price,
            alone_total=None if cheaper is None else cheaper.total,
            alone_from=() if cheaper is None else cheaper.bids,
            reason=None if why is None else why.reason,
            **explain_buyer(buyer, settled, None if cheaper is None else cheaper.total,
                            None if why is None else why.detail, problem)))
    status = ("infeasible" if not served else
              "optimal" if solution.status is program.SolveStatus.OPTIMAL else "limit_reached")
    return AllocationResult(
        status=status, currency=problem.currency, unit=problem.unit,
        input_digest=problem.digest, objective=settled.objective, awards=settled.awards,
        suppliers=suppliers, buyers=tuple(buyers),
        solver=SolverRun(name="HiGHS", version=program.solver_version(),
                         status=solution.status.value, gap=solution.gap, solves=solves,
                         settings=program.settings()))


def _members(bid: BidOffer, awarded: Decimal) -> tuple[tuple[str, Decimal], ...]:
    """A consortium's award split by its members' shares (to the gram; the rest to the first)."""
    if not bid.members:
        return ()
    shares = sum((m.share for m in bid.members), Decimal(0))
    parts = [(m.id, (awarded * m.share / shares).quantize(QUANTUM, rounding=ROUND_DOWN))
             for m in bid.members]
    rest = awarded - sum((q for _, q in parts), Decimal(0))
    first_id, first = parts[0]
    return ((first_id, plain(first + rest)), *((m, plain(q)) for m, q in parts[1:]))
