"""What goes wrong with payments, and how it is put right: a refused capture that does not
hold up the others, a repeat sent as first asked, holds superseded and released, amounts
refused before anything is recorded, a capture whose answer was lost found by reconciling."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW, CardTokenInvalidError
from marketplace.domain.payments import Purpose
from marketplace.payments import AmountNotPayableError, PaymentUnavailableError, Status
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import (
    API_KEY,
    CARD_INSUFFICIENT_FUNDS,
    CARD_VISA,
    FakeStripe,
)
from tests.lots_builders import a_cluster, bid_alone, open_lot, pooled_need, post_need
from tests.payment_builders import a_paid_lot


@pytest.fixture(autouse=True)
def _through_stripe(marketplace: Marketplace, fake: FakeStripe) -> None:
    marketplace.payments = StripePayments(API_KEY, api_base=fake.base_url, network_retries=0)


def by_party(marketplace: Marketplace, lot_id: UUID) -> dict[UUID, list[tuple[str, str | None]]]:
    found: dict[UUID, list[tuple[str, str | None]]] = {}
    for p in marketplace.payments_of_lot(lot_id):
        found.setdefault(p.party_id, []).append((p.purpose.value, p.status))
    return found


def test_a_refused_capture_is_recorded_and_the_other_buyers_are_still_settled(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, (first, second, _) = a_paid_lot(marketplace)
    (hold,) = [p for p in marketplace.payments_of_lot(lot_id) if p.party_id == first]
    fake.client().v1.payment_intents.cancel(hold.reference or "")  # gone before the close
    clock.advance(HOLD_WINDOW)

    marketplace.close_due_lots()

    parties = by_party(marketplace, lot_id)
    assert parties[first][-1] == ("capture", Status.REFUSED)
    assert parties[second][-1] == ("capture", Status.CAPTURED)
    assert marketplace.payouts_of_lot(lot_id) == []  # not while a buyer has not paid
    changes = fake.mutations
    marketplace.settle_buyers(lot_id)
    marketplace.pay_suppliers(lot_id)
    assert fake.mutations == changes


def test_paying_again_with_another_card_repeats_the_first_request_as_it_was(
        marketplace: Marketplace, fake: FakeStripe) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0],
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(marketplace, firms.buyers[0], lot_id, 800)
    fake.drop_after_success(next_n=1)
    with pytest.raises(PaymentUnavailableError):
        marketplace.pay_for_commitment(firms.buyers[0], lot_id, payment_method=CARD_VISA)

    again = marketplace.pay_for_commitment(firms.buyers[0], lot_id,
                                           payment_method=CARD_INSUFFICIENT_FUNDS)

    assert again.status == Status.AUTHORISED  # the first card's hold, found again
    assert len(marketplace.payments_of_lot(lot_id)) == 1
    client = fake.client()
    held = client.v1.payment_intents.retrieve(again.reference or "")
    assert client.v1.payment_methods.retrieve(held.payment_method).card.last4 == "4242"


def test_a_hold_superseded_by_a_larger_one_is_released_at_the_close(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    buyer = firms.buyers[0]
    lot_id = open_lot(marketplace, buyer,
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(marketplace, buyer, lot_id, 800)
    first = marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    pooled_need(marketplace, buyer, lot_id, 400)
    second = marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    bid_alone(marketplace, firms.suppliers[0], lot_id)
    clock.advance(HOLD_WINDOW)

    marketplace.close_due_lots()

    client = fake.client()
    assert client.v1.payment_intents.retrieve(first.reference or "").status == "canceled"
    kept = client.v1.payment_intents.retrieve(second.reference or "")
    assert kept.status == "succeeded"
    assert kept.amount_received == 1200 * 180
    assert sorted(p for p, _ in by_party(marketplace, lot_id)[buyer]) == [
        "capture", "hold", "hold", "release"]


def test_an_amount_beyond_one_card_payment_is_refused_before_anything_is_recorded(
        marketplace: Marketplace, fake: FakeStripe) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0],
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    need = post_need(marketplace, firms.buyers[0], 600_000)
    marketplace.pool_need(firms.buyers[0], lot_id, need)

    with pytest.raises(AmountNotPayableError, match="split it"):
        marketplace.pay_for_commitment(firms.buyers[0], lot_id, payment_method=CARD_VISA)

    assert marketplace.payments_of_lot(lot_id) == []
    assert fake.mutations == 0


def test_a_capture_whose_answer_was_lost_is_found_by_reconciling(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    fake.drop_after_success(next_n=1)  # the first capture's answer
    marketplace.close_due_lots()
    unknown = [p for p in marketplace.payments_of_lot(lot_id) if not p.known]

    reconciled = marketplace.reconcile_payments(lot_id)

    assert [p.purpose for p in unknown] == [Purpose.CAPTURE]
    assert [(p.purpose, p.status) for p in reconciled.recorded
            if p.key == unknown[0].key] == [(Purpose.CAPTURE, Status.CAPTURED)]
    assert reconciled.never_reached == []


def test_a_card_token_stripe_does_not_know_is_recorded_refused_and_another_card_then_works(
        marketplace: Marketplace, fake: FakeStripe) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    buyer = firms.buyers[0]
    lot_id = open_lot(marketplace, buyer,
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(marketplace, buyer, lot_id, 800)

    with pytest.raises(CardTokenInvalidError, match="enter your card again"):
        marketplace.pay_for_commitment(buyer, lot_id, payment_method="4242 4242 4242 4242")
    refused = marketplace.pay_for_commitment(buyer, lot_id, payment_method="pm_typo")
    held = marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)

    assert refused.status == Status.REFUSED
    assert refused.reason is not None
    assert "pm_typo" in refused.reason
    assert held.status == Status.AUTHORISED
    assert len(marketplace.payments_of_lot(lot_id)) == 2


def test_a_saved_card_is_charged_at_the_close_and_a_lost_answer_not_charged_again_a_day_later(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    buyer = firms.buyers[0]
    lot_id = open_lot(marketplace, buyer,
                      closes_at=marketplace.clock() + HOLD_WINDOW + timedelta(days=1))
    pooled_need(marketplace, buyer, lot_id, 1200)
    saved = marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    bid_alone(marketplace, firms.suppliers[0], lot_id)
    clock.advance(HOLD_WINDOW + timedelta(days=1))
    fake.drop_after_success(next_n=1)  # the charge's answer
    marketplace.close_due_lots()
    fake.forget_keys()  # a day later, Stripe no longer knows the key

    marketplace.settle_buyers(lot_id)
    marketplace.pay_suppliers(lot_id)

    assert saved.purpose is Purpose.SAVE
    intents = list(fake.client().v1.payment_intents.search(
        params={"query": f"metadata['kyodo_lot']:'{lot_id}'"}).auto_paging_iter())
    assert [(i.status, i.amount_received) for i in intents] == [("succeeded", 1200 * 180)]
    assert by_party(marketplace, lot_id)[buyer][-1] == ("charge", Status.CAPTURED)
    statement = marketplace.payout_statement(firms.suppliers[0], lot_id)
    assert statement is not None
    assert statement.paid == 1200 * 180
