"""Settling one buyer, decided from its payments alone: what the allocation says, once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast
from uuid import UUID

from marketplace.commands.settlement import _settling_calls
from marketplace.domain.lot import Lot
from marketplace.domain.payments import LotPayments, Purpose
from marketplace.payments import Money

LOT, BUYER = UUID(int=1), UUID(int=2)
A_LOT = cast(Lot, SimpleNamespace(id=LOT, currency=SimpleNamespace(value="JPY")))


def test_a_charge_waiting_on_the_buyers_bank_is_not_taken_again_from_a_later_hold() -> None:
    """The hold captured and the rest charged off session, which the bank stopped; a later
    hold (its confirmation recorded only after the close) is released, not captured for that
    rest: the buyer still confirms the charge on the lot page, and would pay it twice."""
    payments = LotPayments.open(LOT, "JPY", "stripe")
    payments.request("h1", Purpose.HOLD, BUYER, 100, method="pm_1")
    payments.record("h1", status="authorised", reference="pi_1", amount=100,
                    customer="cus_1", method="pm_1")
    payments.request("h2", Purpose.HOLD, BUYER, 200, method="pm_2")
    payments.record("h2", status="needs_authentication", reference="pi_2", amount=200)
    payments.request("c1", Purpose.CAPTURE, BUYER, 100, of="pi_1")
    payments.record("c1", status="captured", reference="pi_1", amount=100)
    payments.request("c2", Purpose.CHARGE, BUYER, 50, of="pi_1")
    payments.record("c2", status="needs_authentication", reference="pi_3", amount=50)
    payments.record("h2", status="authorised", reference="pi_2", amount=200,
                    customer="cus_1", method="pm_2")

    calls = _settling_calls(A_LOT, payments, BUYER, Money(150, "JPY"), cap=True)

    asked = [(c.payment.purpose, c.payment.amount, c.payment.of) for c in calls
             if c.payment.key not in ("c1", "c2")]
    assert asked == [(Purpose.RELEASE, None, "pi_2")]


def test_a_card_the_buyer_replaced_is_not_charged_when_its_latest_is_refused() -> None:
    """Two holds that both lapsed (the first superseded by the second, larger one): the
    latest card is charged instead, its bank refuses, and the older card, which the buyer
    had replaced, is not tried in its place: the buyer acts on the reason."""
    payments = LotPayments.open(LOT, "JPY", "stripe")
    for key, reference, method in (("h1", "pi_1", "pm_1"), ("h2", "pi_2", "pm_2")):
        payments.request(key, Purpose.HOLD, BUYER, 100, method=method)
        payments.record(key, status="expired", reference=reference, amount=100,
                        customer="cus_1", method=method)
    first = _settling_calls(A_LOT, payments, BUYER, Money(150, "JPY"), cap=True)
    (charge,) = [c.payment for c in first]
    payments.record(charge.key, status="declined", reference="pi_3",
                    reason="the card was declined")

    again = _settling_calls(A_LOT, payments, BUYER, Money(150, "JPY"), cap=True)

    assert (charge.purpose, charge.amount, charge.of) == (Purpose.CHARGE, 150, "pi_2")
    assert [c.payment.key for c in again] == [charge.key]


def test_an_older_saved_card_is_not_charged_once_the_latest_ones_charge_is_declined() -> None:
    """Two saved cards (the second replaced the first before the close): the latest is
    charged and declined; settling again asks nothing of the first, and the buyer is left to
    give another card, which is then charged what it owes."""
    payments = LotPayments.open(LOT, "JPY", "stripe")
    for key, reference in (("s1", "seti_1"), ("s2", "seti_2")):
        payments.request(key, Purpose.SAVE, BUYER, None, method=f"pm_{key}")
        payments.record(key, status="saved", reference=reference, customer="cus_1",
                        method=f"pm_{key}")
    (charge,) = [c.payment for c in _settling_calls(A_LOT, payments, BUYER,
                                                     Money(150, "JPY"), cap=True)]
    payments.record(charge.key, status="declined", reference="pi_1", decline_code="x")
    stuck = [c.payment for c in _settling_calls(A_LOT, payments, BUYER, Money(150, "JPY"),
                                                cap=True) if c.payment.key != charge.key]
    payments.request("s3", Purpose.SAVE, BUYER, None, method="pm_s3")
    payments.record("s3", status="saved", reference="seti_3", customer="cus_2",
                    method="pm_s3")

    again = [c.payment for c in _settling_calls(A_LOT, payments, BUYER, Money(150, "JPY"),
                                                cap=True) if c.payment.key != charge.key]

    assert charge.of == "seti_2"
    assert stuck == []
    assert [(p.purpose, p.amount, p.of) for p in again] == [(Purpose.CHARGE, 150, "seti_3")]
