"""The demo cluster: a believable two weeks of Gunma firms pooling needs and bidding."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from events import SettableClock, rebuild_read_models
from marketplace.accounts import Accounts, MemberRole
from marketplace.application import Marketplace
from marketplace.demo import CLUSTER, DemoSummary, seed_demo_cluster
from marketplace.demo_accounts import DEMO_PASSWORD
from marketplace.domain.bids import BidTerms
from marketplace.domain.organisation import normalise_capability
from marketplace.readmodels.lot_queries import BidView, LotView
from tests.helpers import ledger_length, read_model_rows
from tests.lots_builders import viewer

SEEDED = DemoSummary(organisations=13, needs=17, lots=6, closed_lots=1, bids=8,
                     consortium_bids=2, rfqs=2, quotes=3)


@pytest.fixture
def seeded(marketplace: Marketplace) -> DemoSummary:
    return seed_demo_cluster(marketplace)


def all_organisations(marketplace: Marketplace) -> list[UUID]:
    return [o.id for o in marketplace.organisations.search()]


def lots(marketplace: Marketplace, status: str) -> list[LotView]:
    someone = viewer(marketplace, all_organisations(marketplace)[0])
    return marketplace.lots.search(someone, now=marketplace.clock(), status=status)


def all_bids(marketplace: Marketplace) -> dict[UUID, BidView]:
    return {bid.id: bid for organisation_id in all_organisations(marketplace)
            for bid in marketplace.lots.bids(organisation_id)}


def test_seeding_an_empty_marketplace_reports_what_it_added_in_one_line(
        seeded: DemoSummary) -> None:
    assert dataclasses.replace(seeded, members=()) == SEEDED


def test_every_demo_firm_has_a_member_who_can_log_in_and_the_secretariat_an_auditor(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    accounts = Accounts(marketplace)

    logged_in = [accounts.log_in(email, DEMO_PASSWORD, "127.0.0.1")[0]
                 for email in seeded.members]

    assert len(logged_in) == 14
    assert len({member.organisation_id for member in logged_in}) == 13
    auditors = [member for member in logged_in if MemberRole.AUDITOR in member.roles]
    assert [member.email for member in auditors] == ["auditor@demo.kyodo.example"]
    assert str(seeded) == ("demo cluster: 13 organisations, 17 needs, "
                           "6 lots (1 closed and cleared), 8 bids (2 by consortia), "
                           "2 RFQs with 3 quotes\n"
                           "demo log-in: joshu-press@demo.kyodo.example (or any firm's, e.g. "
                           "auditor@demo.kyodo.example), password kyodo-demo-password")


def test_every_demo_organisation_is_a_gunma_firm_of_the_one_cluster_named_in_both_languages(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    organisations = marketplace.organisations.search()

    assert len(organisations) == seeded.organisations >= 12
    assert all(o.clusters == [normalise_capability(CLUSTER)] for o in organisations)
    assert all(o.prefecture == "JP-10" and o.name_ja and o.name_en for o in organisations)
    assert sum(set(o.roles) == {"buyer", "supplier"} for o in organisations) >= 4


def test_at_least_five_lots_are_open_each_with_needs_pooled_by_two_or_more_buyers(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    now = marketplace.clock()
    open_lots = lots(marketplace, "open")

    assert len(open_lots) == seeded.lots - seeded.closed_lots >= 5
    assert all(lot.buyer_count >= 2 for lot in open_lots)
    assert all(timedelta(days=3) <= lot.closes_at - now <= timedelta(days=21)
               for lot in open_lots)
    reached = [bool(lot.progress.reached) for lot in open_lots]
    assert any(reached)
    assert any(lot.progress.next_threshold is not None for lot in open_lots)


def test_exactly_one_lot_is_closed_and_its_close_was_recorded_yesterday(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    now = marketplace.clock()
    closed = lots(marketplace, "closed")

    assert len(closed) == seeded.closed_lots == 1
    assert closed[0].closed_at is not None
    assert timedelta(0) < now - closed[0].closes_at <= timedelta(days=2)
    assert closed[0].closed_at >= closed[0].closes_at
    assert marketplace.lots.due(now) == []


def test_one_consortium_bid_counts_and_another_still_waits_for_a_member_to_accept(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    consortia = [bid for bid in all_bids(marketplace).values() if bid.is_consortium]

    assert len(consortia) == seeded.consortium_bids == 2
    assert sorted(bid.counts for bid in consortia) == [False, True]
    for bid in consortia:
        statuses = sorted(member.status for member in bid.members)
        assert statuses == (["accepted", "accepted"] if bid.counts else ["accepted", "invited"])


def test_every_demo_bid_has_valid_tiers_and_stays_valid_past_its_lots_close(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    bids = all_bids(marketplace)
    closes = {lot.id: lot.closes_at.date()
              for status in ("open", "closed") for lot in lots(marketplace, status)}

    assert len(bids) == seeded.bids
    for bid in bids.values():
        shares = {m.organisation_id: m.share for m in bid.members}
        BidTerms.create(
            tiers=[{"from_quantity": t.from_quantity, "unit_price": t.unit_price}
                   for t in bid.tiers],
            minimum_quantity=bid.minimum_quantity, lead_time_days=bid.lead_time_days,
            valid_until=bid.valid_until, capacity=None if shares else bid.capacity,
            shares=shares or None)
        prices = [t.unit_price for t in bid.tiers]
        assert prices == sorted(prices, reverse=True)
        assert all(price == price.quantize(Decimal("0.01")) for price in prices)
        assert bid.valid_until >= closes[bid.lot_id]


def test_no_recorded_time_is_later_than_the_clock_that_seeded_the_demo(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    now = marketplace.clock()
    times = [o.registered_at for o in marketplace.organisations.search()]
    times += [bid.updated_at for bid in all_bids(marketplace).values()]
    for status in ("open", "closed"):
        times += [lot.closed_at or lot.opened_at for lot in lots(marketplace, status)]

    assert max(times) <= now
    assert min(times) >= now - timedelta(days=15)


def test_the_seed_gives_the_marketplace_its_own_clock_back(
        marketplace: Marketplace, clock: SettableClock, seeded: DemoSummary) -> None:
    assert marketplace.clock is clock


def test_seeding_a_marketplace_that_has_organisations_adds_nothing(
        marketplace: Marketplace, migrated_url: str, seeded: DemoSummary) -> None:
    before = ledger_length(migrated_url)

    again = seed_demo_cluster(marketplace)

    assert again == DemoSummary()
    assert not again
    assert ledger_length(migrated_url) == before


def test_a_replay_of_the_demo_ledger_rebuilds_the_same_read_models(
        marketplace: Marketplace, migrated_url: str, seeded: DemoSummary) -> None:
    live = read_model_rows(migrated_url)

    rebuild_read_models(marketplace, batch_size=50)

    assert read_model_rows(migrated_url) == live
    assert len(live["bids"]) == seeded.bids


def test_the_demo_has_an_rfq_awarded_by_line_and_one_still_sealed(
        marketplace: Marketplace, seeded: DemoSummary) -> None:
    orders = {o.supplier_id for buyer in all_organisations(marketplace)
              for o in marketplace.rfqs.purchase_orders(buyer)}
    rfqs = {r.id: r for buyer in all_organisations(marketplace)
            for r in marketplace.rfqs.for_organisation(buyer, now=marketplace.clock())}

    assert len(rfqs) == seeded.rfqs
    assert sorted(r.status for r in rfqs.values()) == ["awarded", "open"]
    assert len(orders) == 2  # split by line between two suppliers
