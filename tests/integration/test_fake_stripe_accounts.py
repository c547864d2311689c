"""The fake Stripe's connected accounts as Stripe's start: not ready until their owner has
been through the onboarding page of an account link (single-use, short-lived), and refusing
transfers until then, with Stripe's error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from tests.fake_stripe import FakeStripe, running_fake_stripe
from tests.fake_stripe.payouts import LINK_SECONDS

BACK = {"return_url": "https://kyodo.example/payouts/onboarding/return",
        "refresh_url": "https://kyodo.example/payouts/onboarding/refresh"}


@pytest.fixture
def unready() -> Iterator[FakeStripe]:
    with running_fake_stripe(accounts_ready=False) as fake:
        yield fake


def visit(url: str) -> str:
    """The supplier's browser on the hosted page: where it is sent next."""
    with httpx.Client(trust_env=False, follow_redirects=False) as browser:
        response = browser.get(url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def an_account_and_link(fake: FakeStripe) -> tuple[stripe.StripeClient, str, str]:
    client = fake.client()
    account = client.v1.accounts.create(params={"type": "express", "country": "JP"})
    link = client.v1.account_links.create(params={
        "account": account.id, "type": "account_onboarding", **BACK})  # type: ignore[typeddict-item]
    return client, account.id, link.url


def test_a_new_account_takes_no_transfer_until_its_owner_is_onboarded(
        unready: FakeStripe) -> None:
    client = unready.client()
    account = client.v1.accounts.create(params={"type": "express"})
    changes = unready.mutations

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params={"amount": 1_000, "currency": "jpy",
                                           "destination": account.id})

    assert refused.value.code == "insufficient_capabilities_for_transfer"
    body: Any = refused.value.json_body
    assert body["error"]["type"] == "invalid_request_error"
    assert unready.mutations == changes
    fetched = client.v1.accounts.retrieve(account.id)
    assert (fetched.details_submitted, fetched.charges_enabled, fetched.payouts_enabled) == (
        False, False, False)
    assert fetched.capabilities is not None
    assert fetched.capabilities.transfers == "inactive"


def test_the_onboarding_page_submits_the_details_and_sends_the_browser_back(
        unready: FakeStripe) -> None:
    client, account_id, url = an_account_and_link(unready)
    assert url.startswith(f"{unready.base_url}/setup/e/{account_id}/")

    assert visit(url) == BACK["return_url"]

    fetched = client.v1.accounts.retrieve(account_id)
    assert fetched.details_submitted
    assert fetched.payouts_enabled
    assert fetched.charges_enabled
    assert fetched.capabilities is not None
    assert fetched.capabilities.transfers == "active"
    assert unready.events[-1]["type"] == "account.updated"
    made = client.v1.transfers.create(params={"amount": 1_000, "currency": "jpy",
                                              "destination": account_id})
    assert made.destination == account_id


def test_a_link_used_or_expired_sends_the_browser_to_the_refresh_url(
        unready: FakeStripe) -> None:
    _, _, used = an_account_and_link(unready)
    visit(used)
    _, account_id, late = an_account_and_link(unready)

    unready.advance(LINK_SECONDS + 1)

    assert visit(used) == BACK["refresh_url"]
    assert visit(late) == BACK["refresh_url"]
    assert not unready.client().v1.accounts.retrieve(account_id).details_submitted


def test_while_stripe_checks_the_details_the_account_is_pending_until_it_passes(
        unready: FakeStripe) -> None:
    unready.hold_checks()
    client, account_id, url = an_account_and_link(unready)
    visit(url)
    pending = client.v1.accounts.retrieve(account_id)
    assert pending.details_submitted
    assert pending.capabilities is not None
    assert pending.capabilities.transfers == "pending"

    unready.pass_checks(account_id)

    passed = client.v1.accounts.retrieve(account_id)
    assert passed.capabilities is not None
    assert passed.capabilities.transfers == "active"
    unready.restrict(account_id)
    restricted = client.v1.accounts.retrieve(account_id)
    assert restricted.capabilities is not None
    assert restricted.capabilities.transfers == "inactive"
    assert [e["type"] for e in unready.events[-2:]] == ["account.updated"] * 2


@pytest.mark.parametrize(("params", "param"), [
    ({"type": "account_update", **BACK}, "type"),
    ({"type": "account_onboarding", "return_url": BACK["return_url"]}, "refresh_url"),
    ({"type": "account_onboarding", "account": "acct_nobody", **BACK}, "account"),
])
def test_an_account_link_stripe_would_refuse_is_refused_naming_the_parameter(
        unready: FakeStripe, params: dict[str, Any], param: str) -> None:
    client = unready.client()
    account = client.v1.accounts.create(params={"type": "express"})
    asked: Any = {"account": account.id, **params}

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.account_links.create(params=asked)

    assert refused.value.param == param


def test_a_page_that_was_never_linked_is_not_found(unready: FakeStripe) -> None:
    with httpx.Client(trust_env=False) as browser:
        response = browser.get(f"{unready.base_url}/setup/e/acct_nobody/nothing")

    assert response.status_code == 404
