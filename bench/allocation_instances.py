"""Generated clearing instances for `make bench`: buyers × suppliers × tiers with delivery costs.

A regional cluster: buyers spread over ten prefectures of Kanto and its neighbours, suppliers
with four (or five) all-units tiers each 3-8 % cheaper than the one before, minimum awards,
and a delivery cost to every prefecture. About one buyer in ten sets a max price that the
pool cannot meet, so the clearing's leave-out rule is exercised too.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

REGIONS = ("gunma", "tochigi", "ibaraki", "saitama", "chiba", "tokyo", "kanagawa", "nagano",
           "niigata", "yamanashi")


def instance(buyers: int, suppliers: int, tiers: int, *, seed: int = 1) -> dict[str, Any]:
    """The input document of one generated instance (the format of docs/allocation.md)."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible instance, not a secret)
    buyer_rows = []
    for index in range(buyers):
        wanted = rng.randint(50, 2000)
        tight = rng.random() < 0.1
        max_price = rng.randint(240, 290) if tight else rng.randint(330, 420)
        buyer_rows.append({"id": f"b{index:04d}", "quantity": str(wanted),
                           "max_unit_price": str(max_price), "region": rng.choice(REGIONS)})
    demand = sum(int(row["quantity"]) for row in buyer_rows)
    bid_rows = []
    for index in range(suppliers):
        capacity = rng.randint(demand // suppliers, 3 * demand // suppliers)
        price = Decimal(rng.randint(300, 360))
        start = rng.randint(capacity // 20, capacity // 8)
        rows = [{"min_quantity": "0", "unit_price": str(price)}]
        for _ in range(tiers - 1):
            price = (price * Decimal(1 - rng.uniform(0.03, 0.08))).quantize(Decimal(1))
            rows.append({"min_quantity": str(start), "unit_price": str(price)})
            start = min(capacity, start * 2)
        bid_rows.append({"id": f"s{index:03d}", "capacity": str(capacity),
                         "min_quantity": str(rng.choice([0, 100, 300, 500])),
                         "tiers": _rising(rows),
                         "delivery_cost": {region: str(rng.randint(2, 25))
                                           for region in REGIONS}})
    return {"currency": "JPY", "unit": "kg", "buyers": buyer_rows, "bids": bid_rows,
            "options": {"max_suppliers": None}}


def _rising(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    kept: list[dict[str, str]] = []
    for row in rows:
        if not kept or Decimal(row["min_quantity"]) > Decimal(kept[-1]["min_quantity"]):
            kept.append(row)
    return kept
