"""A supplier whose payout account cannot take transfers yet is not paid into it: its
transfers wait, requested and unknown, while the others are paid; once it has set up its
account at Stripe they are made, once, exactly its share. A transfer Stripe refuses because
the account cannot take it is recorded refused, never as money moved."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments import AccountState, Status
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import API_KEY, FakeStripe, running_fake_stripe
from tests.lots_builders import a_cluster
from tests.payment_builders import a_consortium_lot

RETURN = "https://kyodo.example/payouts/onboarding/return"
REFRESH = "https://kyodo.example/payouts/onboarding/refresh"


@pytest.fixture
def fake(marketplace: Marketplace) -> Iterator[FakeStripe]:
    """Stripe whose connected accounts are not ready until onboarded, as Stripe's."""
    with running_fake_stripe(accounts_ready=False) as unready:
        marketplace.payments = StripePayments(API_KEY, api_base=unready.base_url,
                                              network_retries=0)
        yield unready


def onboard(marketplace: Marketplace, supplier: UUID) -> AccountState | None:
    """The supplier through Stripe's onboarding page and back to the return URL."""
    url = marketplace.start_payout_onboarding(supplier, return_url=RETURN,
                                              refresh_url=REFRESH)
    assert url is not None
    with httpx.Client(trust_env=False) as browser:
        assert browser.get(url).headers["location"] == RETURN
    return marketplace.check_payout_account(supplier)


def paid_into(fake: FakeStripe, account: str) -> list[int]:
    return [t.amount for t in fake.client().v1.transfers.list(
        params={"destination": account}).auto_paging_iter()]


def test_a_supplier_not_set_up_waits_while_the_others_are_paid_then_is_paid_once(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, lead, member = a_consortium_lot(marketplace)
    assert onboard(marketplace, lead) is AccountState.READY
    clock.advance(HOLD_WINDOW)

    marketplace.close_due_lots()

    lead_paid = marketplace.payout_statement(lead, lot_id)
    waiting = marketplace.payout_statement(member, lot_id)
    assert lead_paid is not None
    assert waiting is not None
    assert lead_paid.paid == lead_paid.net > 0
    assert sum(paid_into(fake, marketplace._payout_account(lead))) == lead_paid.net
    assert paid_into(fake, marketplace._payout_account(member)) == []  # never called
    assert waiting.transfers
    assert {t.status for t in waiting.transfers} == {None}
    assert waiting.waits_for_account
    assert not lead_paid.waits_for_account
    assert marketplace.lots_awaiting_payout(member) == [lot_id]
    changes, position = fake.mutations, marketplace.position()
    marketplace.pay_suppliers(lot_id)  # paying again while it is not set up: still waits
    assert (fake.mutations, marketplace.position()) == (changes, position)

    assert onboard(marketplace, member) is AccountState.READY

    paid = marketplace.payout_statement(member, lot_id)
    assert paid is not None
    assert paid.paid == paid.net == waiting.net > 0
    assert {t.status for t in paid.transfers} == {Status.TRANSFERRED}
    assert sorted(paid_into(fake, marketplace._payout_account(member))) == sorted(
        t.amount or 0 for t in waiting.transfers)
    assert marketplace.lots_awaiting_payout(member) == []
    changes, position = fake.mutations, marketplace.position()
    assert marketplace.check_payout_account(member) is AccountState.READY  # back again
    assert (fake.mutations, marketplace.position()) == (changes, position)


def test_a_transfer_stripe_refuses_as_the_account_cannot_take_it_is_recorded_refused(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    """...and asked again once, waiting until the account is ready, then paid once."""
    lot_id, lead, member = a_consortium_lot(marketplace)
    onboard(marketplace, lead)
    onboard(marketplace, member)
    fake.restrict(marketplace._payout_account(member))  # Stripe wants more; not told yet
    clock.advance(HOLD_WINDOW)

    marketplace.close_due_lots()

    refused = marketplace.payout_statement(member, lot_id)
    assert refused is not None
    assert refused.transfers
    assert {t.status for t in refused.transfers} == {Status.REFUSED}
    assert all("setting up payouts" in (t.reason or "") for t in refused.transfers)
    assert refused.paid == 0
    assert paid_into(fake, marketplace._payout_account(member)) == []
    lead_paid = marketplace.payout_statement(lead, lot_id)
    assert lead_paid is not None
    assert lead_paid.paid == lead_paid.net > 0
    assert marketplace.payout_account_state(member) is not AccountState.READY  # found out

    marketplace.pay_suppliers(lot_id)  # asked again, but the account cannot take it yet
    waiting = marketplace.payout_statement(member, lot_id)
    assert onboard(marketplace, member) is AccountState.READY
    marketplace.pay_suppliers(lot_id)

    assert waiting is not None
    assert waiting.waits_for_account
    assert [t.status for t in waiting.transfers] == [Status.REFUSED] * len(refused.transfers) + [
        None] * len(refused.transfers)
    paid = marketplace.payout_statement(member, lot_id)
    assert paid is not None
    assert paid.paid == paid.net > 0
    assert sorted(paid_into(fake, marketplace._payout_account(member))) == sorted(
        t.amount for t in refused.transfers)


def test_the_state_is_recorded_once_whoever_asks_and_only_when_it_changes(
        marketplace: Marketplace, fake: FakeStripe) -> None:
    supplier = a_cluster(marketplace, buyers=0, suppliers=1).suppliers[0]
    fake.hold_checks()
    assert marketplace.check_payout_account(supplier) is None  # nothing to ask about yet

    assert onboard(marketplace, supplier) is AccountState.CHECKING
    position = marketplace.position()
    assert marketplace.check_payout_account(supplier) is AccountState.CHECKING
    assert marketplace.position() == position

    fake.pass_checks(marketplace._payout_account(supplier))
    assert marketplace.check_payout_account(supplier) is AccountState.READY
    assert marketplace.payout_account_state(supplier) is AccountState.READY
    assert marketplace.start_payout_onboarding(supplier, return_url=RETURN,
                                               refresh_url=REFRESH) is None


def test_a_transfer_refused_as_the_account_cannot_take_it_is_made_once_the_supplier_is_ready(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    """Nobody runs pay_suppliers by hand: the supplier back from Stripe's pages pays it."""
    lot_id, lead, member = a_consortium_lot(marketplace)
    onboard(marketplace, lead)
    onboard(marketplace, member)
    fake.restrict(marketplace._payout_account(member))
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    refused = marketplace.payout_statement(member, lot_id)

    assert onboard(marketplace, member) is AccountState.READY

    assert refused is not None
    assert refused.waits_for_account  # the lot page tells the supplier to set it up
    paid = marketplace.payout_statement(member, lot_id)
    assert paid is not None
    assert paid.paid == paid.net > 0
    assert sorted(paid_into(fake, marketplace._payout_account(member))) == sorted(
        t.amount for t in refused.transfers)


def test_a_supplier_stripe_passes_without_a_webhook_is_paid_by_a_later_round(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    """The member went through onboarding and Stripe was still checking; Stripe then passes
    its checks, and no webhook reaches the marketplace (no Connect endpoint set up): the
    background rounds keep looking at the lot after their backoff, and pay it once."""
    lot_id, lead, member = a_consortium_lot(marketplace)
    onboard(marketplace, lead)
    fake.hold_checks()
    assert onboard(marketplace, member) is not AccountState.READY
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    first = marketplace.follow_up_payments()
    fake.pass_checks(marketplace._payout_account(member))  # its webhook never delivered

    too_soon = marketplace.follow_up_payments()
    clock.advance(first[0].retry_in or 0)
    later = marketplace.follow_up_payments()
    again = marketplace.follow_up_payments()

    assert [f.still for f in first] == ["1 call(s) whose outcome is unknown"]
    assert too_soon == []
    assert [(f.lot_id, f.still) for f in later] == [(lot_id, None)]
    assert again == []
    paid = marketplace.payout_statement(member, lot_id)
    assert paid is not None
    assert paid.paid == paid.net > 0
    assert sum(paid_into(fake, marketplace._payout_account(member))) == paid.net
