"""Amounts in minor units: exact or refused, never a float, never silently rounded."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.payments import AmountNotPayableError, InvoicePayments, Money, idempotency_key
from marketplace.payments.money import exponent
from marketplace.payments.port import Buyer, Status
from marketplace.payments.stripe_adapter import StripePayments


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    (Decimal("1200"), "JPY", 1200), (Decimal("1200.00"), "jpy", 1200),
    (Decimal("12.34"), "usd", 1234), (Decimal("12.5"), "eur", 1250),
    (Decimal("1.234"), "kwd", 1234), (Decimal("0"), "jpy", 0)])
def test_an_exact_amount_becomes_whole_minor_units(amount: Decimal, currency: str,
                                                   minor: int) -> None:
    money = Money.of(amount, currency)

    assert money == Money(minor, currency.lower())
    assert money.major == amount


@pytest.mark.parametrize(("amount", "currency"), [
    (Decimal("1200.5"), "jpy"), (Decimal("12.345"), "usd"), (Decimal("NaN"), "usd")])
def test_an_amount_finer_than_the_minor_unit_is_refused_unless_rounded(amount: Decimal,
                                                                      currency: str) -> None:
    with pytest.raises(AmountNotPayableError, match="not"):
        Money.of(amount, currency)


def test_a_named_rounding_is_applied() -> None:
    assert Money.of(Decimal("1200.5"), "jpy", rounding=ROUND_HALF_UP).minor == 1201
    assert Money.of(Decimal("1200.5"), "jpy", rounding=ROUND_DOWN).minor == 1200


def test_floats_and_unknown_currencies_are_refused() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        Money.of(12.5, "usd")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="int"):
        Money(12.5, "usd")  # type: ignore[arg-type]
    with pytest.raises(AmountNotPayableError, match="ISO 4217"):
        exponent("yen")


def test_a_payment_is_positive_and_within_one_payments_limit() -> None:
    assert Money(1, "jpy").payable() == Money(1, "jpy")
    with pytest.raises(AmountNotPayableError, match="positive"):
        Money(0, "jpy").payable()
    with pytest.raises(AmountNotPayableError, match="split"):
        Money(StripePayments.max_minor + 1, "jpy").payable(StripePayments.max_minor)
    assert Money(10**12, "jpy").payable() == Money(10**12, "jpy")  # no limit named


def test_currencies_do_not_mix() -> None:
    assert Money(100, "jpy") + Money(20, "jpy") == Money(120, "jpy")
    with pytest.raises(AmountNotPayableError, match="USD"):
        Money(100, "jpy") - Money(1, "usd")


@given(st.decimals(min_value=0, max_value=10**6, places=2), st.sampled_from(["usd", "eur"]))
def test_two_decimal_amounts_round_trip(amount: Decimal, currency: str) -> None:
    assert Money.of(amount, currency).major == amount


def test_an_entry_always_gives_the_same_idempotency_key() -> None:
    lot = UUID(int=5)

    key = idempotency_key(lot, 3, "hold")

    assert key == idempotency_key(lot, 3, "hold") == f"kyodo:{lot}:3:hold"
    assert key != idempotency_key(lot, 4, "hold") != idempotency_key(lot, 3, "capture")
    with pytest.raises(ValueError, match="purpose"):
        idempotency_key(lot, 3, "hold:again")


def test_invoices_are_numbered_from_the_key_and_move_nothing_twice() -> None:
    payments, lot, buyer = InvoicePayments(), UUID(int=1), Buyer(UUID(int=2))

    held = payments.hold(lot, buyer, Money(5000, "jpy"), key="k1")
    invoiced = payments.capture(held.reference, Money(4200, "jpy"), key="k2")

    assert held.status is Status.AUTHORISED
    assert invoiced.status is Status.CAPTURED
    assert invoiced.amount == Money(4200, "jpy")
    assert invoiced.reference == payments.capture(held.reference, Money(4200, "jpy"),
                                                  key="k2").reference
    assert invoiced.reference.startswith("INV-")
    assert payments.find(lot) == []
