"""The allocation over real HTTP: who sees what of a cleared lot, and bids' delivery costs."""

from datetime import timedelta

import httpx

from events import SettableClock
from marketplace.application import Marketplace
from tests.lots_api_builders import BID, LOT, Cluster, bid, call, error, open_lot, pooled

#: Delivered to Gunma at 165.5 + 4 from 1000 kg; the rival's 172 delivered is dearer.
WINNER = {**BID, "delivery_costs": {"Gunma": "4", "栃木県": "9"}}
RIVAL = {**BID, "tiers": [{"from_quantity": "0", "unit_price": "172"}]}


def cleared_lot(api: httpx.Client, cluster: Cluster, marketplace: Marketplace,
                clock: SettableClock) -> tuple[str, str, str, str]:
    lot_id = open_lot(api, cluster.organiser)["id"]
    need_id = pooled(api, cluster.buyer, lot_id, quantity="1200", max_unit_price="180")
    winner = bid(api, cluster.supplier, lot_id, **WINNER)["id"]
    rival = bid(api, cluster.rival, lot_id, **RIVAL)["id"]
    clock.advance(timedelta(days=8))
    assert marketplace.close_due_lots()
    return lot_id, need_id, winner, rival


def test_before_its_clearing_a_lot_has_no_allocation_to_show(
        api: httpx.Client, cluster: Cluster) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]

    body = call(api, cluster.organiser, "GET", f"/lots/{lot_id}/allocation", 404)

    assert body["error"]["code"] == "not_found"
    assert "has not been cleared yet" in body["error"]["message"]


def test_the_buyer_sees_its_outcome_the_pool_price_and_every_bid_once_cleared(
        api: httpx.Client, cluster: Cluster, marketplace: Marketplace,
        clock: SettableClock) -> None:
    lot_id, need_id, winner, rival = cleared_lot(api, cluster, marketplace, clock)

    view = call(api, cluster.buyer, "GET", f"/lots/{lot_id}/allocation", 200)

    assert view["status"] == "optimal"
    [outcome] = view["my_needs"]
    assert (outcome["need_id"], outcome["served"], outcome["total"]) == (
        need_id, True, "203400")  # 1200 × 165.5 + 1200 × 4 delivery to Gunma
    assert [(a["bid_id"], a["unit_price"], a["delivery_unit_cost"]) for a in outcome["awards"]] == [
        (winner, "165.5", "4")]
    assert outcome["explanation"].startswith("Served 1200 kg")
    assert view["pool_unit_price"] == "165.50"
    compared = {c["bid"]["id"]: c for c in view["bid_comparison"]}
    assert set(compared) == {winner, rival}
    assert compared[rival]["awarded_quantity"] == "0"
    assert compared[rival]["bid"]["tiers"][0]["unit_price"] == "172"
    assert compared[winner]["bid"]["delivery_costs"] == {"JP-09": "9", "JP-10": "4"}


def test_suppliers_see_their_own_outcome_and_never_a_rivals_price(
        api: httpx.Client, cluster: Cluster, marketplace: Marketplace,
        clock: SettableClock) -> None:
    lot_id, need_id, winner, rival = cleared_lot(api, cluster, marketplace, clock)

    as_winner = call(api, cluster.supplier, "GET", f"/lots/{lot_id}/allocation", 200)
    as_rival = call(api, cluster.rival, "GET", f"/lots/{lot_id}/allocation", 200)

    [won] = as_winner["my_bids"]
    assert (won["bid_id"], won["quantity"], won["tier"]["unit_price"]) == (winner, "1200",
                                                                           "165.5")
    assert [(a["need_id"], a["buyer_id"]) for a in won["awards"]] == [(need_id, cluster.buyer.id)]
    [lost] = as_rival["my_bids"]
    assert (lost["bid_id"], lost["quantity"], lost["binding"]) == (rival, "0", ["price"])
    for view in (as_winner, as_rival):
        assert (view["pool_unit_price"], view["bid_comparison"], view["my_needs"]) == (
            None, [], [])
    call(api, cluster.rival, "GET", f"/bids/{winner}", 404)


def test_an_organisation_the_lot_is_not_open_to_cannot_see_its_allocation(
        api: httpx.Client, cluster: Cluster, marketplace: Marketplace,
        clock: SettableClock) -> None:
    lot_id, _, _, _ = cleared_lot(api, cluster, marketplace, clock)

    call(api, cluster.outsider, "GET", f"/lots/{lot_id}/allocation", 404)


def test_delivery_costs_name_prefectures_and_a_bad_one_is_refused(
        api: httpx.Client, cluster: Cluster) -> None:
    lot_id = open_lot(api, cluster.organiser)["id"]
    call(api, cluster.supplier, "POST", f"/lots/{lot_id}/suppliers", 201)

    unknown = api.post(f"/api/v1/lots/{lot_id}/bids", headers=cluster.supplier.headers,
                       json={**BID, "delivery_costs": {"Atlantis": "4"}})
    negative = api.post(f"/api/v1/lots/{lot_id}/bids", headers=cluster.supplier.headers,
                        json={**BID, "delivery_costs": {"Gunma": "-1"}})

    assert error(unknown) == (422, "unknown_prefecture")
    assert "Atlantis" in unknown.json()["error"]["message"]
    assert error(negative) == (422, "price_not_positive")
    assert call(api, cluster.supplier, "GET", "/bids", 200) == []


def test_a_lot_may_limit_how_many_suppliers_its_clearing_awards(
        api: httpx.Client, cluster: Cluster) -> None:
    limited = open_lot(api, cluster.organiser, max_suppliers=1)
    refused = api.post("/api/v1/lots", headers=cluster.organiser.headers,
                       json={**LOT, "max_suppliers": 0})

    assert limited["max_suppliers"] == 1
    assert error(refused) == (422, "max_suppliers_invalid")
