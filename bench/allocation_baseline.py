"""The straightforward model our engine is measured against: PuLP and CBC, as written by hand.

One award variable per buyer × supplier, all-units tiers as [start, next start − ε) intervals
chosen by binaries, a binary per supplier for its minimum award, every buyer served in full.
It solves the same instance to the same optimum (checked in the bench); it does not apply the
max-price or alone-price rules, so it does strictly less work than the engine.
"""

from __future__ import annotations

from typing import Any

import pulp

EPSILON = 1e-3


def solve(document: dict[str, Any]) -> float:
    """Builds and solves the model; returns the minimum total cost."""
    buyers, bids = document["buyers"], document["bids"]
    model = pulp.LpProblem("baseline", pulp.LpMinimize)
    award = {(b["id"], s["id"]): pulp.LpVariable(f"x_{b['id']}_{s['id']}", lowBound=0)
             for b in buyers for s in bids}
    cost = []
    for s in bids:
        capacity = float(s["capacity"])
        total = pulp.lpSum(award[b["id"], s["id"]] for b in buyers)
        used = pulp.LpVariable(f"u_{s['id']}", cat="Binary")
        model += total <= capacity * used
        model += total >= float(s["min_quantity"]) * used
        tiers = s["tiers"]
        in_tier = []
        for t, tier in enumerate(tiers):
            start = float(tier["min_quantity"])
            end = float(tiers[t + 1]["min_quantity"]) - EPSILON if t + 1 < len(tiers) else capacity
            chosen = pulp.LpVariable(f"y_{s['id']}_{t}", cat="Binary")
            amount = pulp.LpVariable(f"q_{s['id']}_{t}", lowBound=0)
            model += amount >= start * chosen
            model += amount <= end * chosen
            in_tier.append((chosen, amount))
            cost.append(float(tier["unit_price"]) * amount)
        model += pulp.lpSum(chosen for chosen, _ in in_tier) <= 1
        model += pulp.lpSum(amount for _, amount in in_tier) == total
        for b in buyers:
            delivery = float(s["delivery_cost"][b["region"]])
            cost.append(delivery * award[b["id"], s["id"]])
    for b in buyers:
        model += pulp.lpSum(award[b["id"], s["id"]] for s in bids) == float(b["quantity"])
    model += pulp.lpSum(cost)
    model.solve(pulp.PULP_CBC_CMD(msg=False, threads=1))
    if pulp.LpStatus[model.status] != "Optimal":
        raise RuntimeError(f"the baseline ended {pulp.LpStatus[model.status]}")
    return float(pulp.value(model.objective))
