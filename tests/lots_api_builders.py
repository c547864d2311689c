"""Builders for the lots API tests: parties with their tokens, and calls that check the status."""

from dataclasses import dataclass
from typing import Any

import httpx

CLUSTER = "gunma-press-kai"
LOT = {"category": "Steel sheet", "specification": "SPCC 1.0mm cold rolled", "unit": "kg",
       "closes_at": "2026-11-27T17:00:00+09:00", "cluster": CLUSTER, "prefectures": ["Gunma"],
       "thresholds": ["1000", 5000]}
NEED = {"category": "steel sheet", "specification": "SPCC 1.0mm 1219x2438", "unit": "kg",
        "quantity": "1200.5", "needed_by": "2026-12-15", "delivery_prefecture": "Gunma",
        "max_unit_price": "180"}
BID = {"tiers": [{"from_quantity": "0", "unit_price": "170"},
                 {"from_quantity": 1000, "unit_price": 165.5}],
       "capacity": "5000", "minimum_quantity": "100", "lead_time_days": 10,
       "valid_until": "2026-12-31"}


@dataclass(frozen=True)
class Party:
    id: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Cluster:
    """Two buyers and two suppliers of one cluster, and an outsider from another prefecture."""

    organiser: Party
    buyer: Party
    supplier: Party
    rival: Party
    outsider: Party


def call(api: httpx.Client, who: Party, method: str, path: str, expect: int,
         **kwargs: Any) -> Any:
    response = api.request(method, f"/api/v1{path}", headers=who.headers, **kwargs)
    assert response.status_code == expect, response.text
    return response.json() if response.content else None


def open_lot(api: httpx.Client, who: Party, **overrides: Any) -> dict[str, Any]:
    detail: dict[str, Any] = call(api, who, "POST", "/lots", 201, json={**LOT, **overrides})
    return detail["lot"]


def pooled(api: httpx.Client, who: Party, lot_id: str, **need: Any) -> str:
    need_id: str = call(api, who, "POST", "/needs", 201, json={**NEED, **need})["id"]
    call(api, who, "POST", f"/lots/{lot_id}/commitments", 201, json={"need_id": need_id})
    return need_id


def bid(api: httpx.Client, who: Party, lot_id: str, **terms: Any) -> dict[str, Any]:
    call(api, who, "POST", f"/lots/{lot_id}/suppliers", 201)
    placed: dict[str, Any] = call(api, who, "POST", f"/lots/{lot_id}/bids", 201,
                                  json={**BID, **terms})
    return placed


def error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]
