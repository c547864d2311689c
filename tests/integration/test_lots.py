"""Lots through the application on both databases: the story, needs, consortia, replay,
sealed bids."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from events import SettableClock, rebuild_read_models
from marketplace.application import Marketplace
from marketplace.domain.lot import Lot
from tests.helpers import ledger_length, read_model_rows
from tests.lot_scenes import Scene, lot_events, lot_view, member_statuses, need_status
from tests.lots_builders import (
    BID_TERMS,
    CONSORTIUM_TERMS,
    a_cluster,
    bid_alone,
    open_lot,
    pooled_need,
    post_need,
    viewer,
)

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
    close, clearing = lot_events(marketplace, lot_id)[-2:]
    assert isinstance(close, Lot.Closed)
    assert isinstance(clearing, Lot.Allocated)
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
    close = lot_events(marketplace, lot_id)[-2]
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
