"""The pooling suggestions API over real HTTP: reading suggestions, and acting on them."""

from typing import Any

import httpx
import pytest

from tests.helpers import ledger_length, register_over_http
from tests.lots_api_builders import CLUSTER, NEED, Cluster, Party, call, error

SUGGESTIONS = "/pooling-suggestions"


def suggestions_of(need_id: str) -> str:
    return f"/needs/{need_id}/pooling-suggestions"


def start_lot(need_id: str) -> str:
    return f"/needs/{need_id}/pooling-suggestions/lot"


def post_need(api: httpx.Client, who: Party, **fields: Any) -> str:
    need_id: str = call(api, who, "POST", "/needs", 201, json={**NEED, **fields})["id"]
    return need_id


def follow(api: httpx.Client, who: Party, accept: dict[str, Any], expect: int) -> Any:
    assert accept["method"] == "POST"
    return call(api, who, "POST", accept["path"].removeprefix("/api/v1"), expect,
                json=accept["body"])


def test_buyers_follow_their_suggestions_into_one_lot_each_by_its_own_request(
        api: httpx.Client, cluster: Cluster) -> None:
    mine = post_need(api, cluster.buyer)
    theirs = post_need(api, cluster.organiser, quantity="500")

    [suggestion] = call(api, cluster.buyer, "GET", SUGGESTIONS, 200)
    for_my_need = call(api, cluster.buyer, "GET", suggestions_of(mine), 200)
    started = follow(api, cluster.buyer, suggestion["accept"], 201)
    [theirs_now] = call(api, cluster.organiser, "GET", suggestions_of(theirs), 200)
    joined = follow(api, cluster.organiser, theirs_now["accept"], 201)

    assert for_my_need == [suggestion]
    assert (suggestion["kind"], suggestion["need_id"], suggestion["buyer_count"]) == (
        "new_lot", mine, 2)
    assert suggestion["key"] == f"need:{mine}:new-lot"
    assert suggestion["new_lot"] == {"other_buyers": 1, "others_quantity": None,
                                     "closes_at": "2026-11-27T08:00:00Z", "cluster": CLUSTER,
                                     "prefectures": []}
    assert suggestion["accept"] == {"method": "POST", "path": f"/api/v1{start_lot(mine)}",
                                    "body": {}}
    lot = started["lot"]
    assert (lot["organiser_id"], lot["pooled_quantity"], lot["buyer_count"]) == (
        cluster.buyer.id, "1200.5", 1)
    assert [c["need_id"] for c in started["my_commitments"]] == [mine]
    assert (theirs_now["kind"], theirs_now["lot"], theirs_now["new_lot"]) == (
        "existing_lot", lot, None)
    assert theirs_now["accept"] == {"method": "POST",
                                    "path": f"/api/v1/lots/{lot['id']}/commitments",
                                    "body": {"need_id": theirs}}
    assert (joined["need_id"], joined["quantity"]) == (theirs, "500")
    assert call(api, cluster.buyer, "GET", SUGGESTIONS, 200) == []
    assert call(api, cluster.organiser, "GET", SUGGESTIONS, 200) == []
    assert call(api, cluster.buyer, "GET", suggestions_of(mine), 200) == []


def test_suggestions_never_show_who_the_other_buyers_are_nor_one_buyers_need(
        api: httpx.Client, cluster: Cluster) -> None:
    third = Party(*register_over_http(api, name_ja="桐生織物", name_en=None, roles=["buyer"],
                                      prefecture="Gunma", capabilities=[], clusters=[CLUSTER]))
    post_need(api, cluster.buyer)
    secret = post_need(api, cluster.organiser, quantity="777.7", needed_by="2026-12-20")

    alone = api.get(f"/api/v1{SUGGESTIONS}", headers=cluster.buyer.headers)
    other = post_need(api, third, quantity="123.4")
    together = api.get(f"/api/v1{SUGGESTIONS}", headers=cluster.buyer.headers)

    for response in (alone, together):
        assert response.status_code == 200
        for private in (cluster.organiser.id, third.id, secret, other, "777.7", "123.4",
                        "2026-12-20"):
            assert private not in response.text
    assert [s["new_lot"]["others_quantity"] for s in alone.json()] == [None]
    assert [s["new_lot"]["others_quantity"] for s in together.json()] == ["900"]


def test_only_the_needs_buyer_sees_its_suggestions_and_only_buyers_see_any(
        api: httpx.Client, cluster: Cluster, migrated_url: str) -> None:
    need_id = post_need(api, cluster.buyer)
    post_need(api, cluster.organiser)
    before = ledger_length(migrated_url)

    anonymous = api.get(f"/api/v1{SUGGESTIONS}")
    supplier = api.get(f"/api/v1{SUGGESTIONS}", headers=cluster.supplier.headers)
    supplier_on_need = api.get(f"/api/v1{suggestions_of(need_id)}",
                               headers=cluster.supplier.headers)
    other_buyer = api.get(f"/api/v1{suggestions_of(need_id)}",
                          headers=cluster.organiser.headers)
    unknown = api.get(f"/api/v1{suggestions_of('00000000-0000-4000-8000-000000000000')}",
                      headers=cluster.buyer.headers)
    other_starts = api.post(f"/api/v1{start_lot(need_id)}", json={},
                            headers=cluster.organiser.headers)
    supplier_starts = api.post(f"/api/v1{start_lot(need_id)}", json={},
                               headers=cluster.supplier.headers)

    assert error(anonymous) == (401, "unauthorised")
    assert error(supplier) == (403, "not_a_buyer")
    assert error(supplier_on_need) == (403, "not_a_buyer")
    assert error(other_buyer) == (404, "not_found")
    assert error(unknown) == (404, "not_found")
    assert error(other_starts) == (404, "not_found")
    assert error(supplier_starts) == (404, "not_found")
    assert ledger_length(migrated_url) == before


@pytest.mark.parametrize(("body", "expected"), [
    ({"closes_at": "2026-12-01T17:00:00"}, (422, "close_time_invalid")),
    ({"closes_at": "2026-12-15T09:00:00+09:00"}, (422, "lot_closes_after_needed_by")),
    ({"closes_at": "next friday"}, (400, "invalid_request")),
    ({"prefectures": ["Atlantis"]}, (422, "unknown_prefecture")),
    ({"prefectures": ["Tochigi"]}, (403, "not_eligible")),
    ({"thresholds": [5000, 1000]}, (422, "thresholds_not_rising")),
    ({"max_suppliers": 0}, (422, "max_suppliers_invalid")),
    ({"need_id": "00000000-0000-4000-8000-000000000000"}, (400, "invalid_request")),
])
def test_terms_that_cannot_open_the_lot_are_refused_and_nothing_is_recorded(
        api: httpx.Client, cluster: Cluster, migrated_url: str, body: dict[str, Any],
        expected: tuple[int, str]) -> None:
    need_id = post_need(api, cluster.buyer)
    post_need(api, cluster.organiser)
    before = ledger_length(migrated_url)

    response = api.post(f"/api/v1{start_lot(need_id)}", json=body,
                        headers=cluster.buyer.headers)

    assert error(response) == expected
    assert ledger_length(migrated_url) == before
    assert call(api, cluster.buyer, "GET", f"/needs/{need_id}", 200)["status"] == "open"


def test_a_stale_suggestion_is_refused_and_nothing_is_recorded(
        api: httpx.Client, cluster: Cluster, migrated_url: str) -> None:
    mine = post_need(api, cluster.buyer)
    theirs = post_need(api, cluster.organiser)
    [suggestion] = call(api, cluster.buyer, "GET", SUGGESTIONS, 200)
    call(api, cluster.organiser, "POST", f"/needs/{theirs}/withdrawal", 200)
    before = ledger_length(migrated_url)

    partners_gone = api.post(suggestion["accept"]["path"], headers=cluster.buyer.headers)
    call(api, cluster.buyer, "POST", f"/needs/{mine}/withdrawal", 200)
    withdrawn = api.post(suggestion["accept"]["path"], json={}, headers=cluster.buyer.headers)

    assert error(partners_gone) == (422, "pooling_partners_gone")
    assert error(withdrawn) == (422, "need_withdrawn")
    assert ledger_length(migrated_url) == before + 1  # the withdrawal only


def test_starting_a_lot_again_with_the_same_idempotency_key_is_answered_not_repeated(
        api: httpx.Client, cluster: Cluster, migrated_url: str) -> None:
    need_id = post_need(api, cluster.buyer)
    post_need(api, cluster.organiser)
    headers = {**cluster.buyer.headers, "Idempotency-Key": "start-lot-1"}
    body = {"closes_at": "2026-12-04T17:00:00+09:00", "thresholds": ["1000", 5000]}

    first = api.post(f"/api/v1{start_lot(need_id)}", json=body, headers=headers)
    after_first = ledger_length(migrated_url)
    again = api.post(f"/api/v1{start_lot(need_id)}", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ledger_length(migrated_url) == after_first
    assert first.json()["lot"]["closes_at"] == "2026-12-04T08:00:00Z"
    assert first.json()["lot"]["thresholds"] == ["1000", "5000"]
