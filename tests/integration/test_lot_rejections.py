"""Lots through the application: every rejected command records nothing, and the close
instant decides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from marketplace.commands.needs import NeedNotFoundError
from marketplace.domain import lot_rules as rules
from marketplace.domain.eligibility import NotABuyerError, NotEligibleError
from marketplace.domain.lot import Lot
from marketplace.domain.need import NeedAlreadyPooledError, NeedWithdrawnError
from tests.helpers import ledger_length, read_model_rows
from tests.lot_scenes import Scene, lot_events
from tests.lots_builders import (
    BID_TERMS,
    CONSORTIUM_TERMS,
    open_lot,
    post_need,
    register,
)

Act = Callable[[], Any]


def pool_after_close(s: Scene) -> Act:
    s.after_close()
    return lambda: s.marketplace.pool_need(s.firms.buyers[2], s.lot_id, s.open_need)


def bid_after_close(s: Scene) -> Act:
    s.after_close()
    return lambda: s.marketplace.place_bid(s.firms.suppliers[3], s.lot_id, **BID_TERMS)


def accept_after_close(s: Scene) -> Act:
    s.after_close()
    return lambda: s.marketplace.accept_consortium_share(
        s.firms.suppliers[2], s.lot_id, s.consortium_bid)


def withdraw_pooled_need_after_close(s: Scene) -> Act:
    s.after_close()
    return lambda: s.marketplace.withdraw_need(s.firms.buyers[1], s.pooled_need)


def pool_need_in_another_unit(s: Scene) -> Act:
    need_in_tonnes = post_need(s.marketplace, s.firms.buyers[2], 2, unit="t")
    return lambda: s.marketplace.pool_need(s.firms.buyers[2], s.lot_id, need_in_tonnes)


def pool_need_of_another_category(s: Scene) -> Act:
    cardboard = post_need(s.marketplace, s.firms.buyers[2], 50, category="cardboard")
    return lambda: s.marketplace.pool_need(s.firms.buyers[2], s.lot_id, cardboard)


def pool_by_a_buyer_outside_the_cluster(s: Scene) -> Act:
    need_id = post_need(s.marketplace, s.firms.outsider, 100)
    return lambda: s.marketplace.pool_need(s.firms.outsider, s.lot_id, need_id)


def join_by_a_supplier_outside_the_cluster(s: Scene) -> Act:
    return lambda: s.marketplace.join_lot(s.firms.outsider, s.lot_id)


def pool_another_buyers_need(s: Scene) -> Act:
    return lambda: s.marketplace.pool_need(s.firms.buyers[1], s.lot_id, s.open_need)


def change_another_buyers_commitment(s: Scene) -> Act:
    return lambda: s.marketplace.change_commitment(s.firms.buyers[2], s.lot_id, s.pooled_need,
                                                   quantity=100)


def withdraw_another_buyers_need(s: Scene) -> Act:
    return lambda: s.marketplace.withdraw_need(s.firms.buyers[2], s.pooled_need)


def withdraw_another_suppliers_bid(s: Scene) -> Act:
    return lambda: s.marketplace.withdraw_bid(s.firms.suppliers[3], s.lot_id, s.bid)


def revise_the_consortium_bid_as_a_member(s: Scene) -> Act:
    return lambda: s.marketplace.revise_bid(s.firms.suppliers[2], s.lot_id, s.consortium_bid,
                                            **CONSORTIUM_TERMS)


def pool_a_need_twice(s: Scene) -> Act:
    return lambda: s.marketplace.pool_need(s.firms.buyers[1], s.lot_id, s.pooled_need)


def pool_a_need_into_a_second_lot(s: Scene) -> Act:
    second_lot = open_lot(s.marketplace, s.firms.buyers[0])
    return lambda: s.marketplace.pool_need(s.firms.buyers[1], second_lot, s.pooled_need)


def commit_more_than_needed(s: Scene) -> Act:
    return lambda: s.marketplace.pool_need(s.firms.buyers[2], s.lot_id, s.open_need,
                                           quantity=501)


def pool_a_withdrawn_need(s: Scene) -> Act:
    need_id = post_need(s.marketplace, s.firms.buyers[2], 100)
    s.marketplace.withdraw_need(s.firms.buyers[2], need_id)
    return lambda: s.marketplace.pool_need(s.firms.buyers[2], s.lot_id, need_id)


def bid_twice(s: Scene) -> Act:
    return lambda: s.marketplace.place_bid(s.firms.suppliers[0], s.lot_id, **BID_TERMS)


def bid_without_joining(s: Scene) -> Act:
    newcomer = register(s.marketplace, "supplier", name="Newcomer")
    return lambda: s.marketplace.place_bid(newcomer, s.lot_id, **BID_TERMS)


def bid_in_another_unit(s: Scene) -> Act:
    return lambda: s.marketplace.place_bid(s.firms.suppliers[3], s.lot_id, **BID_TERMS,
                                           unit="t")


def accept_a_share_while_bidding_alone(s: Scene) -> Act:
    lead, solo = s.firms.suppliers[3], s.firms.suppliers[0]
    bid_id = s.marketplace.place_bid(lead, s.lot_id, **CONSORTIUM_TERMS,
                                     shares={lead: 500, solo: 500})
    return lambda: s.marketplace.accept_consortium_share(solo, s.lot_id, bid_id)


def post_a_need_as_a_supplier(s: Scene) -> Act:
    return lambda: post_need(s.marketplace, s.firms.suppliers[0], 100)


def cancel_the_lot_as_another_buyer(s: Scene) -> Act:
    return lambda: s.marketplace.cancel_lot(s.firms.buyers[1], s.lot_id, "we changed our minds")


def close_the_lot_before_its_close_time(s: Scene) -> Act:
    return lambda: s.marketplace.close_lot(s.lot_id)


def anything_on_a_cancelled_lot(s: Scene) -> Act:
    s.marketplace.cancel_lot(s.firms.buyers[0], s.lot_id, "the mill stopped SPCC 1.0")
    return lambda: s.marketplace.pool_need(s.firms.buyers[2], s.lot_id, s.open_need)


REJECTIONS = [
    pytest.param(pool_after_close, rules.LotClosedError, id="pool after close"),
    pytest.param(bid_after_close, rules.LotClosedError, id="bid after close"),
    pytest.param(accept_after_close, rules.LotClosedError, id="accept a share after close"),
    pytest.param(withdraw_pooled_need_after_close, rules.LotClosedError,
                 id="withdraw a pooled need after close"),
    pytest.param(pool_need_in_another_unit, rules.UnitMismatchError, id="wrong unit"),
    pytest.param(pool_need_of_another_category, rules.CategoryMismatchError,
                 id="wrong category"),
    pytest.param(pool_by_a_buyer_outside_the_cluster, NotEligibleError, id="ineligible buyer"),
    pytest.param(join_by_a_supplier_outside_the_cluster, NotEligibleError,
                 id="ineligible supplier"),
    pytest.param(pool_another_buyers_need, NeedNotFoundError, id="pool a need not yours"),
    pytest.param(change_another_buyers_commitment, NeedNotFoundError,
                 id="change a commitment not yours"),
    pytest.param(withdraw_another_buyers_need, NeedNotFoundError, id="withdraw a need not yours"),
    pytest.param(withdraw_another_suppliers_bid, rules.BidNotFoundError,
                 id="withdraw a bid not yours"),
    pytest.param(revise_the_consortium_bid_as_a_member, rules.NotConsortiumLeadError,
                 id="revise a consortium bid you do not lead"),
    pytest.param(pool_a_need_twice, rules.NeedAlreadyInLotError, id="pool a need twice"),
    pytest.param(pool_a_need_into_a_second_lot, NeedAlreadyPooledError,
                 id="pool a need into a second lot"),
    pytest.param(commit_more_than_needed, rules.CommitmentAboveNeedError,
                 id="commit more than needed"),
    pytest.param(pool_a_withdrawn_need, NeedWithdrawnError, id="pool a withdrawn need"),
    pytest.param(bid_twice, rules.AlreadyBiddingError, id="bid twice"),
    pytest.param(bid_without_joining, rules.BidderNotJoinedError, id="bid without joining"),
    pytest.param(bid_in_another_unit, rules.UnitMismatchError, id="bid in another unit"),
    pytest.param(accept_a_share_while_bidding_alone, rules.AlreadyBiddingError,
                 id="accept a share while bidding alone"),
    pytest.param(post_a_need_as_a_supplier, NotABuyerError, id="a supplier posts a need"),
    pytest.param(cancel_the_lot_as_another_buyer, rules.NotLotOrganiserError,
                 id="cancel a lot you did not open"),
    pytest.param(close_the_lot_before_its_close_time, rules.LotNotDueError,
                 id="close before the close time"),
    pytest.param(anything_on_a_cancelled_lot, rules.LotCancelledError,
                 id="pool into a cancelled lot"),
]


@pytest.mark.parametrize(("arrange", "error"), REJECTIONS)
def test_a_rejected_command_records_nothing(scene: Scene, migrated_url: str,
                                            arrange: Callable[[Scene], Act],
                                            error: type[Exception]) -> None:
    rejected_command = arrange(scene)
    ledger_before, rows_before = ledger_length(migrated_url), read_model_rows(migrated_url)

    with pytest.raises(error):
        rejected_command()

    assert ledger_length(migrated_url) == ledger_before
    assert read_model_rows(migrated_url) == rows_before


# -- the close instant ----------------------------------------------------------------------


def pool(s: Scene) -> Any:
    return s.marketplace.pool_need(s.firms.buyers[2], s.lot_id, s.open_need)


def bid(s: Scene) -> Any:
    return s.marketplace.place_bid(s.firms.suppliers[3], s.lot_id, **BID_TERMS)


def change(s: Scene) -> Any:
    return s.marketplace.change_commitment(s.firms.buyers[1], s.lot_id, s.pooled_need,
                                           quantity=700)


def accept(s: Scene) -> Any:
    return s.marketplace.accept_consortium_share(s.firms.suppliers[2], s.lot_id,
                                                 s.consortium_bid)


ON_THE_LOT = [pytest.param(pool, id="pool"), pytest.param(bid, id="bid"),
              pytest.param(change, id="change a commitment"),
              pytest.param(accept, id="accept a share")]


@pytest.mark.parametrize("command", ON_THE_LOT)
def test_a_command_one_microsecond_before_the_close_is_accepted(
        scene: Scene, migrated_url: str, command: Callable[[Scene], Any]) -> None:
    closes_at = scene.marketplace.repository.get(scene.lot_id).closes_at
    scene.clock.now = closes_at - timedelta(microseconds=1)
    ledger_before = ledger_length(migrated_url)

    command(scene)

    assert ledger_length(migrated_url) > ledger_before
    assert lot_events(scene.marketplace, scene.lot_id)[-1].timestamp == scene.clock.now


@pytest.mark.parametrize("command", ON_THE_LOT)
def test_a_command_at_the_close_instant_is_rejected_and_records_nothing(
        scene: Scene, migrated_url: str, command: Callable[[Scene], Any]) -> None:
    scene.clock.now = scene.marketplace.repository.get(scene.lot_id).closes_at
    ledger_before, rows_before = ledger_length(migrated_url), read_model_rows(migrated_url)

    with pytest.raises(rules.LotClosedError, match="closed at 2026-11-27 18:00 JST"):
        command(scene)

    assert ledger_length(migrated_url) == ledger_before
    assert read_model_rows(migrated_url) == rows_before


def test_the_close_is_recorded_once_however_often_due_lots_are_closed(
        scene: Scene, migrated_url: str) -> None:
    scene.after_close()
    first = scene.marketplace.close_due_lots()
    ledger_after_close = ledger_length(migrated_url)

    second = scene.marketplace.close_due_lots()
    again = scene.marketplace.close_lot(scene.lot_id)

    closes = [e for e in lot_events(scene.marketplace, scene.lot_id)
              if isinstance(e, Lot.Closed)]
    assert (first, second, again) == ([scene.lot_id], [], False)
    assert len(closes) == 1
    assert closes[0].counted_bids == [scene.bid]  # the consortium's member never answered
    assert (closes[0].pooled_quantity, closes[0].buyer_count) == (800, 1)
    assert ledger_length(migrated_url) == ledger_after_close


def test_a_lot_is_not_due_before_its_close_time(scene: Scene, migrated_url: str) -> None:
    scene.clock.now = scene.marketplace.repository.get(scene.lot_id).closes_at - timedelta(
        microseconds=1)
    ledger_before = ledger_length(migrated_url)

    closed = scene.marketplace.close_due_lots()

    assert closed == []
    assert ledger_length(migrated_url) == ledger_before
