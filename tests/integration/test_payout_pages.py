"""Setting up a supplier's payouts over real HTTP: from the dashboard to the fake Stripe's
onboarding page and back, the account's state recorded once and shown; a new link when one
expired; Stripe telling of a change by webhook; nobody else may, and with invoices there is
nothing to set up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from marketplace.accounts import Member
from marketplace.application import Marketplace
from marketplace.payments import AccountState, PaymentRefusedError
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import API_KEY, FakeStripe, running_fake_stripe
from tests.fake_stripe.payouts import LINK_SECONDS
from tests.pages import Site, Visitor

SECRET = "whsec_payout_pages"  # noqa: S105 (the fake's webhook secret)
RETURN = "/payouts/onboarding/return"
REFRESH = "/payouts/onboarding/refresh"


@pytest.fixture
def stripe(marketplace: Marketplace) -> Iterator[FakeStripe]:
    """The site's payments through the fake Stripe, whose accounts need onboarding."""
    with running_fake_stripe(accounts_ready=False) as fake:
        marketplace.payments = StripePayments(API_KEY, webhook_secret=SECRET,
                                              api_base=fake.base_url, network_retries=0)
        yield fake


def in_english(visitor: Visitor) -> Visitor:
    visitor.client.cookies.set("kyodo_lang", "en")
    return visitor


def stripe_sends_back(url: str) -> str:
    """The supplier's browser on Stripe's page: the path of ours it is sent back to."""
    with httpx.Client(trust_env=False) as browser:
        response = browser.get(url)
    assert response.status_code == 302, response.text
    return httpx.URL(response.headers["location"]).path


def state_changes(marketplace: Marketplace, organisation_id: UUID) -> int:
    account = marketplace._payout_account_of(organisation_id)
    assert account is not None
    return account.version - 1 - len(account.notified)  # after its Connected; not webhooks


def test_a_supplier_sets_up_payouts_at_stripe_and_comes_back_ready_recorded_once(
        site: Site, stripe: FakeStripe) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("supplier",))
    in_english(visitor)
    before = visitor.get("/dashboard")

    started = visitor.post("/payouts/onboarding")
    back = stripe_sends_back(started.headers["location"])
    returned = visitor.get(back)
    position = marketplace.position()
    again = visitor.get(back)

    assert "Set up payouts at Stripe" in before.text
    assert started.status_code == 303
    assert started.headers["location"].startswith(f"{stripe.base_url}/setup/e/acct_")
    assert back == RETURN
    assert returned.status_code == again.status_code == 200
    assert "Ready to receive payouts" in returned.text
    assert 'action="/payouts/onboarding"' not in returned.text
    assert marketplace.payout_account_state(member.organisation_id) is AccountState.READY
    assert marketplace.position() == position
    assert state_changes(marketplace, member.organisation_id) == 1
    assert "Ready to receive payouts" in visitor.get("/dashboard").text


def test_an_expired_link_sends_the_supplier_to_a_new_one(site: Site, stripe: FakeStripe
                                                         ) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("supplier",))
    first = visitor.post("/payouts/onboarding").headers["location"]
    stripe.advance(LINK_SECONDS + 1)

    refresh = stripe_sends_back(first)
    renewed = visitor.get(refresh)

    assert refresh == REFRESH
    assert renewed.status_code == 303
    second = renewed.headers["location"]
    assert second != first
    assert second.startswith(f"{stripe.base_url}/setup/e/")
    assert stripe_sends_back(second) == RETURN
    visitor.get(RETURN)
    assert marketplace.payout_account_state(member.organisation_id) is AccountState.READY


def test_while_stripe_checks_the_page_says_so_and_its_webhook_records_the_account_ready(
        site: Site, stripe: FakeStripe) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("supplier",))
    in_english(visitor)
    stripe.hold_checks()
    visitor.get(stripe_sends_back(visitor.post("/payouts/onboarding").headers["location"]))
    checking = visitor.get("/dashboard")
    account = marketplace._payout_account(member.organisation_id)

    stripe.pass_checks(account)
    update = stripe.events[-1]
    statuses = stripe.deliver(f"{site.base_url}/webhooks/stripe", SECRET, [update], times=2)

    assert "Stripe is checking your details" in checking.text
    assert "Continue at Stripe" in checking.text
    assert update["type"] == "account.updated"
    assert statuses == [200, 200]
    assert marketplace.payout_account_state(member.organisation_id) is AccountState.READY
    assert state_changes(marketplace, member.organisation_id) == 2  # checking, then ready
    taken = marketplace._payout_account_of(member.organisation_id)
    assert taken is not None
    assert taken.notified == {update["id"]}  # delivered twice, taken once
    assert "Ready to receive payouts" in visitor.get("/dashboard").text


def test_who_is_not_a_supplier_may_not_and_another_supplier_changes_only_its_own(
        site: Site, stripe: FakeStripe) -> None:
    marketplace = site.accounts.marketplace
    supplier, visitor = site.member_visitor(roles=("supplier",))
    visitor.post("/payouts/onboarding")  # its account made, its details not given yet
    _, buyer = site.member_visitor(roles=("buyer",))  # an admin too: of a buyer, though
    anonymous = site.visitor()
    position, changes = marketplace.position(), stripe.mutations

    refused = [buyer.post("/payouts/onboarding"), buyer.get(RETURN), buyer.get(REFRESH)]
    to_login = [anonymous.post("/payouts/onboarding"), anonymous.get(RETURN)]

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all(r.headers["location"].startswith("/login") for r in to_login)
    assert (marketplace.position(), stripe.mutations) == (position, changes)
    other, rival = site.member_visitor(roles=("supplier",))
    position = marketplace.position()
    assert rival.get(RETURN).status_code == 200  # it has no account: nothing to record
    assert rival.get(REFRESH).status_code == 404  # and no link to renew
    assert marketplace.position() == position
    assert marketplace.payout_account_state(other.organisation_id) is None
    assert marketplace.payout_account_state(
        supplier.organisation_id) is AccountState.DETAILS_NEEDED


def test_setting_up_payouts_needs_the_forms_csrf_token(site: Site, stripe: FakeStripe) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("supplier",))
    visitor.csrf_token()
    position = marketplace.position()

    response = visitor.client.post("/payouts/onboarding", data={})

    assert response.status_code == 403
    assert (marketplace.position(), stripe.mutations) == (position, 0)
    assert marketplace.payout_account_state(member.organisation_id) is None


def test_with_invoices_a_supplier_is_paid_by_bank_transfer_with_nothing_to_set_up(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("supplier",))
    in_english(visitor)
    position = marketplace.position()

    dashboard = visitor.get("/dashboard")
    response = visitor.post("/payouts/onboarding")

    assert "paid by bank transfer" in dashboard.text
    assert 'action="/payouts/onboarding"' not in dashboard.text
    assert response.status_code == 422
    assert "bank transfer" in response.text
    assert marketplace.position() == position
    assert marketplace.payout_account_state(member.organisation_id) is None


def an_account_checked(site: Site, stripe: FakeStripe) -> tuple[Member, dict[str, Any]]:
    """A supplier through onboarding while Stripe checks, then checked by Stripe: the member,
    and Stripe's ``account.updated`` that tells of it (not delivered yet)."""
    member, visitor = site.member_visitor(roles=("supplier",))
    stripe.hold_checks()
    visitor.get(stripe_sends_back(visitor.post("/payouts/onboarding").headers["location"]))
    stripe.pass_checks(site.accounts.marketplace._payout_account(member.organisation_id))
    return member, stripe.events[-1]


def test_the_connect_endpoints_webhook_is_taken_with_its_own_secret_and_only_then(
        site: Site, stripe: FakeStripe) -> None:
    marketplace = site.accounts.marketplace
    member, update = an_account_checked(site, stripe)
    url = f"{site.base_url}/webhooks/stripe"
    connect = "whsec_connect_endpoint"  # the Connect endpoint's own secret

    unknown = stripe.deliver(url, connect, [update])
    checking = marketplace.payout_account_state(member.organisation_id)
    marketplace.payments = StripePayments(API_KEY, webhook_secret=SECRET,
                                          connect_webhook_secret=connect,
                                          api_base=stripe.base_url, network_retries=0)
    taken = stripe.deliver(url, connect, [update])

    assert unknown == [400]
    assert checking is AccountState.CHECKING
    assert taken == [200]
    assert marketplace.payout_account_state(member.organisation_id) is AccountState.READY


def test_a_webhook_about_an_account_stripe_no_longer_has_is_acknowledged_and_logged(
        site: Site, stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    marketplace = site.accounts.marketplace
    member, update = an_account_checked(site, stripe)

    def gone(_account: str) -> AccountState:
        raise PaymentRefusedError(f"Stripe refused the request: No such account: {_account}")
    monkeypatch.setattr(marketplace.payments, "account_state", gone)
    statuses = stripe.deliver(f"{site.base_url}/webhooks/stripe", SECRET, [update])

    assert statuses == [200]  # Stripe would retry a 503 for days, to no avail
    assert marketplace.payout_account_state(member.organisation_id) is AccountState.CHECKING
    assert "No such account" in caplog.text
