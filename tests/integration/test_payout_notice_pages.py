"""A supplier's payout on the lot page, with Stripe: while its payout waits for its payout
account (not set up at Stripe), the page says so and sends it to its dashboard; once the
account can take transfers, and it is paid, the page says nothing of the kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from events import SettableClock
from marketplace.accounts import Member
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments import AccountState
from tests.fake_stripe import CARD_VISA, running_fake_stripe
from tests.lots_builders import bid_alone
from tests.pages import Site
from tests.stripe_site import a_lot_with_my_need, stripe_site

RETURN = "https://kyodo.example/payouts/onboarding/return"
REFRESH = "https://kyodo.example/payouts/onboarding/refresh"
NOTICE = ("Your payout waits for your payout account: set it up on your dashboard.",
          "お支払いは受取口座の設定を待っています。ダッシュボードで設定してください。")


@pytest.fixture
def unready_site(marketplace: Marketplace, tmp_path: Path) -> Iterator[Site]:
    """The app paying through a Stripe whose connected accounts wait for onboarding."""
    with running_fake_stripe(accounts_ready=False) as fake, \
            stripe_site(marketplace, fake, tmp_path) as site:
        yield site


def a_won_lot(site: Site, clock: SettableClock, *, set_up: bool) -> tuple[Member, UUID]:
    """A lot a supplier won alone, its buyer's card held, closed and settled; the supplier
    through Stripe's onboarding first if ``set_up``."""
    marketplace = site.accounts.marketplace
    buyer = site.new_member(roles=("buyer",))
    supplier = site.new_member(roles=("supplier",))
    lot_id = a_lot_with_my_need(marketplace, buyer.organisation_id)
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    marketplace.pay_for_commitment(buyer.organisation_id, lot_id, payment_method=CARD_VISA)
    if set_up:
        onboard(site, supplier.organisation_id)
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    return supplier, lot_id


def onboard(site: Site, supplier: UUID) -> None:
    """The supplier through the fake's onboarding page, then back at the return URL."""
    marketplace = site.accounts.marketplace
    url = marketplace.start_payout_onboarding(supplier, return_url=RETURN,
                                              refresh_url=REFRESH)
    assert url is not None
    visitor = site.visitor()
    assert visitor.client.get(url).headers["location"] == RETURN
    assert marketplace.check_payout_account(supplier) is AccountState.READY


def test_a_supplier_whose_payout_waits_for_its_account_is_told_on_the_lot_page(
        unready_site: Site, clock: SettableClock) -> None:
    supplier, lot_id = a_won_lot(unready_site, clock, set_up=False)
    visitor = unready_site.logged_in(supplier)

    page = visitor.get(f"/lots/{lot_id}")

    statement = unready_site.accounts.marketplace.payout_statement(
        supplier.organisation_id, lot_id)
    assert statement is not None
    assert statement.waits_for_account
    assert page.status_code == 200
    assert any(notice in page.text for notice in NOTICE)
    assert '<a href="/dashboard#payouts">' in page.text


def test_a_supplier_whose_account_is_ready_is_paid_and_not_told_to_set_it_up(
        unready_site: Site, clock: SettableClock) -> None:
    supplier, lot_id = a_won_lot(unready_site, clock, set_up=True)
    visitor = unready_site.logged_in(supplier)

    page = visitor.get(f"/lots/{lot_id}")

    statement = unready_site.accounts.marketplace.payout_statement(
        supplier.organisation_id, lot_id)
    assert statement is not None
    assert statement.paid == statement.net > 0
    assert not statement.waits_for_account
    assert page.status_code == 200
    assert "Your payout" in page.text or "貴社の受取額" in page.text
    assert not any(notice in page.text for notice in NOTICE)
    assert '<a href="/dashboard#payouts">' not in page.text
