"""The JSON API of pooled lots over real HTTP: needs, lots and commitments."""

from typing import Any

import httpx
import pytest

from tests.helpers import ledger_length
from tests.lots_api_builders import NEED, Cluster, bid, call, error, open_lot, pooled

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
