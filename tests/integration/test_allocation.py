"""A lot is cleared when its close is recorded: on the ledger, in the read model, per viewer."""

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from events import SettableClock, rebuild_read_models
from marketplace.application import Marketplace
from marketplace.commands import clearing
from marketplace.domain import lot_rules as rules
from marketplace.domain.lot import Lot
from tests.helpers import read_model_rows
from tests.lots_builders import BID_TERMS, a_cluster, bid_alone, open_lot, post_need

#: Tier 2 of the first bid (180 from 1000 kg) beats the second's 185: the pool of 1200 kg
#: reaches it. Alone, 600 kg gets 195 at best (the second bid's tier 1): 117,000 against
#: the pool's 600 × 180 = 108,000, a saving of 9,000 each.
RIVAL_TERMS = {**BID_TERMS, "tiers": [{"from_quantity": 100, "unit_price": 195},
                                      {"from_quantity": 1000, "unit_price": 185}]}


def two_buyers_two_bids(marketplace: Marketplace) -> tuple[object, UUID, list[UUID], list[UUID]]:
    firms = a_cluster(marketplace, buyers=3, suppliers=2)
    lot_id = open_lot(marketplace, firms.buyers[0])
    needs = []
    for buyer in firms.buyers[1:]:
        need_id = post_need(marketplace, buyer, 600, max_unit_price=190)
        marketplace.pool_need(buyer, lot_id, need_id)
        needs.append(need_id)
    bids = [bid_alone(marketplace, firms.suppliers[0], lot_id),
            bid_alone(marketplace, firms.suppliers[1], lot_id, **RIVAL_TERMS)]
    return firms, lot_id, needs, bids


def close(marketplace: Marketplace, clock: SettableClock) -> list[UUID]:
    clock.advance(timedelta(days=8))
    return marketplace.close_due_lots()


def test_closing_a_lot_records_its_clearing_with_the_digest_of_what_was_solved(
        marketplace: Marketplace, clock: SettableClock) -> None:
    _, lot_id, needs, bids = two_buyers_two_bids(marketplace)

    closed = close(marketplace, clock)

    assert closed == [lot_id]
    clearing_event = list(marketplace.events.get(lot_id))[-1]
    assert isinstance(clearing_event, Lot.Allocated)
    assert [b["id"] for b in clearing_event.input["buyers"]] == [str(n) for n in needs]
    assert [b["id"] for b in clearing_event.input["bids"]] == [str(b) for b in bids]
    assert clearing_event.input["buyers"][0]["region"] == "JP-10"
    result = clearing_event.result
    assert result["input_digest"] == clearing_event.input_digest
    assert clearing_event.input_digest.startswith("sha256:")
    assert (result["status"], result["pool_unit_price"], result["total_cost"]) == (
        "optimal", "180.00", "216000")
    assert [(a["supplier"], a["quantity"], a["unit_price"]) for a in result["awards"]] == [
        (str(bids[0]), "600", "180"), (str(bids[0]), "600", "180")]
    assert result["savings"]["total"] == "18000"
    assert result["solver"]["name"] == "HiGHS"


def test_a_lot_is_cleared_once_however_often_the_close_is_asked_for(
        marketplace: Marketplace, clock: SettableClock) -> None:
    _, lot_id, _, _ = two_buyers_two_bids(marketplace)
    close(marketplace, clock)
    length = len(list(marketplace.events.get(lot_id)))

    again = marketplace.close_lot(lot_id)

    assert again is False
    assert marketplace.close_due_lots() == []
    assert len(list(marketplace.events.get(lot_id))) == length


def test_a_lot_is_not_cleared_before_its_close_time(
        marketplace: Marketplace, clock: SettableClock) -> None:
    _, lot_id, _, _ = two_buyers_two_bids(marketplace)
    length = len(list(marketplace.events.get(lot_id)))

    with pytest.raises(rules.LotNotDueError):
        marketplace.close_lot(lot_id)

    assert len(list(marketplace.events.get(lot_id))) == length


def test_a_closed_lot_cleared_with_no_bids_leaves_every_need_unserved_with_a_reason(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms = a_cluster(marketplace, buyers=2, suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0])
    need_id = post_need(marketplace, firms.buyers[1], 300)
    marketplace.pool_need(firms.buyers[1], lot_id, need_id)

    close(marketplace, clock)

    view = marketplace.allocations.of_lot(firms.buyers[1], lot_id)
    assert view is not None
    assert view.status == "infeasible"
    assert [(n.need_id, n.served, n.reason) for n in view.my_needs] == [
        (need_id, False, "no_delivery")]


def test_each_party_sees_its_own_outcome_and_the_buyers_see_every_bid_after_the_close(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms, lot_id, needs, bids = two_buyers_two_bids(marketplace)
    close(marketplace, clock)
    buyer, winner, loser, organiser = (
        firms.buyers[1], firms.suppliers[0], firms.suppliers[1], firms.buyers[0])

    as_buyer = marketplace.allocations.of_lot(buyer, lot_id)
    as_winner = marketplace.allocations.of_lot(winner, lot_id)
    as_loser = marketplace.allocations.of_lot(loser, lot_id)
    as_organiser = marketplace.allocations.of_lot(organiser, lot_id)

    assert as_buyer is not None
    assert as_winner is not None
    assert as_loser is not None
    assert as_organiser is not None
    assert [(n.need_id, n.total, n.alone_total, n.saving) for n in as_buyer.my_needs] == [
        (needs[0], Decimal(108000), Decimal(117000), Decimal(9000))]
    assert [(a.bid_id, a.supplier_id, a.quantity) for a in as_buyer.my_needs[0].awards] == [
        (bids[0], winner, Decimal(600))]
    assert as_buyer.pool_unit_price == Decimal("180.00")
    assert [(c.bid.id, c.awarded_quantity, c.bid.tiers[0].unit_price)
            for c in as_buyer.bid_comparison] == [
        (bids[0], Decimal(1200), Decimal(200)), (bids[1], Decimal(0), Decimal(195))]
    assert as_buyer.my_bids == []
    assert [(b.bid_id, b.quantity, b.tier and b.tier.unit_price) for b in as_winner.my_bids] == [
        (bids[0], Decimal(1200), Decimal(180))]
    assert {a.need_id for a in as_winner.my_bids[0].awards} == set(needs)
    assert [(b.bid_id, b.quantity, b.binding) for b in as_loser.my_bids] == [
        (bids[1], Decimal(0), ["price"])]
    for supplier_view in (as_winner, as_loser):
        assert supplier_view.pool_unit_price is None
        assert supplier_view.bid_comparison == []
        assert supplier_view.my_needs == []
    assert (as_organiser.served_quantity, as_organiser.buyers_served,
            as_organiser.suppliers_awarded) == (Decimal(1200), 2, 1)
    assert (as_organiser.bid_comparison, as_organiser.my_needs) == ([], [])


def test_replay_applies_the_recorded_clearing_and_never_solves_again(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, lot_id, _, _ = two_buyers_two_bids(marketplace)
    close(marketplace, clock)
    live = read_model_rows(migrated_url)

    def no_solving(*_: object) -> None:
        raise AssertionError("replay solved a lot again")
    monkeypatch.setattr(clearing, "allocate", no_solving)
    rebuild_read_models(marketplace)

    assert read_model_rows(migrated_url) == live
    assert [row[0] for row in live["lot_allocations"]] == [lot_id]


def test_a_lot_that_cannot_be_cleared_holds_back_no_other_lot(
        marketplace: Marketplace, clock: SettableClock,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    firms = a_cluster(marketplace, buyers=2, suppliers=1)
    broken = open_lot(marketplace, firms.buyers[0], closes_at=clock() + timedelta(days=1))
    healthy = open_lot(marketplace, firms.buyers[0], closes_at=clock() + timedelta(days=2))
    real_allocate = clearing.allocate
    broken_bid = bid_alone(marketplace, firms.suppliers[0], broken)

    def fails_on_the_broken_lot(problem: Any) -> Any:
        if [b.id for b in problem.bids] == [str(broken_bid)]:
            raise clearing.AllocationError("a bug")
        return real_allocate(problem)
    monkeypatch.setattr(clearing, "allocate", fails_on_the_broken_lot)
    clock.advance(timedelta(days=3))

    closed = marketplace.close_due_lots()

    assert closed == [healthy]
    assert f"lot {broken} failed" in caplog.text
    broken_events = list(marketplace.events.get(broken))
    assert isinstance(broken_events[-1], Lot.Closed)  # closed, but left for the next round
    assert isinstance(list(marketplace.events.get(healthy))[-1], Lot.Allocated)


def test_a_closed_lot_left_without_its_clearing_is_cleared_on_the_next_round(
        marketplace: Marketplace, clock: SettableClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, lot_id, _, _ = two_buyers_two_bids(marketplace)
    real_allocate = clearing.allocate

    def dies_mid_clearing(problem: Any) -> Any:
        raise clearing.AllocationError("the process stopped here")
    monkeypatch.setattr(clearing, "allocate", dies_mid_clearing)
    clock.advance(timedelta(days=8))
    first = marketplace.close_due_lots()
    monkeypatch.setattr(clearing, "allocate", real_allocate)

    second = marketplace.close_due_lots()

    assert first == []
    assert second == [lot_id]
    events = list(marketplace.events.get(lot_id))
    assert [type(e) for e in events[-2:]] == [Lot.Closed, Lot.Allocated]
    assert sum(isinstance(e, Lot.Closed) for e in events) == 1
