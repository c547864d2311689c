"""The journey in a real browser: a buyer signs up, posts a need and pools it into a lot; two
suppliers join and bid, one as a consortium whose member accepts; the lot closes (the test
moves the clock); the buyer sees the allocation and its saving. A screenshot of every step is
saved under test-artefacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from playwright.sync_api import Page, expect

from events import SettableClock
from marketplace.domain.sealed_round import SETTLE
from tests.browser.conftest import Camera
from tests.pages import PASSWORD, Site

CLUSTER = "上州ものづくり"
OPEN_FOR = timedelta(days=2)


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def bid(page: Page, base_url: str, lot_id: UUID, tiers: list[tuple[str, str]], *,
        capacity: str, partner: tuple[str, str] | None = None) -> None:
    """Joins the lot from its page and places a sealed bid through the bid form."""
    page.goto(f"{base_url}/lots/{lot_id}")
    page.click("#supplier button.primary")  # join this lot
    expect(page).to_have_url(re.compile(rf"/lots/{lot_id}/bid$"))
    while page.locator("input[name=tier_from]").count() < len(tiers):
        page.click("#add-tier")
    for row, (from_quantity, price) in enumerate(tiers):
        page.locator("input[name=tier_from]").nth(row).fill(from_quantity)
        page.locator("input[name=tier_price]").nth(row).fill(price)
    page.fill("input[name=capacity]", capacity)
    page.fill("input[name=minimum_quantity]", "100")
    page.fill("input[name=lead_time_days]", "10")
    if partner is not None:
        name, share = partner
        page.click("#add-member")
        page.locator("select[name=member_org]").last.select_option(label=name)
        page.locator("input[name=member_share]").last.fill(share)
        page.fill("input[name=my_share]", str(int(capacity) - int(share)))
    page.click("#bid-form button.primary[value=place]")
    expect(page.locator("#bid-errors")).to_have_count(0)


def test_a_lot_from_sign_up_to_the_saving_in_a_real_browser(
        live_site: Site, clock: SettableClock, open_page: Callable[[], Page],
        camera: Camera) -> None:
    site, base = live_site, live_site.base_url
    marketplace = site.accounts.marketplace
    organiser = site.new_member(roles=("buyer",), name="高崎プレス工業株式会社")
    lot_id = marketplace.open_lot(
        organiser.organisation_id, category="Steel sheet", unit="kg",
        specification="SPCC 1.0 mm, cold rolled", closes_at=clock() + OPEN_FOR,
        cluster=CLUSTER, thresholds=[1000, 3000])
    marketplace.pool_need(organiser.organisation_id, lot_id, marketplace.post_need(
        organiser.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm",
        unit="kg", quantity=1500, needed_by="2026-12-20", delivery_prefecture="Gunma",
        max_unit_price=230))
    steel = site.new_member(roles=("supplier",), name="太田鋼板商事株式会社")
    stockist = site.new_member(roles=("supplier",), name="両毛メタル株式会社")
    partner = site.new_member(roles=("supplier",), name="桐生スチール株式会社")

    # A buyer signs up.
    buyer = open_page()
    buyer.goto(f"{base}/signup")
    buyer.fill("input[name=name_ja]", "赤城金属工業株式会社")
    buyer.fill("input[name=clusters]", CLUSTER)
    buyer.fill("input[name=name]", "山田 花子")
    buyer.fill("input[name=email]", "hanako@akagi-kinzoku.example.jp")
    buyer.fill("input[name=password]", PASSWORD)
    camera.shoot(buyer, "sign-up")
    buyer.click("form.stacked button.primary")
    expect(buyer).to_have_url(re.compile(r"/dashboard$"))
    camera.shoot(buyer, "dashboard")

    # It posts a need.
    buyer.goto(f"{base}/needs/new")
    buyer.fill("input[name=category]", "Steel sheet")
    buyer.fill("textarea[name=specification]", "SPCC 1.0 mm")
    buyer.select_option("select[name=unit]", "kg")
    buyer.fill("input[name=quantity]", "1200")
    buyer.fill("input[name=needed_by]", "2026-12-20")
    buyer.fill("input[name=max_unit_price]", "230")
    buyer.click("form.stacked button.primary")
    expect(buyer).to_have_url(re.compile(r"/needs/[0-9a-f-]{36}$"))
    camera.shoot(buyer, "need-posted")

    # It finds the lot and pools the need; the bar shows the pooled 2,700 kg.
    buyer.goto(f"{base}/lots")
    buyer.click(f"a[href='/lots/{lot_id}']")
    buyer.locator("#pool select[name=need_id]").select_option(index=1)
    buyer.click("#pool button.primary")
    expect(buyer.locator("#lot-progress")).to_contain_text("2,700")
    camera.shoot(buyer, "need-pooled")

    # It commits to pay by invoice (no Stripe key here): its order number shows.
    buyer.reload()
    buyer.click("#payment button[type=submit]")
    expect(buyer.locator("#payment")).to_contain_text("ORD-")
    camera.shoot(buyer, "payment-committed")

    # Someone else pools: the open page's bar follows without a reload.
    latecomer = site.new_member(roles=("buyer",))
    marketplace.pool_need(latecomer.organisation_id, lot_id, marketplace.post_need(
        latecomer.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm",
        unit="kg", quantity=400, needed_by="2026-12-20", delivery_prefecture="Gunma",
        max_unit_price=230))
    expect(buyer.locator("#lot-progress")).to_contain_text("3,100", timeout=12_000)
    camera.shoot(buyer, "bar-updated-live")

    # Two suppliers bid: one alone, one as a consortium whose member accepts.
    alone = open_page()
    log_in(alone, base, steel.email)
    bid(alone, base, lot_id, [("100", "205"), ("3000", "188")], capacity="5000")
    camera.shoot(alone, "sealed-bid-alone")
    lead = open_page()
    log_in(lead, base, stockist.email)
    bid(lead, base, lot_id, [("100", "199"), ("2500", "181")], capacity="4000",
        partner=("桐生スチール株式会社", "1500"))
    camera.shoot(lead, "consortium-bid")
    member = open_page()
    log_in(member, base, partner.email)
    member.goto(f"{base}/lots/{lot_id}")
    member.click("#invitations button.primary")
    expect(member.locator("#invitations")).not_to_contain_text("Accept", timeout=5_000)
    camera.shoot(member, "consortium-share-accepted")
    expect(buyer.locator("body")).not_to_contain_text("181")  # sealed

    # The lot closes: the clock moves past the close, the server records close and clearing.
    clock.advance(OPEN_FOR + SETTLE + timedelta(seconds=1))
    log_in(buyer, base, "hanako@akagi-kinzoku.example.jp")  # 2 days idle: a new session
    buyer.goto(f"{base}/lots/{lot_id}/allocation")
    for _ in range(50):
        if buyer.locator("#savings-chart").count():
            break
        buyer.wait_for_timeout(200)
        buyer.reload()
    expect(buyer.locator("#savings-chart")).to_be_visible()
    saving = buyer.locator("#total-saving").inner_text()
    assert re.search(r"[1-9]", saving), saving
    camera.shoot(buyer, "allocation-and-saving")

    # Cleared, its order became an invoice for what the allocation says it owes.
    buyer.goto(f"{base}/lots/{lot_id}#payment")
    for _ in range(50):
        if "INV-" in buyer.locator("#payment").inner_text():
            break
        buyer.wait_for_timeout(200)
        buyer.reload()
    expect(buyer.locator("#payment")).to_contain_text("INV-")
    camera.shoot(buyer, "invoiced")
    assert len(list(camera.folder.glob("*.png"))) == camera.step == 11
