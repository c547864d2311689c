"""The payment step of pooling through Stripe: the real SDK, over real HTTP, against the fake
Stripe server. Holds, saved cards, declines the buyer can act on, and no money moved twice
when an answer is lost or the process dies between the call and its record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from marketplace.application import Marketplace
from marketplace.cli import cli
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.domain.payments import Purpose
from marketplace.payments import PaymentUnavailableError, Status
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import (
    API_KEY,
    CARD_AUTHENTICATION_REQUIRED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_VISA,
    FakeStripe,
)
from tests.lots_builders import a_cluster, open_lot, pooled_need


def a_lot(marketplace: Marketplace, *, soon: bool = True, buyers: int = 1
          ) -> tuple[UUID, list[UUID]]:
    firms = a_cluster(marketplace, buyers=buyers, suppliers=1)
    closes = HOLD_WINDOW - timedelta(hours=1) if soon else HOLD_WINDOW + timedelta(hours=1)
    lot_id = open_lot(marketplace, firms.buyers[0], closes_at=marketplace.clock() + closes)
    for buyer in firms.buyers:
        pooled_need(marketplace, buyer, lot_id, 800)
    return lot_id, firms.buyers


def intents_of(fake: FakeStripe, lot_id: UUID) -> list[Any]:
    found = fake.client().v1.payment_intents.search(
        params={"query": f"metadata['kyodo_lot']:'{lot_id}'"})
    return list(found.auto_paging_iter())


def test_a_card_is_held_for_the_buyers_maximum_until_allocation(
        stripe_marketplace: Marketplace, fake: FakeStripe) -> None:
    lot_id, (buyer,) = a_lot(stripe_marketplace)

    payment = stripe_marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)

    assert payment.status == Status.AUTHORISED
    assert payment.settled_amount == payment.amount == 800 * 190
    (intent,) = intents_of(fake, lot_id)
    assert intent.id == payment.reference
    assert intent.status == "requires_capture"
    assert intent.capture_method == "manual"
    assert intent.amount_capturable == 152_000
    assert intent.currency == "jpy"
    assert intent.metadata["kyodo_key"] == payment.key
    assert intent.transfer_group == f"lot_{lot_id}"


def test_a_decline_is_recorded_with_what_to_do_and_another_card_then_works(
        stripe_marketplace: Marketplace) -> None:
    lot_id, (buyer,) = a_lot(stripe_marketplace)

    declined = stripe_marketplace.pay_for_commitment(buyer, lot_id,
                                                     payment_method=CARD_INSUFFICIENT_FUNDS)
    held = stripe_marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)

    assert declined.status == Status.DECLINED
    assert declined.decline_code == "insufficient_funds"
    assert declined.reason is not None
    assert "insufficient funds" in declined.reason
    assert held.status == Status.AUTHORISED
    assert held.key != declined.key


def test_a_bank_asking_for_authentication_is_a_state_the_buyer_can_act_on(
        stripe_marketplace: Marketplace) -> None:
    lot_id, (buyer,) = a_lot(stripe_marketplace)

    payment = stripe_marketplace.pay_for_commitment(
        buyer, lot_id, payment_method=CARD_AUTHENTICATION_REQUIRED)

    assert payment.status == Status.NEEDS_AUTHENTICATION
    assert payment.reason is not None
    assert "confirm" in payment.reason


def test_a_lot_closing_later_saves_the_card_for_an_off_session_charge(
        stripe_marketplace: Marketplace, fake: FakeStripe) -> None:
    lot_id, (buyer,) = a_lot(stripe_marketplace, soon=False)

    payment = stripe_marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)

    assert payment.purpose is Purpose.SAVE
    assert payment.status == Status.SAVED
    assert payment.reference is not None
    assert payment.reference.startswith("seti_")
    assert payment.customer is not None
    assert intents_of(fake, lot_id) == []  # nothing held


def test_a_crash_between_the_call_and_its_record_is_recovered_by_reconciling(
        stripe_marketplace: Marketplace, fake: FakeStripe,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lot_id, (buyer,) = a_lot(stripe_marketplace)

    def dies(*_: object) -> None:
        raise SystemExit("the process died after Stripe answered")
    with monkeypatch.context() as patch:
        patch.setattr(Marketplace, "_note_outcome", dies)
        with pytest.raises(SystemExit):
            stripe_marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    (unknown,) = stripe_marketplace.payments_of_lot(lot_id)
    changes = fake.mutations

    reconciled = stripe_marketplace.reconcile_payments(lot_id)

    assert unknown.status is None
    assert [p.status for p in reconciled.recorded] == [Status.AUTHORISED]
    assert reconciled.recorded[0].key == unknown.key
    assert reconciled.never_reached == reconciled.unknown_to_ledger == []
    assert fake.mutations == changes  # reconciling only looks
    assert len(intents_of(fake, lot_id)) == 1


def test_paying_again_after_a_lost_answer_repeats_the_call_under_its_key(
        marketplace: Marketplace, fake: FakeStripe) -> None:
    marketplace.payments = StripePayments(API_KEY, api_base=fake.base_url, network_retries=0)
    lot_id, (buyer,) = a_lot(marketplace)
    fake.drop_after_success(next_n=1)

    with pytest.raises(PaymentUnavailableError, match="retry it, or reconcile"):
        marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    again = marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)

    assert again.status == Status.AUTHORISED
    assert len(marketplace.payments_of_lot(lot_id)) == 1
    assert len(intents_of(fake, lot_id)) == 1


@pytest.mark.usefixtures("instant_retries")
def test_with_answers_dropped_after_success_every_buyer_is_held_exactly_once(
        stripe_marketplace: Marketplace, fake: FakeStripe) -> None:
    lot_id, buyers = a_lot(stripe_marketplace, buyers=12)
    fake.drop_after_success(rate=0.5, seed=7)

    payments = [stripe_marketplace.pay_for_commitment(b, lot_id, payment_method=CARD_VISA)
                for b in buyers]

    intents = intents_of(fake, lot_id)
    assert fake.dropped > 0
    assert [p.status for p in payments] == [Status.AUTHORISED] * len(buyers)
    assert len(intents) == len(buyers)
    assert {i.metadata["kyodo_key"] for i in intents} == {p.key for p in payments}
    assert all(i.amount == 800 * 190 for i in intents)


def test_the_reconcile_command_prints_what_it_recorded_and_exits_zero(
        stripe_marketplace: Marketplace, fake: FakeStripe, tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lot_id, (buyer,) = a_lot(stripe_marketplace)
    with monkeypatch.context() as patch:
        patch.setattr(Marketplace, "_note_outcome", lambda *_: None)
        stripe_marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    env = {"MARKETPLACE_DATABASE_URL": str(stripe_marketplace.engine.url.render_as_string(
        hide_password=False)), "MARKETPLACE_VAR_DIR": str(tmp_path),
        "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": "whsec_test",
        "STRIPE_API_BASE": fake.base_url}

    result = CliRunner().invoke(cli, ["payments", "reconcile", str(lot_id)], env=env)

    assert result.exit_code == 0, result.output
    assert "recorded: hold" in result.output
    assert "is authorised" in result.output
    (payment,) = stripe_marketplace.payments_of_lot(lot_id)
    assert payment.status == Status.AUTHORISED


def test_a_hold_that_lapsed_is_found_expired_by_reconciling(
        stripe_marketplace: Marketplace, fake: FakeStripe) -> None:
    lot_id, (buyer,) = a_lot(stripe_marketplace)
    held = stripe_marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    fake.advance(timedelta(days=7, minutes=1).total_seconds())

    reconciled = stripe_marketplace.reconcile_payments(lot_id)

    assert [(p.key, p.status) for p in reconciled.recorded] == [(held.key, Status.EXPIRED)]
    assert reconciled.recorded[0].reason is not None
    assert "lapsed" in reconciled.recorded[0].reason
