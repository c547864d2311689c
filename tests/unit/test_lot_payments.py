"""A lot's payment record: requests before outcomes, each key once, final states kept."""

from __future__ import annotations

from uuid import UUID

import pytest

from marketplace.domain.payments import LotPayments, PaymentNotRequestedError, Purpose

LOT, BUYER = UUID(int=1), UUID(int=2)


def a_hold() -> LotPayments:
    payments = LotPayments.open(LOT, "JPY", "stripe")
    payments.request("k1", Purpose.HOLD, BUYER, 152_000, method="pm_1")
    return payments


def test_an_outcome_needs_its_request_first() -> None:
    payments = LotPayments.open(LOT, "JPY", "stripe")

    with pytest.raises(PaymentNotRequestedError, match="record the request before the call"):
        payments.record("k1", status="authorised", reference="pi_1")


def test_a_key_is_requested_once() -> None:
    payments = a_hold()

    assert payments.request("k1", Purpose.HOLD, BUYER, 999) is False
    assert payments.payments["k1"].amount == 152_000


def test_a_state_reported_late_does_not_undo_a_final_one() -> None:
    payments = a_hold()
    payments.record("k1", status="authorised", reference="pi_1", amount=152_000)
    payments.record("k1", status="captured", reference="pi_1", amount=144_000)

    late = payments.record("k1", status="authorised", reference="pi_1", amount=152_000)

    assert late is False
    assert payments.payments["k1"].status == "captured"
    assert payments.payments["k1"].settled_amount == 144_000


def test_authentication_then_authorisation_moves_on() -> None:
    payments = a_hold()
    payments.record("k1", status="needs_authentication", reference="pi_1")

    assert payments.record("k1", status="authorised", reference="pi_1", amount=152_000)
    assert payments.payments["k1"].method == "pm_1"  # the card asked with is kept


def test_a_look_from_before_the_banks_confirmation_does_not_undo_it() -> None:
    """A webhook fetched the intent while it waited on the bank, and is committed after the
    buyer's confirmation was recorded: the hold stays authorised, to be captured."""
    payments = a_hold()
    payments.record("k1", status="needs_authentication", reference="pi_1")
    payments.record("k1", status="authorised", reference="pi_1", amount=152_000)

    late = payments.record("k1", status="needs_authentication", reference="pi_1")

    assert late is False
    assert payments.payments["k1"].status == "authorised"


def test_a_webhook_is_taken_once() -> None:
    payments = a_hold()

    assert payments.notice("evt_1", "payment_intent.succeeded", "k1") is True
    assert payments.notice("evt_1", "payment_intent.succeeded", "k1") is False
