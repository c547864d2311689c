"""Builders for the RFQ API tests: a buyer, suppliers, an outsider, and calls that issue and quote.

Prices (line 1: steel sheet, 800 kg, amended to 1000 in the flow; line 2: bolts, 50 pcs):
A 190 from 500 kg and 33.5; B 185.5 for line 1 only; C 180 from 1000 kg (200 below) and
33.35; the late quote D prices line 2 only, at 30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.helpers import register_over_http
from tests.lots_api_builders import Party, call

CLUSTER = "takasaki-kikai"
VALID = "2026-12-31"
SHEET = {"category": "steel sheet", "specification": "SPCC 1.0mm 1219x2438", "unit": "kg",
         "quantity": "800", "needed_by": "2026-12-15", "delivery_prefecture": "Gunma"}
BOLTS = {"category": "bolts", "specification": "M8x20 zinc plated", "unit": "pcs",
         "quantity": 50, "needed_by": "2026-12-15", "delivery_prefecture": "Gunma"}

QUOTE_A = [{"line": 1, "price_breaks": [{"from_quantity": 0, "unit_price": 210},
                                        {"from_quantity": 500, "unit_price": 190}],
            "lead_time_days": 12, "valid_until": VALID, "notes": "mill certificate"},
           {"line": 2, "unit_price": "33.5", "lead_time_days": 3, "valid_until": VALID}]
QUOTE_B = [{"line": 1, "unit_price": 185.5, "lead_time_days": 10, "valid_until": VALID}]
QUOTE_C = [{"line": 1, "price_breaks": [{"from_quantity": "0", "unit_price": "200"},
                                        {"from_quantity": "1000", "unit_price": "180"}],
            "lead_time_days": 10, "valid_until": VALID},
           {"line": 2, "unit_price": "33.35", "lead_time_days": 5, "valid_until": VALID}]
QUOTE_LATE = [{"line": 2, "unit_price": 30, "lead_time_days": 7, "valid_until": VALID}]


@dataclass(frozen=True)
class Firms:
    """A buyer and suppliers of one cluster; ``outsider`` a supplier of another prefecture."""

    buyer: Party
    a: Party
    b: Party
    c: Party
    late: Party
    outsider: Party


def firms(api: httpx.Client) -> Firms:
    def party(name: str, roles: list[str], prefecture: str = "Gunma",
              clusters: tuple[str, ...] = (CLUSTER,)) -> Party:
        return Party(*register_over_http(api, name_ja=name, name_en=None, roles=roles,
                                         prefecture=prefecture, capabilities=[],
                                         clusters=list(clusters)))
    return Firms(buyer=party("高崎プレス", ["buyer"]), a=party("足利鋼材", ["supplier"]),
                 b=party("別府ボルト", ["supplier"]), c=party("秩父金属", ["supplier"]),
                 late=party("館林工業", ["supplier"]),
                 outsider=party("大阪商事", ["supplier"], "Osaka", ("kansai-kinzoku",)))


def issue(api: httpx.Client, buyer: Party, closes_at: datetime,
          **overrides: Any) -> dict[str, Any]:
    """Posts the two needs and issues an RFQ on them; the RFQ's detail."""
    need_ids = [call(api, buyer, "POST", "/needs", 201, json=need)["id"]
                for need in (SHEET, BOLTS)]
    body = {"need_ids": need_ids, "title": "SPCC sheet and bolts", "closes_at":
            closes_at.isoformat(), **overrides}
    detail: dict[str, Any] = call(api, buyer, "POST", "/rfqs", 201, json=body)
    return detail


def deadline(now: datetime) -> datetime:
    return now + timedelta(days=3)


def quote(api: httpx.Client, who: Party, rfq_id: str, lines: list[dict[str, Any]],
          expect: int = 201) -> Any:
    return call(api, who, "POST", f"/rfqs/{rfq_id}/quotes", expect, json={"lines": lines})
