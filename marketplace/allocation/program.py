"""The mixed-integer program that clears a lot, and its solve through HiGHS.

The formulation, and why it is small (see docs/allocation.md, "The program"):

- Buyers in one region are interchangeable for cost: delivery is priced per bid and region,
  and goods per bid. So supply is decided per region × bid, not per buyer × bid, and split
  among the region's buyers afterwards. That turns 200 × 30 award variables into at most
  (regions × 30).
- All-units tiers need only lower bounds: the quantity ``Q[s,t]`` sent to bid ``s`` at tier
  ``t`` is at least the tier's start (and the bid's minimum) when ``y[s,t]`` is 1. A quantity
  that qualifies for a later tier may sit in an earlier one, but never profitably, since
  prices never rise with volume; so no upper tier bounds and no epsilon are needed, and the
  LP relaxation is already the convex envelope of each bid's cost.
- A buyer is served in full or not at all (``z[b]``). When every need can be served, the
  ``z`` are fixed to 1 and the program is a pure cost minimisation.
- Its goals are solved in turn, each held while the next is solved (`solve`): the most
  quantity served, then the least cost, then the tie-break (earlier bids and buyers first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import highspy
import numpy as np

from marketplace.allocation.inputs import BidOffer, BuyerNeed, Options, Tier

#: Pinned so the same input gives the same solve on every machine: one thread, one seed,
#: an optimality gap far below a yen on any real lot, and limits that end a runaway solve.
SOLVER_OPTIONS: dict[str, bool | int | float | str] = {
    "output_flag": False,
    "threads": 1,
    "random_seed": 0,
    "mip_rel_gap": 1e-9,
    "mip_abs_gap": 1e-6,
    "time_limit": 60.0,
    "mip_max_nodes": 1_000_000,
    "presolve": "on",
}

#: Half the 0.001 grid quantities are on (domain.items.QUANTITY_PLACES).
HALF_QUANTUM = 0.0005
#: How far above the least cost the tie-break may go. Prices are to 0.01 and quantities to
#: 0.001, so two allocations' costs differ by 0 or by at least 0.00001: this admits only the
#: equally cheap ones. And as each unit moved between supply lines changes the cost by 0 or at
#: least 0.01, the slack moves a solution at most 0.0001 off the grid, which rounding undoes.
COST_SLACK = 1e-6


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    LIMIT_REACHED = "limit_reached"  # a solution was found, but not proven optimal


@dataclass(frozen=True)
class Solution:
    """What the solver returned, in the solver's floats; `clearing` turns it into decimals."""

    status: SolveStatus
    supply: dict[tuple[str, int], float]  # (region, bid index) -> quantity
    served: tuple[bool, ...]  # per buyer
    tiers: dict[int, int]  # bid index -> tier index chosen
    objective: float
    gap: float


def settings() -> dict[str, bool | int | float | str]:
    """The pinned settings as recorded with a result: the tie-break solve runs unpresolved."""
    return {**SOLVER_OPTIONS, "tie_break_presolve": "off"}


def solver_version() -> str:
    return str(highspy.Highs().version())  # type: ignore[no-untyped-call]


class _Columns:
    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []

    def add(self, cost: float, upper: float, *, integer: bool = False, lower: float = 0.0) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(1 if integer else 0)
        return len(self.cost) - 1


class _Rows:
    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.entries: list[list[tuple[int, float]]] = []

    def add(self, entries: list[tuple[int, float]], lower: float, upper: float) -> None:
        self.entries.append(entries)
        self.lower.append(lower)
        self.upper.append(upper)


def solve(buyers: Sequence[BuyerNeed], bids: Sequence[BidOffer], options: Options, *,
          serve_all: bool) -> Solution:
    """Minimum-cost supply of ``buyers`` from ``bids``.

    ``serve_all``: every buyer is served (infeasible if that cannot be); otherwise the program
    serves the most quantity it can and, among those, at least cost.

    The goals are lexicographic, so they are solved one after the other, each held as a
    constraint while the next is solved: the most quantity (unless ``serve_all``), the least
    cost, then the tie-break of rule 5 (earlier bids and buyers first). One weighted objective
    cannot do it: a weight per unit served that outweighs every cost difference between
    allocations would swamp the costs in floating point.
    """
    if not sum((b.quantity for b in buyers), Decimal(0)):
        return _nothing_served(len(buyers))
    model = _build(buyers, bids, options, serve_all=serve_all)
    runs: list[_Run] = []
    if not serve_all:
        most = _run(model, model.quantity_objective())
        if not most.found:
            return _nothing_served(len(buyers))
        # Quantities are on the 0.001 grid: serving less means serving at least 0.001 less.
        _hold(model, model.quantity_objective(), most, slack=HALF_QUANTUM)
        runs.append(most)
    cheapest = _run(model, model.columns.cost, runs)
    if not cheapest.found:
        return _nothing_served(len(buyers))
    runs.append(cheapest)
    if cheapest.gap * abs(cheapest.objective) <= COST_SLACK:
        # Only an optimum proven to the slack is held: a looser one would let the tie-break
        # spend the difference on fractional moves, off the 0.001 grid `clearing` rounds to.
        _hold(model, model.columns.cost, cheapest, slack=COST_SLACK)
        # HiGHS's MIP presolve proves a later bid "optimal" here when an earlier one is as
        # cheap (the held cost row over the tier links; cf. HiGHS issue #3094); solved
        # without it, the tie-break is right, and quick since the cost row already bounds it.
        tie_break = _run(model, model.tie_break_objective(), runs, presolve=False)
        if tie_break.found:
            runs.append(tie_break)
    values = runs[-1].values
    return Solution(
        status=(SolveStatus.OPTIMAL if all(r.status is SolveStatus.OPTIMAL for r in runs)
                else SolveStatus.LIMIT_REACHED),
        supply={(model.regions[r], s): values[column]
                for (r, s), column in model.supply.items() if values[column] > 1e-9},
        served=tuple(True for _ in buyers) if serve_all else tuple(
            values[column] > 0.5 for column in model.served),
        tiers={s: t for s, tiers in model.tier_columns.items() for (t, _, y) in tiers
               if values[y] > 0.5},
        objective=_value(model.columns.cost, values), gap=cheapest.gap)


def _nothing_served(buyers: int) -> Solution:
    return Solution(status=SolveStatus.INFEASIBLE, supply={}, served=(False,) * buyers,
                    tiers={}, objective=0.0, gap=0.0)


@dataclass
class _Model:
    """The program's columns and rows, with where to find each kind of column."""

    columns: _Columns
    rows: _Rows
    regions: list[str]
    supply: dict[tuple[int, int], int]  # (region index, bid index) -> column
    tier_columns: dict[int, list[tuple[int, int, int]]]  # bid index -> [(tier, Q, y)]
    served: list[int]  # buyer index -> its z column (empty when every buyer is served)
    quantities: list[float]  # buyer index -> quantity

    def quantity_objective(self) -> list[float]:
        """Minus the quantity served: minimising it serves the most."""
        objective = [0.0] * len(self.columns.cost)
        for column, wanted in zip(self.served, self.quantities, strict=True):
            objective[column] = -wanted
        return objective

    def tie_break_objective(self) -> list[float]:
        """Rule 5: each unit costs its bid's place in the input, each served unit its buyer's.

        Among equally cheap allocations, moving supply to an earlier bid, or serving an earlier
        buyer instead of a later one of the same quantity, always lowers this.
        """
        objective = [0.0] * len(self.columns.cost)
        for (_, s), column in self.supply.items():
            objective[column] = float(s + 1)
        for i, column in enumerate(self.served):
            objective[column] = float(i + 1) * self.quantities[i]
        return objective


@dataclass(frozen=True)
class _Run:
    status: SolveStatus
    values: list[float]
    objective: float
    gap: float

    @property
    def found(self) -> bool:
        return self.status is not SolveStatus.INFEASIBLE


def _build(buyers: Sequence[BuyerNeed], bids: Sequence[BidOffer], options: Options, *,
           serve_all: bool) -> _Model:
    regions = list(dict.fromkeys(b.region for b in buyers))
    region_of = {region: index for index, region in enumerate(regions)}
    demand = [Decimal(0)] * len(regions)
    for buyer in buyers:
        demand[region_of[buyer.region]] += buyer.quantity

    columns, rows = _Columns(), _Rows()
    supply: dict[tuple[int, int], int] = {}
    for s, bid in enumerate(bids):
        for r, region in enumerate(regions):
            if bid.delivers_to(region):
                supply[r, s] = columns.add(float(bid.delivery_to(region)),
                                           float(min(bid.capacity, demand[r])))
    tier_columns: dict[int, list[tuple[int, int, int]]] = {}  # s -> [(t, Q, y)]
    for s, bid in enumerate(bids):
        reach = min(float(bid.capacity),
                    float(sum((demand[r] for (r, b) in supply if b == s), Decimal(0))))
        for t, tier in _usable_tiers(bid, reach):
            quantity_column = columns.add(float(tier.unit_price), reach)
            chosen = columns.add(0.0, 1.0, integer=True)
            tier_columns.setdefault(s, []).append((t, quantity_column, chosen))
            start = float(max(tier.min_quantity, bid.min_quantity))
            rows.add([(quantity_column, 1.0), (chosen, -start)], 0.0, highspy.kHighsInf)
            rows.add([(quantity_column, 1.0), (chosen, -reach)], -highspy.kHighsInf, 0.0)
        chosen_tiers = [(y, 1.0) for (_, _, y) in tier_columns.get(s, [])]
        if chosen_tiers:
            rows.add(chosen_tiers, -highspy.kHighsInf, 1.0)
        balance = [(column, 1.0) for (r, b), column in supply.items() if b == s]
        balance += [(q, -1.0) for (_, q, _) in tier_columns.get(s, [])]
        rows.add(balance, 0.0, 0.0)

    served_columns = [] if serve_all else [columns.add(0.0, 1.0, integer=True) for _ in buyers]
    for r in range(len(regions)):
        entries = [(column, 1.0) for (region, _), column in supply.items() if region == r]
        if serve_all:
            rows.add(entries, float(demand[r]), float(demand[r]))
        else:
            entries += [(served_columns[i], -float(b.quantity))
                        for i, b in enumerate(buyers) if region_of[b.region] == r]
            rows.add(entries, 0.0, 0.0)
    if options.max_suppliers is not None:
        rows.add([(y, 1.0) for tiers in tier_columns.values() for (_, _, y) in tiers],
                 -highspy.kHighsInf, float(options.max_suppliers))
    return _Model(columns=columns, rows=rows, regions=regions, supply=supply,
                  tier_columns=tier_columns, served=served_columns,
                  quantities=[float(b.quantity) for b in buyers])


def _run(model: _Model, objective: list[float], before: Sequence[_Run] = (), *,
         presolve: bool = True) -> _Run:
    """Solves the model for ``objective``, starting from the last solution found before."""
    highs = _load(model.columns, model.rows, objective)
    if not presolve:
        highs.setOptionValue("presolve", "off")
    if before:
        start = highspy.HighsSolution()
        start.col_value = before[-1].values
        start.value_valid = True
        highs.setSolution(start)
    highs.run()
    status = _status(highs)
    if status is SolveStatus.INFEASIBLE:
        return _Run(status=status, values=[], objective=0.0, gap=0.0)
    values = list(highs.getSolution().col_value)
    return _Run(status=status, values=values, objective=_value(objective, values),
                gap=max(0.0, float(highs.getInfo().mip_gap)))


def _hold(model: _Model, objective: list[float], run: _Run, *, slack: float) -> None:
    """Keeps later solves within ``slack`` of what ``run`` reached for ``objective``."""
    model.rows.add([(column, weight) for column, weight in enumerate(objective) if weight],
                   -highspy.kHighsInf, run.objective + slack)


def _value(objective: list[float], values: list[float]) -> float:
    return sum(weight * value for weight, value in zip(objective, values, strict=True))


def _usable_tiers(bid: BidOffer, reach: float) -> list[tuple[int, Tier]]:
    """Tiers the bid's award can end in: above its minimum's tier, and within reach."""
    usable: list[tuple[int, Tier]] = []
    for t, tier in enumerate(bid.tiers):
        later = bid.tiers[t + 1].min_quantity if t + 1 < len(bid.tiers) else None
        if later is not None and later <= bid.min_quantity:
            continue  # any award the bid accepts already reaches the next, cheaper tier
        if float(max(tier.min_quantity, bid.min_quantity)) > reach:
            continue
        usable.append((t, tier))
    return usable


def _load(columns: _Columns, rows: _Rows, objective: list[float]) -> highspy.Highs:
    lp = highspy.HighsLp()
    lp.num_col_ = len(columns.cost)
    lp.num_row_ = len(rows.lower)
    lp.col_cost_ = np.array(objective, dtype=np.float64)
    lp.col_lower_ = np.array(columns.lower, dtype=np.float64)
    lp.col_upper_ = np.array(columns.upper, dtype=np.float64)
    lp.row_lower_ = np.array(rows.lower, dtype=np.float64)
    lp.row_upper_ = np.array(rows.upper, dtype=np.float64)
    by_column: list[list[tuple[int, float]]] = [[] for _ in columns.cost]
    for row, entries in enumerate(rows.entries):
        for column, coefficient in entries:
            by_column[column].append((row, coefficient))
    starts: list[int] = [0]
    index: list[int] = []
    values: list[float] = []
    for entries in by_column:
        for row, coefficient in entries:
            index.append(row)
            values.append(coefficient)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(values, dtype=np.float64)
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.integrality_ = [highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
                       for flag in columns.integer]
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    for name, setting in SOLVER_OPTIONS.items():
        highs.setOptionValue(name, setting)
    highs.passModel(lp)
    return highs


def _status(highs: highspy.Highs) -> SolveStatus:
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return SolveStatus.OPTIMAL
    if highs.getInfo().primal_solution_status == 2:  # kSolutionStatusFeasible
        return SolveStatus.LIMIT_REACHED
    return SolveStatus.INFEASIBLE
