"""The JSON API of pooled lots over real HTTP: suppliers, sealed bids, and bad input."""

from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from events import SettableClock
from marketplace.application import Marketplace
from tests.helpers import ledger_length
from tests.lots_api_builders import BID, LOT, NEED, Cluster, bid, call, error, open_lot, pooled

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
