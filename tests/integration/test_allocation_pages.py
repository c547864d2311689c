"""The allocation page of a closed lot: each organisation sees what the clearing lets it see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from events import SettableClock
from marketplace.accounts import Member
from marketplace.application import Marketplace
from tests.lots_builders import bid_alone, post_need
from tests.pages import Site

CLUSTER = "上州ものづくり"
ENGLISH = {"Accept-Language": "en"}

#: Alone, 800 kg at ¥200 is ¥160,000; pooled with 600 kg they reach ¥180: ¥144,000.
MY_SAVING, OTHER_SAVING = "¥16,000", "¥12,000"


@dataclass(frozen=True)
class Lot:
    id: UUID
    me: Member
    other_buyer: Member
    supplier: Member
    priced_out: Member
    """A buyer whose max price (¥150) is below every bid's best price: left out."""


def a_lot(site: Site, clock: SettableClock, *, cleared: bool = True) -> Lot:
    marketplace: Marketplace = site.accounts.marketplace
    me, other, supplier, priced_out = (
        site.new_member(roles=("buyer",)), site.new_member(roles=("buyer",)),
        site.new_member(roles=("supplier",)), site.new_member(roles=("buyer",)))
    lot_id = marketplace.open_lot(
        me.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm, cold rolled",
        unit="kg", closes_at=clock() + timedelta(days=7), cluster=CLUSTER, thresholds=[1000])
    for buyer, quantity, max_price in ((me, 800, 190), (other, 600, 190),
                                       (priced_out, 100, 150)):
        need_id = post_need(marketplace, buyer.organisation_id, quantity,
                            max_unit_price=max_price)
        marketplace.pool_need(buyer.organisation_id, lot_id, need_id)
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    if cleared:
        clock.advance(timedelta(days=8))
        assert marketplace.close_due_lots() == [lot_id]
    return Lot(lot_id, me, other, supplier, priced_out)


def test_a_buyer_sees_its_awards_the_pool_price_and_its_own_saving_charted(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    visitor = site.logged_in(lot.me)

    response = visitor.get(f"/lots/{lot.id}/allocation", headers=ENGLISH)

    assert response.status_code == 200
    html = response.text
    assert 'data-status="optimal"' in html
    assert 'id="pool-unit-price">¥180 per kg' in html
    assert 'id="total-saving">¥28,000' in html
    chart = html[html.index('<svg id="savings-chart"'):html.index("</svg>")]
    assert "<title id=\"savings-chart-title\">" in chart
    assert "<desc" in chart
    assert f"Saving {MY_SAVING}" in chart
    assert 'class="bar-alone"' in chart
    assert 'class="bar-pool"' in chart
    assert "style=" not in html
    table = html[html.index('<table id="savings-table"'):]
    assert "¥160,000" in table
    assert "¥144,000" in table
    assert MY_SAVING in table
    assert 'class="legend"' in html
    assert 'class="swatch pool"' in html
    awards = html[html.index('<table id="allocation-table"'):]
    assert "Tier 2 of 2 (from 1,000 kg)" in awards
    assert "¥180" in awards
    assert '<p class="explanation muted" lang="en">Served 800 kg' in html


def test_another_buyers_saving_is_never_shown_to_me(site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    visitor = site.logged_in(lot.me)

    html = visitor.get(f"/lots/{lot.id}/allocation", headers=ENGLISH).text

    assert MY_SAVING in html
    assert OTHER_SAVING not in html
    assert "¥120,000" not in html
    assert "600 kg" not in html


def test_a_buyer_left_out_sees_why_and_no_saving(site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    visitor = site.logged_in(lot.priced_out)

    html = visitor.get(f"/lots/{lot.id}/allocation", headers=ENGLISH).text

    left_out = html[html.index('id="left-out"'):]
    assert "Even the cheapest delivered price any bid offers is above its max price." in left_out
    assert 'id="savings-chart"' not in html
    assert "None of your needs was served in this lot" in html
    assert "Not served:" in html


def test_a_supplier_sees_its_award_and_tier_but_no_buyers_price_or_saving(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    visitor = site.logged_in(lot.supplier)

    html = visitor.get(f"/lots/{lot.id}/allocation", headers=ENGLISH).text

    bids = html[html.index('id="my-bids"'):]
    assert "Tier 2 of 2 (from 1,000 kg)" in bids
    assert "1,400 kg" in bids
    assert 'id="pool-unit-price"' not in html
    assert 'id="total-saving"' not in html
    assert 'id="savings-chart"' not in html
    assert 'id="bid-comparison"' not in html
    assert MY_SAVING not in html
    assert OTHER_SAVING not in html


def test_htmx_asks_for_the_totals_block_alone_in_the_pages_language(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    visitor = site.logged_in(lot.me)

    response = visitor.get(f"/lots/{lot.id}/allocation", htmx=True)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="allocation-summary"')
    assert "<html" not in response.text
    assert 'id="savings-chart"' not in response.text
    assert "共同購買全体の削減額" in response.text
    assert "最適" in response.text


def test_a_lot_not_yet_cleared_shows_when_it_closes_then_that_clearing_is_pending(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, cleared=False)

    still_open = site.logged_in(lot.me).get(f"/lots/{lot.id}/allocation", headers=ENGLISH)
    clock.advance(timedelta(days=7, minutes=1))  # closed by the clock, not yet cleared
    pending = site.logged_in(lot.me).get(f"/lots/{lot.id}/allocation", htmx=True,
                                         headers=ENGLISH)

    assert still_open.status_code == 200
    assert 'data-state="open"' in still_open.text
    assert "This lot is open until 2026-11-27 18:00 JST" in still_open.text
    assert pending.status_code == 200
    assert 'data-state="pending"' in pending.text
    assert "Check again" in pending.text


def test_a_lot_of_another_cluster_is_not_found(site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    _, outsider = site.member_visitor(roles=("buyer", "supplier"), clusters=("浜松輸送機器",),
                                      prefecture="Tochigi")

    response = outsider.get(f"/lots/{lot.id}/allocation")

    assert response.status_code == 404
    assert "Steel sheet" not in response.text


def test_a_member_without_a_trading_or_auditor_role_is_refused(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    admin = site.new_member(roles=("buyer",))
    site.accounts.set_roles(admin, admin.id, ["admin"])

    response = site.logged_in(admin).get(f"/lots/{lot.id}/allocation")

    assert response.status_code == 403
