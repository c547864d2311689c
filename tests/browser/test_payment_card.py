"""The payment step in a real browser with Stripe configured: the buyer types a test card
into Stripe's card field (the fake Stripe.js, served by the fake Stripe under the page's
Content-Security-Policy), confirms with its bank when its bank asks, and sees a declined
card's reason. Screenshots go to test-artefacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from events import SettableClock
from marketplace.accounts import Member
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.domain.payments import Purpose
from marketplace.payments import Status
from tests.browser.conftest import Camera
from tests.browser.test_journey import log_in
from tests.fake_stripe import FakeStripe, running_fake_stripe
from tests.lots_builders import bid_alone
from tests.pages import Site
from tests.stripe_site import a_lot_with_my_need, stripe_site
from web.i18n import gettext


@pytest.fixture
def card_site(marketplace: Marketplace, tmp_path: Path) -> Iterator[tuple[Site, FakeStripe]]:
    with running_fake_stripe() as fake, stripe_site(marketplace, fake, tmp_path) as site:
        yield site, fake


def ja(message: str) -> str:
    """What the page says in Japanese (the browser asks for ja-JP)."""
    return gettext("ja", message)


def buyer_on_its_lot(site: Site, open_page: Callable[[], Page], *, hold: bool = True,
                     member: Member | None = None) -> tuple[Page, UUID, list[str]]:
    """A buyer (``member``, else a new one) logged in on the page of a lot with its need
    pooled; what the page's policy refused (a script or call it blocked is reported on the
    console) is collected."""
    member = member or site.new_member(roles=("buyer",))
    lot_id = a_lot_with_my_need(site.accounts.marketplace, member.organisation_id, hold=hold)
    page = open_page()
    refused: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            refused.append(message.text)
    page.on("console", keep)
    log_in(page, site.base_url, member.email)
    page.goto(f"{site.base_url}/lots/{lot_id}#payment")
    return page, lot_id, refused


def pay_with(page: Page, number: str) -> None:
    page.locator("#card-element input").fill(number)
    page.click("#card-form button[type=submit]")


def test_a_buyer_types_a_card_into_stripes_field_and_sees_it_held(
        card_site: tuple[Site, FakeStripe], open_page: Callable[[], Page],
        camera: Camera) -> None:
    site, _ = card_site
    page, lot_id, refused = buyer_on_its_lot(site, open_page)
    expect(page.locator("#card-element input")).to_be_visible()
    camera.shoot(page, "card-field")

    pay_with(page, "4242 4242 4242 4242")

    expect(page.locator("#payment")).to_contain_text(ja("committed"))
    expect(page.locator("#payment")).to_contain_text(ja("Card held for your maximum"))
    camera.shoot(page, "card-held")
    (payment,) = site.accounts.marketplace.payments_of_lot(lot_id)
    assert payment.status == Status.AUTHORISED
    assert payment.method is not None
    assert payment.method.startswith("pm_")
    assert refused == []


def test_a_buyer_whose_bank_asks_confirms_with_it_and_its_card_is_held(
        card_site: tuple[Site, FakeStripe], open_page: Callable[[], Page],
        camera: Camera) -> None:
    site, _ = card_site
    page, lot_id, refused = buyer_on_its_lot(site, open_page)

    pay_with(page, "4000 0027 6000 3184")
    confirm = page.locator("#bank-confirmation button[type=submit]")
    expect(confirm).to_have_text(ja("Confirm with your bank"))
    camera.shoot(page, "bank-asks")
    confirm.click()
    challenge = page.locator("[data-fake-stripe=three-d-secure]")
    expect(challenge).to_be_visible()
    camera.shoot(page, "bank-challenge")
    challenge.locator("[data-fake-stripe-outcome=complete]").click()

    expect(page.locator("#payment")).to_contain_text(ja("committed"))
    expect(page.locator("#bank-confirmation")).to_have_count(0)
    camera.shoot(page, "confirmed-and-held")
    (payment,) = site.accounts.marketplace.payments_of_lot(lot_id)
    assert payment.status == Status.AUTHORISED
    assert refused == []


def test_a_saved_card_whose_bank_refuses_shows_why_and_can_be_entered_again(
        card_site: tuple[Site, FakeStripe], open_page: Callable[[], Page]) -> None:
    site, _ = card_site
    page, lot_id, _refused = buyer_on_its_lot(site, open_page, hold=False)

    pay_with(page, "4000002760003184")
    page.click("#bank-confirmation button[type=submit]")
    page.locator("[data-fake-stripe-outcome=fail]").click()

    expect(page.locator("#payment [role=alert]").first).to_contain_text(
        "カード会社がカードを承認しませんでした")
    expect(page.locator("#card-element input")).to_be_visible()
    (payment,) = site.accounts.marketplace.payments_of_lot(lot_id)
    assert payment.status == Status.DECLINED


def test_a_declined_card_shows_its_reason(card_site: tuple[Site, FakeStripe],
                                          open_page: Callable[[], Page],
                                          camera: Camera) -> None:
    site, _ = card_site
    page, lot_id, _refused = buyer_on_its_lot(site, open_page)

    pay_with(page, "4000000000000002")

    alert = page.locator("#payment > [role=alert]")
    expect(alert).to_contain_text("カード会社によりカードが拒否されました")
    camera.shoot(page, "card-declined")
    (payment,) = site.accounts.marketplace.payments_of_lot(lot_id)
    assert payment.status == Status.DECLINED


def test_a_mistyped_card_number_is_shown_by_stripes_field_and_nothing_is_sent(
        card_site: tuple[Site, FakeStripe], open_page: Callable[[], Page]) -> None:
    site, _ = card_site
    page, lot_id, _refused = buyer_on_its_lot(site, open_page)

    pay_with(page, "4242 4242 4242 4241")

    expect(page.locator("#card-form [data-card-errors]")).to_have_text(
        "Your card number is invalid.")
    assert site.accounts.marketplace.payments_of_lot(lot_id) == []


def closed_a_week_on(site: Site, page: Page, clock: SettableClock, lot_id: UUID,
                     buyer: Member) -> Member:
    """Once the buyer's card shows saved: a supplier bids alone, the lot closes and is
    cleared (the saved card charged off session), and a week on the buyer signs in again
    and opens the lot's payment section; the supplier."""
    marketplace = site.accounts.marketplace
    expect(page.locator("#payment")).to_contain_text(ja("saved"))
    supplier = site.new_member(roles=("supplier",))
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    clock.advance(HOLD_WINDOW + timedelta(days=2))
    marketplace.close_due_lots()
    log_in(page, site.base_url, buyer.email)
    page.goto(f"{site.base_url}/lots/{lot_id}#payment")
    return supplier


def test_a_charge_its_bank_stopped_off_session_is_confirmed_on_the_lot_page_and_taken(
        card_site: tuple[Site, FakeStripe], open_page: Callable[[], Page],
        clock: SettableClock, camera: Camera) -> None:
    site, _ = card_site
    marketplace = site.accounts.marketplace
    buyer = site.new_member(roles=("buyer",))
    page, lot_id, refused = buyer_on_its_lot(site, open_page, hold=False, member=buyer)
    pay_with(page, "4000 0027 6000 3184")  # a card whose bank asks every time
    page.click("#bank-confirmation button[type=submit]")
    page.locator("[data-fake-stripe-outcome=complete]").click()
    closed_a_week_on(site, page, clock, lot_id, buyer)  # charged off session: the bank stops it
    stopped = [p for p in marketplace.payments_of_lot(lot_id) if p.purpose is Purpose.CHARGE]
    confirm = page.locator("#bank-confirmation button[type=submit]")
    expect(confirm).to_have_text(ja("Confirm with your bank"))
    camera.shoot(page, "charge-bank-asks")
    confirm.click()
    page.locator("[data-fake-stripe-outcome=complete]").click()

    expect(page.locator("#bank-confirmation")).to_have_count(0)
    expect(page.locator("#payment")).to_contain_text(ja("Card charged"))
    camera.shoot(page, "charge-confirmed")
    assert [p.status for p in stopped] == [Status.NEEDS_AUTHENTICATION]
    (charge,) = [p for p in marketplace.payments_of_lot(lot_id) if p.purpose is Purpose.CHARGE]
    assert (charge.status, charge.settled_amount) == (Status.CAPTURED, 800 * 200)
    assert refused == []


def test_a_buyer_whose_charge_was_declined_pays_what_it_owes_with_another_card(
        card_site: tuple[Site, FakeStripe], open_page: Callable[[], Page],
        clock: SettableClock, camera: Camera) -> None:
    site, _ = card_site
    marketplace = site.accounts.marketplace
    buyer = site.new_member(roles=("buyer",))
    page, lot_id, refused = buyer_on_its_lot(site, open_page, hold=False, member=buyer)
    pay_with(page, "4000 0000 0000 0341")  # saved without a fault; its charges are declined
    supplier = closed_a_week_on(site, page, clock, lot_id, buyer)  # charged: declined
    expect(page.locator("#owed-now")).to_be_visible()
    camera.shoot(page, "owed-after-the-close")
    pay_with(page, "4242 4242 4242 4242")

    expect(page.locator("#owed-now")).to_have_count(0)
    expect(page.locator("#payment")).to_contain_text(ja("Card charged"))
    camera.shoot(page, "owed-paid")
    charges = [p for p in marketplace.payments_of_lot(lot_id) if p.purpose is Purpose.CHARGE]
    assert [p.status for p in charges] == [Status.DECLINED, Status.CAPTURED]
    assert charges[-1].settled_amount == 800 * 200
    statement = marketplace.payout_statement(supplier.organisation_id, lot_id)
    assert statement is not None
    assert statement.paid == statement.net == 800 * 200
    assert refused == []
