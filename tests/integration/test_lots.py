"""Pooled lots through the application: needs pooled, suppliers bidding, the close recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from events import SettableClock, rebuild_read_models
from marketplace.application import Marketplace
from marketplace.commands.needs import NeedNotFoundError
from marketplace.domain import lot_rules as rules
from marketplace.domain.eligibility import NotABuyerError, NotEligibleError
from marketplace.domain.lot import Lot
from marketplace.domain.need import NeedAlreadyPooledError, NeedWithdrawnError
from marketplace.readmodels.lot_tables import needs
from tests.helpers import ledger_length, read_model_rows
from tests.lots_builders import (
    BID_TERMS,
    CONSORTIUM_TERMS,
    Cluster,
    a_cluster,
    bid_alone,
    open_lot,
    pooled_need,
    post_need,
    register,
    viewer,
)


def lot_view(marketplace: Marketplace, organisation_id: UUID, lot_id: UUID) -> Any:
    detail = marketplace.lots.detail(viewer(marketplace, organisation_id), lot_id,
                                     now=marketplace.clock())
    assert detail is not None
    return detail.lot


def lot_events(marketplace: Marketplace, lot_id: UUID) -> list[Any]:
    return list(marketplace.events.get(lot_id))


def need_status(marketplace: Marketplace, need_id: UUID) -> tuple[str, UUID | None]:
    """Straight from the read model's table (see the test of the needs query below)."""
    with marketplace.engine.connect() as connection:
        row = connection.execute(sa.select(needs.c.status, needs.c.lot_id)
                                 .where(needs.c.id == need_id)).one()
    return row.status, row.lot_id


def member_statuses(bid: Any) -> dict[UUID, str]:
    return {member.organisation_id: member.status for member in bid.members}


# -- the story ------------------------------------------------------------------------------


def test_buyers_pool_needs_suppliers_bid_alone_and_together_and_the_close_fixes_what_stood(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms = a_cluster(marketplace, buyers=3, suppliers=4)
    organiser, kiryu, ota = firms.buyers
    alone, lead, member_a, member_b = firms.suppliers

    lot_id = open_lot(marketplace, organiser, thresholds=[1000, 5000])

    lot = lot_view(marketplace, organiser, lot_id)
    assert (lot.status, lot.pooled_quantity, lot.buyer_count, lot.supplier_count) == (
        "open", 0, 0, 0)
    assert (lot.progress.next_threshold, lot.progress.to_next) == (1000, 1000)

    kiryu_need = post_need(marketplace, kiryu, 800)
    marketplace.pool_need(kiryu, lot_id, kiryu_need)

    lot = lot_view(marketplace, kiryu, lot_id)
    assert (lot.pooled_quantity, lot.buyer_count) == (800, 1)
    assert (lot.progress.reached, lot.progress.to_next) == ([], 200)
    assert need_status(marketplace, kiryu_need) == ("pooled", lot_id)

    ota_need = post_need(marketplace, ota, 700)
    marketplace.pool_need(ota, lot_id, ota_need, quantity=500, max_unit_price=185)
    kiryu_second_need = pooled_need(marketplace, kiryu, lot_id, 300)

    lot = lot_view(marketplace, ota, lot_id)
    assert (lot.pooled_quantity, lot.buyer_count) == (1600, 2)
    assert lot.progress.reached == [1000]
    assert (lot.progress.next_threshold, lot.progress.to_next) == (5000, 3400)
    assert lot.progress.fraction == pytest.approx(0.32)
    [ota_commitment] = marketplace.lots.commitments(ota).pooled
    assert (ota_commitment.need_id, ota_commitment.quantity, ota_commitment.max_unit_price) == (
        ota_need, 500, 185)
    assert {c.need_id for c in marketplace.lots.commitments(kiryu).pooled} == {
        kiryu_need, kiryu_second_need}

    changed = marketplace.change_commitment(ota, lot_id, ota_need, quantity=700)

    lot = lot_view(marketplace, ota, lot_id)
    assert changed is True
    assert (lot.pooled_quantity, lot.buyer_count) == (1800, 2)
    assert marketplace.lots.commitments(ota).pooled[0].quantity == 700

    alone_bid = bid_alone(marketplace, alone, lot_id)

    [bid] = marketplace.lots.bids(alone)
    assert (bid.id, bid.lot_id, bid.lead_id, bid.is_consortium) == (alone_bid, lot_id, alone, False)
    assert (bid.capacity, bid.minimum_quantity, bid.counts, bid.status) == (2000, 100, True, "live")
    assert [(t.from_quantity, t.unit_price) for t in bid.tiers] == [(100, 200), (1000, 180)]
    assert lot_view(marketplace, alone, lot_id).supplier_count == 1

    marketplace.join_lot(lead, lot_id)
    consortium_bid = marketplace.place_bid(
        lead, lot_id, **CONSORTIUM_TERMS, shares={lead: 600, member_a: 400, member_b: 300})

    bid = marketplace.lots.bid(lead, consortium_bid)
    assert bid is not None
    assert (bid.is_consortium, bid.capacity, bid.counts) == (True, 600, False)
    assert member_statuses(bid) == {lead: "accepted", member_a: "invited", member_b: "invited"}

    marketplace.accept_consortium_share(member_a, lot_id, consortium_bid)

    bid = marketplace.lots.bid(member_a, consortium_bid)
    assert bid is not None
    assert (bid.capacity, bid.counts) == (1000, False)

    marketplace.accept_consortium_share(member_b, lot_id, consortium_bid)

    bid = marketplace.lots.bid(lead, consortium_bid)
    assert bid is not None
    assert (bid.capacity, bid.counts) == (1300, True)
    assert set(member_statuses(bid).values()) == {"accepted"}
    assert lot_view(marketplace, lead, lot_id).supplier_count == 4
    assert [b.id for b in marketplace.lots.commitments(member_b).bids] == [consortium_bid]

    clock.advance(timedelta(days=7))
    closed = marketplace.close_due_lots()

    lot = lot_view(marketplace, organiser, lot_id)
    assert closed == [lot_id]
    assert (lot.status, lot.closed_at) == ("closed", clock.now)
    assert (lot.pooled_quantity, lot.buyer_count, lot.supplier_count) == (1800, 2, 4)
    close = lot_events(marketplace, lot_id)[-1]
    assert isinstance(close, Lot.Closed)
    assert (close.pooled_quantity, close.buyer_count) == (1800, 2)
    assert set(close.counted_bids) == {alone_bid, consortium_bid}


def test_a_buyer_reads_its_needs_with_their_status_and_lot(marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace)
    buyer = firms.buyers[1]
    lot_id = open_lot(marketplace, firms.buyers[0])
    open_need = post_need(marketplace, buyer, 100)
    pooled = pooled_need(marketplace, buyer, lot_id, 800)

    one = marketplace.lots.need(buyer, pooled)
    listed = marketplace.lots.needs(buyer)

    assert one is not None
    assert (one.status, one.lot_id, one.quantity) == ("pooled", lot_id, 800)
    assert {(n.id, n.status) for n in listed} == {(open_need, "open"), (pooled, "pooled")}
    assert marketplace.lots.need(firms.buyers[2], pooled) is None  # other buyers' are private


def test_withdrawing_a_pooled_need_withdraws_its_commitment_from_the_open_lot(
        marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace)
    lot_id = open_lot(marketplace, firms.buyers[0])
    kept = pooled_need(marketplace, firms.buyers[1], lot_id, 300)
    withdrawn = pooled_need(marketplace, firms.buyers[2], lot_id, 800)

    marketplace.withdraw_need(firms.buyers[2], withdrawn)

    lot = lot_view(marketplace, firms.buyers[0], lot_id)
    assert (lot.pooled_quantity, lot.buyer_count) == (300, 1)
    assert need_status(marketplace, withdrawn) == ("withdrawn", None)
    assert marketplace.lots.commitments(firms.buyers[2]).pooled == []
    assert [c.need_id for c in marketplace.lots.commitments(firms.buyers[1]).pooled] == [kept]
    assert [type(e).__name__ for e in lot_events(marketplace, lot_id)][-1] == (
        "CommitmentWithdrawn")


def test_a_need_in_a_cancelled_lot_is_free_to_pool_elsewhere_revise_or_withdraw(
        marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace)
    cancelled = open_lot(marketplace, firms.buyers[0])
    moved = pooled_need(marketplace, firms.buyers[1], cancelled, 300)
    withdrawn = pooled_need(marketplace, firms.buyers[2], cancelled, 500)
    marketplace.cancel_lot(firms.buyers[0], cancelled, "the mill stopped SPCC 1.0")
    other = open_lot(marketplace, firms.buyers[0])

    marketplace.pool_need(firms.buyers[1], other, moved)
    marketplace.withdraw_need(firms.buyers[2], withdrawn)

    assert need_status(marketplace, moved) == ("pooled", other)
    assert need_status(marketplace, withdrawn) == ("withdrawn", None)
    assert lot_view(marketplace, firms.buyers[0], other).pooled_quantity == 300


def test_a_commitment_taken_back_leaves_the_need_open_to_pool_again(
        marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace)
    lot_id = open_lot(marketplace, firms.buyers[0])
    need_id = pooled_need(marketplace, firms.buyers[1], lot_id, 800)

    marketplace.withdraw_commitment(firms.buyers[1], lot_id, need_id)

    lot = lot_view(marketplace, firms.buyers[0], lot_id)
    assert (lot.pooled_quantity, lot.buyer_count) == (0, 0)
    assert need_status(marketplace, need_id) == ("open", None)

    marketplace.pool_need(firms.buyers[1], lot_id, need_id, quantity=400)

    assert lot_view(marketplace, firms.buyers[0], lot_id).pooled_quantity == 400
    assert need_status(marketplace, need_id) == ("pooled", lot_id)


def test_a_revised_consortium_bid_stops_counting_until_every_member_accepts_again(
        marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace, suppliers=2)
    lead, member = firms.suppliers
    lot_id = open_lot(marketplace, firms.buyers[0])
    marketplace.join_lot(lead, lot_id)
    bid_id = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                   shares={lead: 600, member: 400})
    marketplace.accept_consortium_share(member, lot_id, bid_id)

    marketplace.revise_bid(lead, lot_id, bid_id, **{**CONSORTIUM_TERMS, "lead_time_days": 10})

    bid = marketplace.lots.bid(lead, bid_id)
    assert bid is not None
    assert (bid.lead_time_days, bid.capacity, bid.counts) == (10, 600, False)
    assert member_statuses(bid) == {lead: "accepted", member: "invited"}


def test_a_consortium_bid_revised_into_a_bid_alone_counts_with_its_own_capacity(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms = a_cluster(marketplace, suppliers=2)
    lead, member = firms.suppliers
    lot_id = open_lot(marketplace, firms.buyers[0])
    marketplace.join_lot(lead, lot_id)
    bid_id = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                   shares={lead: 600, member: 400})

    marketplace.revise_bid(lead, lot_id, bid_id, **BID_TERMS, shares={})

    bid = marketplace.lots.bid(lead, bid_id)
    clock.advance(timedelta(days=7))
    marketplace.close_due_lots()
    close = lot_events(marketplace, lot_id)[-1]
    assert close.counted_bids == [bid_id]  # the lot says it counts...
    assert bid is not None
    assert (bid.is_consortium, bid.members, bid.capacity) == (False, [], 2000)
    assert bid.counts is True  # ...and so must the read model


def test_a_declined_share_leaves_the_consortium_bid_short_of_that_share_and_not_counting(
        marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace, suppliers=3)
    lead, member_a, member_b = firms.suppliers
    lot_id = open_lot(marketplace, firms.buyers[0])
    marketplace.join_lot(lead, lot_id)
    bid_id = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                   shares={lead: 600, member_a: 400, member_b: 300})
    marketplace.accept_consortium_share(member_a, lot_id, bid_id)
    marketplace.accept_consortium_share(member_b, lot_id, bid_id)

    declined = marketplace.decline_consortium_share(member_a, lot_id, bid_id)

    bid = marketplace.lots.bid(lead, bid_id)
    assert declined is True
    assert bid is not None
    assert (bid.capacity, bid.counts) == (900, False)
    assert member_statuses(bid)[member_a] == "declined"
    assert marketplace.lots.commitments(member_a).bids == []


def test_a_withdrawn_bid_no_longer_counts_and_its_supplier_may_bid_again(
        marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace)
    supplier = firms.suppliers[0]
    lot_id = open_lot(marketplace, firms.buyers[0])
    first = bid_alone(marketplace, supplier, lot_id)

    marketplace.withdraw_bid(supplier, lot_id, first)
    second = marketplace.place_bid(supplier, lot_id, **{**BID_TERMS, "capacity": 1500})

    bids = {bid.id: bid for bid in marketplace.lots.bids(supplier, lot_id=lot_id)}
    assert (bids[first].status, bids[first].counts) == ("withdrawn", False)
    assert (bids[second].status, bids[second].counts, bids[second].capacity) == (
        "live", True, 1500)
    assert [b.id for b in marketplace.lots.commitments(supplier).bids] == [second]


# -- rejected commands record nothing -------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """An open lot with a pooled need, an unpooled one, a bid alone and an unanswered consortium.

    Suppliers: 0 bids alone, 1 leads a consortium naming 2, 3 has joined without bidding.
    """

    marketplace: Marketplace
    clock: SettableClock
    firms: Cluster
    lot_id: UUID
    pooled_need: UUID
    open_need: UUID
    bid: UUID
    consortium_bid: UUID

    def after_close(self) -> None:
        self.clock.now = self.marketplace.repository.get(self.lot_id).closes_at


@pytest.fixture
def scene(marketplace: Marketplace, clock: SettableClock) -> Scene:
    firms = a_cluster(marketplace, buyers=3, suppliers=4)
    lot_id = open_lot(marketplace, firms.buyers[0])
    lead, member = firms.suppliers[1], firms.suppliers[2]
    marketplace.join_lot(lead, lot_id)
    consortium = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                       shares={lead: 600, member: 400})
    marketplace.join_lot(firms.suppliers[3], lot_id)
    return Scene(
        marketplace, clock, firms, lot_id,
        pooled_need=pooled_need(marketplace, firms.buyers[1], lot_id, 800),
        open_need=post_need(marketplace, firms.buyers[2], 500),
        bid=bid_alone(marketplace, firms.suppliers[0], lot_id),
        consortium_bid=consortium)


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


# -- replay ---------------------------------------------------------------------------------


def test_a_replay_after_a_lots_whole_story_rebuilds_identical_read_models(
        scene: Scene, migrated_url: str) -> None:
    m, firms, lot_id = scene.marketplace, scene.firms, scene.lot_id
    m.change_commitment(firms.buyers[1], lot_id, scene.pooled_need, quantity=600,
                        max_unit_price=180)
    m.pool_need(firms.buyers[2], lot_id, scene.open_need)
    m.withdraw_commitment(firms.buyers[2], lot_id, scene.open_need)
    m.revise_need(firms.buyers[2], scene.open_need, quantity=450)
    m.accept_consortium_share(firms.suppliers[2], lot_id, scene.consortium_bid)
    m.revise_bid(firms.suppliers[0], lot_id, scene.bid, **{**BID_TERMS, "capacity": 1800})
    m.decline_consortium_share(firms.suppliers[2], lot_id, scene.consortium_bid)
    late_bid = m.place_bid(firms.suppliers[3], lot_id, **BID_TERMS)
    m.withdraw_bid(firms.suppliers[3], lot_id, late_bid)
    other_lot = open_lot(m, firms.buyers[1], unit="t")
    m.cancel_lot(firms.buyers[1], other_lot, "not enough interest")
    scene.after_close()
    m.close_due_lots()
    live = read_model_rows(migrated_url)

    replayed = rebuild_read_models(m, batch_size=7)

    assert replayed == ledger_length(migrated_url)
    assert read_model_rows(migrated_url) == live
    assert len(live["bids"]) == 3
    assert len(live["bid_members"]) == 2


# -- sealed bids ----------------------------------------------------------------------------


def test_no_supplier_sees_another_suppliers_bid_before_or_after_close(scene: Scene) -> None:
    m, firms, lot_id = scene.marketplace, scene.firms, scene.lot_id
    solo, lead, member, bystander = firms.suppliers

    seen_before = {org: ({b.id for b in m.lots.bids(org)},
                         {b.id for b in m.lots.bids(org, lot_id=lot_id)},
                         {b.id for b in _my_bids(m, org, lot_id)})
                   for org in [solo, lead, member, bystander, *firms.buyers]}
    scene.after_close()
    m.close_due_lots()
    seen_after = {org: {b.id for b in _my_bids(m, org, lot_id)} for org in seen_before}

    assert seen_before[solo] == ({scene.bid},) * 3
    assert seen_before[lead] == ({scene.consortium_bid},) * 3
    assert seen_before[member] == ({scene.consortium_bid},) * 3  # named in it, so it may see it
    assert seen_before[bystander] == (set(), set(), set())
    assert all(seen_before[buyer] == (set(), set(), set()) for buyer in firms.buyers)
    assert seen_after == {org: seen[2] for org, seen in seen_before.items()}


def _my_bids(marketplace: Marketplace, organisation_id: UUID, lot_id: UUID) -> list[Any]:
    detail = marketplace.lots.detail(viewer(marketplace, organisation_id), lot_id,
                                     now=marketplace.clock())
    assert detail is not None
    return detail.my_bids


def test_a_bid_counts_its_capacity_in_decimals_exactly(marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace, suppliers=2)
    lead, member = firms.suppliers
    lot_id = open_lot(marketplace, firms.buyers[0])
    marketplace.join_lot(lead, lot_id)
    bid_id = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                   shares={lead: "600.125", member: "399.875"})

    marketplace.accept_consortium_share(member, lot_id, bid_id)

    bid = marketplace.lots.bid(member, bid_id)
    assert bid is not None
    assert bid.capacity == Decimal(1000)
    assert bid.counts is True
