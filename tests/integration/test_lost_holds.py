"""What a hold cannot cover is not lost: a need pooled after the payment step is charged to
the card the hold saved, and a hold that lapsed before its capture (noticed, or
found when Stripe refuses the capture) is replaced by one charge of that card. Each buyer
still pays exactly what the allocation says, once, and the suppliers are then paid."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.domain.payments import Purpose
from marketplace.payments import PaymentUnavailableError, Status
from tests.fake_stripe import CARD_AUTHENTICATION_REQUIRED, CARD_VISA, FakeStripe
from tests.lots_builders import a_cluster, bid_alone, open_lot, pooled_need, post_need


def a_held_lot(marketplace: Marketplace) -> tuple[UUID, UUID, UUID]:
    """One buyer holding its maximum (1,200 kg at ¥190) for a lot closing within the window,
    and one supplier's bid (¥180 a kg from 1,000 kg)."""
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    buyer, supplier = firms.buyers[0], firms.suppliers[0]
    lot_id = open_lot(marketplace, buyer,
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(marketplace, buyer, lot_id, 1200)
    bid_alone(marketplace, supplier, lot_id)
    held = marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    assert (held.status, held.settled_amount) == (Status.AUTHORISED, 1200 * 190)
    return lot_id, buyer, supplier


def taken(marketplace: Marketplace, lot_id: UUID) -> list[tuple[Purpose, str | None, int | None]]:
    return [(p.purpose, p.status, p.settled_amount) for p in marketplace.payments_of_lot(lot_id)
            if p.purpose in (Purpose.CAPTURE, Purpose.CHARGE)]


def intents_of(fake: FakeStripe, lot_id: UUID) -> list[Any]:
    """The lot's PaymentIntents at Stripe: the hold (manual capture) first, then charges."""
    return sorted(fake.client().v1.payment_intents.search(
        params={"query": f"metadata['kyodo_lot']:'{lot_id}'"}).auto_paging_iter(),
        key=lambda i: i.capture_method != "manual")


def test_a_need_pooled_after_the_hold_is_charged_to_the_card_the_hold_saved(
        marketplace: Marketplace, clock: SettableClock, processor: FakeStripe | None) -> None:
    lot_id, buyer, supplier = a_held_lot(marketplace)
    pooled_need(marketplace, buyer, lot_id, 400)  # and no second payment step
    clock.advance(HOLD_WINDOW)

    marketplace.close_due_lots()

    owed = 1600 * 180
    allocation = marketplace.allocations.of_lot(buyer, lot_id)
    assert allocation is not None
    assert sum(n.total for n in allocation.my_needs if n.served) == owed
    statement = marketplace.payout_statement(supplier, lot_id)
    assert statement is not None
    assert (statement.gross, statement.paid) == (owed, owed)
    if processor is None:  # an order by invoice is invoiced whatever the allocation says
        assert taken(marketplace, lot_id) == [(Purpose.CAPTURE, Status.CAPTURED, owed)]
        return
    assert taken(marketplace, lot_id) == [(Purpose.CAPTURE, Status.CAPTURED, 1200 * 190),
                                          (Purpose.CHARGE, Status.CAPTURED, owed - 1200 * 190)]
    hold, rest = intents_of(processor, lot_id)
    assert (hold.status, hold.amount_received) == ("succeeded", 1200 * 190)
    assert (rest.status, rest.amount_received, rest.capture_method) == (
        "succeeded", owed - 1200 * 190, "automatic")
    assert (rest.customer, rest.payment_method) == (hold.customer, hold.payment_method)
    assert hold.customer is not None


def test_a_hold_found_lapsed_is_replaced_by_one_charge_of_the_card_it_saved(
        stripe_marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, _, supplier = a_held_lot(stripe_marketplace)
    fake.advance(timedelta(days=7, minutes=1).total_seconds())  # the hold lapses at Stripe
    (lapsed,) = stripe_marketplace.reconcile_payments(lot_id).recorded
    assert lapsed.status == Status.EXPIRED
    assert "charged" in (lapsed.reason or "")
    clock.advance(HOLD_WINDOW)

    stripe_marketplace.close_due_lots()
    stripe_marketplace.settle_buyers(lot_id)  # again: nothing more is charged

    assert taken(stripe_marketplace, lot_id) == [(Purpose.CHARGE, Status.CAPTURED, 1200 * 180)]
    hold, charge = intents_of(fake, lot_id)
    assert (hold.status, charge.status, charge.amount_received) == (
        "canceled", "succeeded", 1200 * 180)
    statement = stripe_marketplace.payout_statement(supplier, lot_id)
    assert statement is not None
    assert statement.paid == 1200 * 180


def test_a_hold_that_lapsed_unnoticed_is_charged_once_the_capture_is_refused(
        stripe_marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, _, supplier = a_held_lot(stripe_marketplace)
    fake.advance(timedelta(days=7, minutes=1).total_seconds())  # no webhook, no reconcile
    clock.advance(HOLD_WINDOW)

    stripe_marketplace.close_due_lots()  # the capture is refused, so the saved card is charged
    before = fake.mutations
    stripe_marketplace.settle_buyers(lot_id)

    assert taken(stripe_marketplace, lot_id) == [(Purpose.CAPTURE, Status.REFUSED, None),
                                          (Purpose.CHARGE, Status.CAPTURED, 1200 * 180)]
    assert fake.mutations == before
    statement = stripe_marketplace.payout_statement(supplier, lot_id)
    assert statement is not None
    assert statement.paid == 1200 * 180


def test_a_replacement_the_bank_stops_is_not_tried_again_and_the_suppliers_wait(
        stripe_marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    firms = a_cluster(stripe_marketplace, buyers=1, suppliers=1)
    buyer = firms.buyers[0]
    lot_id = open_lot(stripe_marketplace, buyer,
                      closes_at=stripe_marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(stripe_marketplace, buyer, lot_id, 1200)
    bid_alone(stripe_marketplace, firms.suppliers[0], lot_id)
    asked = stripe_marketplace.pay_for_commitment(
        buyer, lot_id, payment_method=CARD_AUTHENTICATION_REQUIRED)
    fake.authenticate(asked.reference or "")  # the buyer confirms the hold with its bank
    fake.advance(timedelta(days=7, minutes=1).total_seconds())
    stripe_marketplace.reconcile_payments(lot_id)
    clock.advance(HOLD_WINDOW)

    stripe_marketplace.close_due_lots()  # off-session, this card's bank asks again: no charge
    before = fake.mutations
    stripe_marketplace.settle_buyers(lot_id)

    assert [(p, s) for p, s, _ in taken(stripe_marketplace, lot_id)] == [
        (Purpose.CHARGE, Status.NEEDS_AUTHENTICATION)]
    assert fake.mutations == before
    assert stripe_marketplace.payouts_of_lot(lot_id) == []


def test_a_lapsed_hold_and_a_need_pooled_after_it_are_both_charged_to_the_saved_card(
        stripe_marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, buyer, supplier = a_held_lot(stripe_marketplace)
    pooled_need(stripe_marketplace, buyer, lot_id, 400)
    fake.advance(timedelta(days=7, minutes=1).total_seconds())  # unnoticed
    clock.advance(HOLD_WINDOW)

    stripe_marketplace.close_due_lots()
    before = fake.mutations
    stripe_marketplace.settle_buyers(lot_id)

    owed, held = 1600 * 180, 1200 * 190
    assert taken(stripe_marketplace, lot_id) == [
        (Purpose.CAPTURE, Status.REFUSED, None), (Purpose.CHARGE, Status.CAPTURED, owed - held),
        (Purpose.CHARGE, Status.CAPTURED, held)]
    assert fake.mutations == before
    statement = stripe_marketplace.payout_statement(supplier, lot_id)
    assert statement is not None
    assert statement.paid == owed


def test_a_card_step_that_never_reached_stripe_holds_no_supplier_back(
        stripe_marketplace: Marketplace, clock: SettableClock, fake: FakeStripe,
        monkeypatch: pytest.MonkeyPatch) -> None:
    firms = a_cluster(stripe_marketplace, buyers=2, suppliers=1)
    served, left_out = firms.buyers
    lot_id = open_lot(stripe_marketplace, served,
                      closes_at=stripe_marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(stripe_marketplace, served, lot_id, 1200)
    low = post_need(stripe_marketplace, left_out, 500, max_unit_price=150)
    stripe_marketplace.pool_need(left_out, lot_id, low)
    bid_alone(stripe_marketplace, firms.suppliers[0], lot_id)
    stripe_marketplace.pay_for_commitment(served, lot_id, payment_method=CARD_VISA)

    def unreachable(*_: object, **__: object) -> None:
        raise PaymentUnavailableError("the connection was refused")
    with monkeypatch.context() as patch:
        patch.setattr(stripe_marketplace.payments, "hold", unreachable)
        with pytest.raises(PaymentUnavailableError):
            stripe_marketplace.pay_for_commitment(left_out, lot_id, payment_method=CARD_VISA)
    clock.advance(HOLD_WINDOW)

    stripe_marketplace.close_due_lots()

    (never,) = [p for p in stripe_marketplace.payments_of_lot(lot_id) if p.party_id == left_out]
    assert not never.known
    statement = stripe_marketplace.payout_statement(firms.suppliers[0], lot_id)
    assert statement is not None
    assert statement.paid == 1200 * 180
