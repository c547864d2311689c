"""The JSON API of pooled lots over real HTTP: needs, lots, commitments, sealed bids."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from events import SettableClock
from marketplace.application import Marketplace
from tests.helpers import ledger_length, register_over_http
from tests.servers import serving
from web.app import create_app

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


@pytest.fixture
def api(marketplace: Marketplace) -> Iterator[httpx.Client]:
    with serving(create_app(marketplace=marketplace)) as base_url, \
            httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def cluster(api: httpx.Client) -> Cluster:
    def party(name: str, roles: list[str], prefecture: str = "Gunma",
              clusters: tuple[str, ...] = (CLUSTER,)) -> Party:
        return Party(*register_over_http(api, name_ja=name, name_en=None, roles=roles,
                                         prefecture=prefecture, capabilities=[],
                                         clusters=list(clusters)))
    return Cluster(organiser=party("高崎プレス", ["buyer"]),
                   buyer=party("前橋金型", ["buyer"]),
                   supplier=party("太田鋼材", ["supplier"]),
                   rival=party("伊勢崎スチール", ["supplier"]),
                   outsider=party("宇都宮商事", ["buyer", "supplier"], "Tochigi", ()))


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


# -- needs ------------------------------------------------------------------------------------

def test_a_buyer_posts_reads_lists_revises_and_withdraws_its_needs(
        api: httpx.Client, cluster: Cluster) -> None:
    me = cluster.buyer

    posted = call(api, me, "POST", "/needs", 201, json={**NEED, "quantity": 1000.5})
    need_id = posted["id"]
    fetched = call(api, me, "GET", f"/needs/{need_id}", 200)
    revised = call(api, me, "PATCH", f"/needs/{need_id}", 200,
                   json={"quantity": "900", "max_unit_price": None})
    listed_open = call(api, me, "GET", "/needs", 200, params={"status": "open"})
    withdrawn = call(api, me, "POST", f"/needs/{need_id}/withdrawal", 200)
    listed_open_after = call(api, me, "GET", "/needs", 200, params={"status": "open"})

    assert posted["quantity"] == "1000.5"
    assert posted["max_unit_price"] == "180"
    assert posted["buyer_id"] == me.id
    assert posted["status"] == "open"
    assert fetched == posted
    assert (revised["quantity"], revised["max_unit_price"]) == ("900", None)
    assert [n["id"] for n in listed_open] == [need_id]
    assert withdrawn["status"] == "withdrawn"
    assert listed_open_after == []
    assert [n["id"] for n in call(api, me, "GET", "/needs", 200)] == [need_id]


def test_another_buyers_need_is_not_found_and_cannot_be_changed(
        api: httpx.Client, cluster: Cluster, migrated_url: str) -> None:
    need_id = call(api, cluster.buyer, "POST", "/needs", 201, json=NEED)["id"]
    other = cluster.organiser.headers
    before = ledger_length(migrated_url)

    responses = [api.get(f"/api/v1/needs/{need_id}", headers=other),
                 api.patch(f"/api/v1/needs/{need_id}", json={"quantity": "1"}, headers=other),
                 api.post(f"/api/v1/needs/{need_id}/withdrawal", headers=other)]

    assert [error(r) for r in responses] == [(404, "not_found")] * 3
    assert call(api, cluster.organiser, "GET", "/needs", 200) == []
    assert ledger_length(migrated_url) == before


# -- lots -------------------------------------------------------------------------------------

def test_a_buyer_opens_a_lot_that_eligible_organisations_find_and_read(
        api: httpx.Client, cluster: Cluster) -> None:
    lot = open_lot(api, cluster.organiser)

    found = call(api, cluster.supplier, "GET", "/lots", 200)
    detail = call(api, cluster.buyer, "GET", f"/lots/{lot['id']}", 200)

    assert lot["category"] == "steel sheet"
    assert lot["closes_at"] == "2026-11-27T08:00:00Z"
    assert lot["thresholds"] == ["1000", "5000"]
    assert lot["prefectures"] == ["JP-10"]
    assert (lot["status"], lot["pooled_quantity"], lot["buyer_count"]) == ("open", "0", 0)
    assert [found_lot["id"] for found_lot in found] == [lot["id"]]
    assert detail == {"lot": lot, "joined": False, "my_commitments": [], "my_bids": []}


def test_the_lot_list_filters_by_category_prefecture_closing_time_and_status(
        api: httpx.Client, cluster: Cluster) -> None:
    soon = open_lot(api, cluster.organiser, closes_at="2026-11-21T09:00:00Z")
    later = open_lot(api, cluster.organiser, category="resin pellets", prefectures=[])
    cancelled = open_lot(api, cluster.organiser)
    call(api, cluster.organiser, "POST", f"/lots/{cancelled['id']}/cancellation", 200,
         json={"reason": "the supplier market moved"})

    def ids(**params: Any) -> list[str]:
        return [lot["id"] for lot in call(api, cluster.buyer, "GET", "/lots", 200, params=params)]

    assert ids() == [soon["id"], later["id"]]
    assert ids(category="ＲＥＳＩＮ pellets") == [later["id"]]
    assert ids(prefecture="栃木県") == [later["id"]]
    assert ids(closing_within_hours=48) == [soon["id"]]
    assert ids(status="cancelled") == [cancelled["id"]]
    assert ids(limit=1, offset=1) == [later["id"]]


def test_the_organiser_cancels_its_lot_and_nobody_else_may(
        api: httpx.Client, cluster: Cluster, migrated_url: str) -> None:
    lot = open_lot(api, cluster.organiser)
    before = ledger_length(migrated_url)

    refused = api.post(f"/api/v1/lots/{lot['id']}/cancellation", json={"reason": "mine now"},
                       headers=cluster.buyer.headers)
    unchanged = ledger_length(migrated_url)
    cancelled = call(api, cluster.organiser, "POST", f"/lots/{lot['id']}/cancellation", 200,
                     json={"reason": "  not enough   demand "})

    assert error(refused) == (403, "not_lot_organiser")
    assert unchanged == before
    assert cancelled["lot"]["status"] == "cancelled"
    assert cancelled["lot"]["cancel_reason"] == "not enough demand"


# -- pooling ----------------------------------------------------------------------------------

def test_a_buyer_pools_changes_and_withdraws_a_commitment(
        api: httpx.Client, cluster: Cluster) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    need_id = call(api, cluster.buyer, "POST", "/needs", 201, json=NEED)["id"]
    path = f"/lots/{lot_id}/commitments"

    committed = call(api, cluster.buyer, "POST", path, 201,
                     json={"need_id": need_id, "quantity": 1000, "max_unit_price": "175.5"})
    changed = call(api, cluster.buyer, "PATCH", f"{path}/{need_id}", 200,
                   json={"quantity": "1200.5"})
    mine = call(api, cluster.buyer, "GET", "/me/commitments", 200)
    need_while_pooled = call(api, cluster.buyer, "GET", f"/needs/{need_id}", 200)
    removed = call(api, cluster.buyer, "DELETE", f"{path}/{need_id}", 204)
    lot_after = call(api, cluster.buyer, "GET", f"/lots/{lot_id}", 200)

    assert (committed["quantity"], committed["max_unit_price"]) == ("1000", "175.5")
    assert (changed["quantity"], changed["max_unit_price"]) == ("1200.5", "175.5")
    assert mine == {"pooled": [changed], "bids": []}
    assert (need_while_pooled["status"], need_while_pooled["lot_id"]) == ("pooled", lot_id)
    assert removed is None
    assert lot_after["lot"]["pooled_quantity"] == "0"
    assert lot_after["my_commitments"] == []
    assert call(api, cluster.buyer, "GET", f"/needs/{need_id}", 200)["status"] == "open"


def test_the_lot_shows_pooled_quantity_buyers_and_progress_but_no_other_buyers_commitment(
        api: httpx.Client, cluster: Cluster) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    pooled(api, cluster.buyer, lot_id, quantity="700")
    pooled(api, cluster.organiser, lot_id, quantity="500.5")
    bid(api, cluster.supplier, lot_id)

    seen_by = {name: call(api, who, "GET", f"/lots/{lot_id}", 200)
               for name, who in (("buyer", cluster.buyer), ("rival", cluster.rival))}

    for detail in seen_by.values():
        lot = detail["lot"]
        assert (lot["pooled_quantity"], lot["buyer_count"], lot["supplier_count"]) == (
            "1200.5", 2, 1)
        assert lot["progress"] == {"reached": ["1000"], "next_threshold": "5000",
                                   "to_next": "3799.5", "fraction": pytest.approx(0.2401)}
        assert "price" not in str(lot)
        assert detail["my_bids"] == []
    assert [c["quantity"] for c in seen_by["buyer"]["my_commitments"]] == ["700"]
    assert seen_by["rival"]["my_commitments"] == []


def test_an_ineligible_organisation_cannot_see_the_lot_nor_pool_into_it_nor_join_it(
        api: httpx.Client, cluster: Cluster, migrated_url: str) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    need_id = call(api, cluster.outsider, "POST", "/needs", 201, json=NEED)["id"]
    before = ledger_length(migrated_url)

    read = api.get(f"/api/v1/lots/{lot_id}", headers=cluster.outsider.headers)
    listed = call(api, cluster.outsider, "GET", "/lots", 200)
    pool = api.post(f"/api/v1/lots/{lot_id}/commitments", json={"need_id": need_id},
                    headers=cluster.outsider.headers)
    join = api.post(f"/api/v1/lots/{lot_id}/suppliers", headers=cluster.outsider.headers)

    assert error(read) == (404, "not_found")
    assert listed == []
    assert error(pool) == (403, "not_eligible")
    assert error(join) == (403, "not_eligible")
    assert ledger_length(migrated_url) == before


# -- suppliers and sealed bids ----------------------------------------------------------------

def test_a_supplier_joins_a_lot_once(api: httpx.Client, cluster: Cluster,
                                     migrated_url: str) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]

    first = call(api, cluster.supplier, "POST", f"/lots/{lot_id}/suppliers", 201)
    after_first = ledger_length(migrated_url)
    again = call(api, cluster.supplier, "POST", f"/lots/{lot_id}/suppliers", 200)

    assert first["joined"] is True
    assert first["lot"]["supplier_count"] == 1
    assert again == first
    assert ledger_length(migrated_url) == after_first


def test_a_supplier_places_revises_and_withdraws_its_bid(
        api: httpx.Client, cluster: Cluster) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]

    placed = bid(api, cluster.supplier, lot_id)
    revised = call(api, cluster.supplier, "PUT", f"/lots/{lot_id}/bids/{placed['id']}", 200,
                   json={**BID, "tiers": [{"from_quantity": 0, "unit_price": "160"}]})
    withdrawn = call(api, cluster.supplier, "DELETE", f"/lots/{lot_id}/bids/{placed['id']}",
                     204)
    after = call(api, cluster.supplier, "GET", f"/bids/{placed['id']}", 200)

    assert placed["tiers"] == [{"from_quantity": "0", "unit_price": "170"},
                               {"from_quantity": "1000", "unit_price": "165.5"}]
    assert (placed["capacity"], placed["minimum_quantity"]) == ("5000", "100")
    assert (placed["lead_id"], placed["status"], placed["counts"]) == (
        cluster.supplier.id, "live", True)
    assert revised["tiers"] == [{"from_quantity": "0", "unit_price": "160"}]
    assert withdrawn is None
    assert (after["status"], after["counts"]) == ("withdrawn", False)


def test_a_sealed_bid_is_seen_by_its_lead_only_not_by_rivals_buyers_or_the_organiser(
        api: httpx.Client, cluster: Cluster) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    pooled(api, cluster.buyer, lot_id)
    placed = bid(api, cluster.supplier, lot_id)

    lead_reads = (call(api, cluster.supplier, "GET", f"/bids/{placed['id']}", 200),
                  call(api, cluster.supplier, "GET", f"/lots/{lot_id}", 200)["my_bids"],
                  call(api, cluster.supplier, "GET", "/bids", 200))
    others = (cluster.rival, cluster.buyer, cluster.organiser, cluster.outsider)

    assert lead_reads == (placed, [placed], [placed])
    for other in others:
        sealed = api.get(f"/api/v1/bids/{placed['id']}", headers=other.headers)
        assert error(sealed) == (404, "not_found")
        assert call(api, other, "GET", "/bids", 200) == []
        lot = api.get(f"/api/v1/lots/{lot_id}", headers=other.headers)
        assert lot.status_code == 404 or lot.json()["my_bids"] == []
        assert "tiers" not in lot.text


def test_a_consortium_member_sees_its_share_accepts_it_and_may_decline_it_again(
        api: httpx.Client, cluster: Cluster) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    members = [{"organisation_id": cluster.supplier.id, "share": "3000"},
               {"organisation_id": cluster.rival.id, "share": 2000}]
    placed = bid(api, cluster.supplier, lot_id, capacity=None, members=members)
    path = f"/lots/{lot_id}/bids/{placed['id']}"

    invited = call(api, cluster.rival, "GET", f"/bids/{placed['id']}", 200)
    accepted = call(api, cluster.rival, "POST", f"{path}/acceptance", 200)
    bound = call(api, cluster.rival, "GET", "/me/commitments", 200)
    declined = call(api, cluster.rival, "POST", f"{path}/decline", 200)

    assert placed["is_consortium"] is True
    assert (placed["capacity"], placed["counts"]) == ("3000", False)
    assert invited == placed
    assert {m["organisation_id"]: m["status"] for m in accepted["members"]} == {
        cluster.supplier.id: "accepted", cluster.rival.id: "accepted"}
    assert (accepted["capacity"], accepted["counts"]) == ("5000", True)
    assert [b["id"] for b in bound["bids"]] == [placed["id"]]
    assert (declined["capacity"], declined["counts"]) == ("3000", False)
    assert call(api, cluster.rival, "GET", "/me/commitments", 200)["bids"] == []
    assert error(api.get(f"/api/v1/bids/{placed['id']}", headers=cluster.buyer.headers)) == (
        404, "not_found")


def test_a_bid_after_close_is_rejected_with_lot_closed_and_nothing_is_recorded(
        api: httpx.Client, cluster: Cluster, clock: SettableClock, migrated_url: str) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    call(api, cluster.supplier, "POST", f"/lots/{lot_id}/suppliers", 201)
    clock.advance(timedelta(days=7, hours=8))  # 2026-11-27 17:00 JST: the close instant
    before = ledger_length(migrated_url)

    late = api.post(f"/api/v1/lots/{lot_id}/bids", json=BID, headers=cluster.supplier.headers)
    listed = call(api, cluster.supplier, "GET", "/lots", 200, params={"status": "closed"})

    assert error(late) == (422, "lot_closed")
    assert "closed at 2026-11-27 17:00 JST" in late.json()["error"]["message"]
    assert ledger_length(migrated_url) == before
    assert [lot["id"] for lot in listed] == [lot_id]


# -- bad input --------------------------------------------------------------------------------

NOBODY: dict[str, str] = {}
FORGED = {"Authorization": "Bearer kyodo_forged"}


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "code"), [
    (NOBODY, "POST", "/lots", LOT, 401, "unauthorised"),
    (FORGED, "POST", "/needs", NEED, 401, "unauthorised"),
    (NOBODY, "GET", "/bids", None, 401, "unauthorised"),
    ("buyer", "POST", "/lots", {**LOT, "colour": "red"}, 400, "invalid_request"),
    ("buyer", "POST", "/lots", {**LOT, "closes_at": "next friday"}, 400, "invalid_request"),
    ("buyer", "POST", "/lots", {**LOT, "closes_at": "2026-11-27T17:00:00"}, 422,
     "close_time_invalid"),
    ("buyer", "POST", "/lots", {**LOT, "closes_at": "2026-11-19T17:00:00Z"}, 422,
     "close_time_invalid"),
    ("buyer", "POST", "/lots", {**LOT, "cluster": None, "prefectures": []}, 422,
     "eligibility_missing"),
    ("buyer", "POST", "/lots", {**LOT, "thresholds": ["5000", "1000"]}, 422,
     "thresholds_not_rising"),
    ("supplier", "POST", "/lots", LOT, 403, "not_a_buyer"),
    ("buyer", "POST", "/needs", {**NEED, "quantity": "a lot"}, 422, "amount_invalid"),
    ("buyer", "POST", "/needs", {**NEED, "quantity": 1.2345}, 422, "amount_invalid"),
    ("buyer", "POST", "/needs", {**NEED, "quantity": "-3"}, 422, "quantity_not_positive"),
    ("buyer", "POST", "/needs", {**NEED, "quantity": True}, 400, "invalid_request"),
    ("buyer", "POST", "/needs", {**NEED, "needed_by": "soon"}, 422, "needed_by_invalid"),
    ("buyer", "POST", "/needs", {**NEED, "unit": "bushel"}, 422, "unknown_unit"),
    ("supplier", "POST", "/needs", NEED, 403, "not_a_buyer"),
    ("buyer", "GET", "/lots?status=sold", None, 400, "invalid_request"),
    ("buyer", "GET", "/lots?prefecture=Mars", None, 422, "unknown_prefecture"),
    ("buyer", "GET", f"/lots/{uuid4()}", None, 404, "not_found"),
    ("buyer", "GET", "/lots/not-a-uuid", None, 404, "not_found"),
    ("supplier", "POST", f"/lots/{uuid4()}/suppliers", None, 404, "not_found"),
    ("buyer", "POST", f"/lots/{uuid4()}/commitments", {"need_id": str(uuid4())}, 404,
     "not_found"),
    ("supplier", "GET", f"/bids/{uuid4()}", None, 404, "not_found"),
])
def test_bad_input_gets_a_clear_error_and_records_nothing(
        api: httpx.Client, cluster: Cluster, migrated_url: str, who: Any, method: str,
        path: str, body: Any, status: int, code: str) -> None:
    headers = getattr(cluster, who).headers if isinstance(who, str) else who
    before = ledger_length(migrated_url)

    response = api.request(method, f"/api/v1{path}", json=body, headers=headers)

    assert error(response) == (status, code), response.text
    assert ledger_length(migrated_url) == before


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"tiers": []}, 422, "tier_schedule_empty"),
    ({"tiers": [{"from_quantity": "0"}]}, 400, "invalid_request"),
    ({"capacity": None}, 422, "capacity_missing"),
    ({"minimum_quantity": "9000"}, 422, "minimum_above_capacity"),
    ({"valid_until": "2026-11-26"}, 422, "bid_expires_before_close"),
    ({"unit": "t"}, 422, "unit_mismatch"),
    ({"currency": "USD"}, 422, "unsupported_currency"),
    ({"lead_time_days": 400}, 422, "lead_time_invalid"),
    ({"capacity": None, "members": [{"organisation_id": "{outsider}", "share": "1"},
                                    {"organisation_id": "{supplier}", "share": "4999"}]},
     422, "consortium_member_not_eligible"),
    ({"capacity": None, "members": [{"organisation_id": "{rival}", "share": "1"},
                                    {"organisation_id": "{rival}", "share": "2"}]},
     400, "invalid_request"),
    # An unknown member is named by the rule for it, not a 404 as if the lot were missing.
    ({"capacity": None, "members": [{"organisation_id": "{unknown}", "share": "1"},
                                    {"organisation_id": "{supplier}", "share": "4999"}]},
     422, "consortium_member_not_supplier"),
])
def test_a_bad_bid_gets_a_clear_error_and_records_nothing(
        api: httpx.Client, cluster: Cluster, migrated_url: str, change: dict[str, Any],
        status: int, code: str) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    call(api, cluster.supplier, "POST", f"/lots/{lot_id}/suppliers", 201)
    ids = {"outsider": cluster.outsider.id, "supplier": cluster.supplier.id,
           "rival": cluster.rival.id, "unknown": str(uuid4())}
    change = {**change, "members": [
        {**member, "organisation_id": member["organisation_id"].format(**ids)}
        for member in change["members"]]} if change.get("members") else change
    before = ledger_length(migrated_url)

    response = api.post(f"/api/v1/lots/{lot_id}/bids", json={**BID, **change},
                        headers=cluster.supplier.headers)

    assert error(response) == (status, code), response.text
    assert ledger_length(migrated_url) == before


def test_a_bid_before_joining_or_a_second_bid_is_refused(
        api: httpx.Client, cluster: Cluster, migrated_url: str) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    bid(api, cluster.supplier, lot_id)
    before = ledger_length(migrated_url)

    unjoined = api.post(f"/api/v1/lots/{lot_id}/bids", json=BID, headers=cluster.rival.headers)
    second = api.post(f"/api/v1/lots/{lot_id}/bids", json=BID,
                      headers=cluster.supplier.headers)

    assert error(unjoined) == (422, "bidder_not_joined")
    assert error(second) == (422, "already_bidding")
    assert ledger_length(migrated_url) == before


def test_a_record_that_keeps_changing_is_a_409_and_nothing_is_recorded(
        api: httpx.Client, cluster: Cluster, marketplace: Marketplace,
        migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # No attempt left: what a command sees after losing every race to other writers.
    monkeypatch.setattr(marketplace, "max_attempts", 0)
    before = ledger_length(migrated_url)

    response = api.post("/api/v1/needs", json=NEED, headers=cluster.buyer.headers)

    assert error(response) == (409, "conflict")
    assert ledger_length(migrated_url) == before
