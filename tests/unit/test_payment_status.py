"""Where a party's money stands, read from its own payment calls; the backoff of a lot whose
settlement failed; the payment bars' geometry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from marketplace.commands.followups import Backoff
from marketplace.commands.payment_status import (
    PaymentState,
    buyer_payment,
    supplier_payment,
)
from marketplace.domain.payments import Payment, Purpose
from web.payment_bars import WIDTH, parts_bar

BUYER, SUPPLIER, LOT = UUID(int=1), UUID(int=2), UUID(int=3)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def call(purpose: Purpose, status: str | None, amount: int | None = None, *,
         party: UUID = BUYER, reason: str | None = None) -> Payment:
    return Payment(f"k-{purpose}-{status}", purpose, party, amount, status=status,
                   settled_amount=amount if status else None, reason=reason)


def test_a_buyer_whose_capture_took_all_it_owes_has_paid() -> None:
    mine = [call(Purpose.HOLD, "captured", 152_000), call(Purpose.CAPTURE, "captured", 144_000)]

    payment = buyer_payment(mine, 144_000)

    assert (payment.state, payment.paid, payment.waiting) == (PaymentState.PAID, 144_000, 0)


def test_a_capture_smaller_than_what_is_owed_is_paid_in_part() -> None:
    payment = buyer_payment([call(Purpose.CAPTURE, "captured", 100_000)], 144_000)

    assert (payment.state, payment.waiting) == (PaymentState.PART_PAID, 44_000)


def test_a_card_not_yet_settled_or_a_call_unanswered_is_waiting() -> None:
    held = [call(Purpose.HOLD, "authorised", 152_000)]
    asked = [*held, call(Purpose.CAPTURE, None, 144_000)]

    assert buyer_payment(held, 144_000).state is PaymentState.WAITING
    assert buyer_payment(asked, 144_000).state is PaymentState.WAITING


def test_a_buyer_asked_to_confirm_or_whose_hold_lapsed_needs_to_act_and_is_told_why() -> None:
    confirm = [call(Purpose.HOLD, "needs_authentication", reason="confirm with your bank")]
    lapsed = [call(Purpose.HOLD, "expired", 152_000)]

    asked = buyer_payment(confirm, 144_000)

    assert (asked.state, asked.reason) == (PaymentState.ACTION_NEEDED, "confirm with your bank")
    assert buyer_payment(lapsed, 144_000).state is PaymentState.ACTION_NEEDED


def test_a_declined_charge_and_a_refused_capture_are_shown_as_such() -> None:
    declined = [call(Purpose.SAVE, "saved"), call(Purpose.CHARGE, "declined")]
    refused = [call(Purpose.HOLD, "authorised", 9), call(Purpose.CAPTURE, "refused")]

    assert buyer_payment(declined, 144_000).state is PaymentState.DECLINED
    assert buyer_payment(refused, 144_000).state is PaymentState.REFUSED


def test_a_card_refused_then_replaced_by_one_that_works_is_waiting_not_refused() -> None:
    replaced = [call(Purpose.HOLD, "refused"), call(Purpose.HOLD, "authorised", 152_000)]
    a_larger_one_refused = [*reversed(replaced)]  # the first hold is still the one settled

    assert buyer_payment(replaced, 144_000).state is PaymentState.WAITING
    assert buyer_payment(a_larger_one_refused, 144_000).state is PaymentState.WAITING


def test_a_hold_captured_whose_rest_the_bank_declined_is_declined_with_the_hold_paid() -> None:
    mine = [call(Purpose.HOLD, "authorised", 228_000), call(Purpose.CAPTURE, "captured", 228_000),
            call(Purpose.CHARGE, "declined", reason="insufficient funds")]

    payment = buyer_payment(mine, 288_000)

    assert (payment.state, payment.paid, payment.waiting, payment.reason) == (
        PaymentState.DECLINED, 228_000, 60_000, "insufficient funds")


def test_a_served_buyer_that_never_took_the_payment_step_is_shown_as_such() -> None:
    assert buyer_payment([], 144_000).state is PaymentState.NO_PAYMENT_STEP


def test_a_supplier_waits_for_the_buyers_until_its_payout_is_worked_out() -> None:
    payout = supplier_payment([], None)

    assert (payout.state, payout.gross, payout.waiting) == (
        PaymentState.WAITING_FOR_BUYERS, None, 0)


def test_a_supplier_is_paid_once_its_transfers_reach_the_payout_less_the_fee() -> None:
    sent = [call(Purpose.TRANSFER, "transferred", 144_000, party=SUPPLIER),
            call(Purpose.TRANSFER, None, 117_900, party=SUPPLIER)]

    waiting = supplier_payment(sent, (270_000, 8_100))
    paid = supplier_payment(sent[:1], (144_000 + 8_100, 8_100))

    assert (waiting.state, waiting.paid, waiting.waiting) == (
        PaymentState.WAITING, 144_000, 117_900)
    assert paid.state is PaymentState.PAID


def test_a_lot_that_fails_waits_a_minute_then_twice_as_long_each_time_up_to_an_hour() -> None:
    backoff = Backoff()

    waits = [backoff.failed(LOT, NOW) for _ in range(8)]

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert not backoff.due(LOT, NOW + timedelta(minutes=59))
    assert backoff.due(LOT, NOW + timedelta(hours=1))


def test_a_lot_that_succeeds_is_due_at_once_and_starts_again_from_a_minute() -> None:
    backoff = Backoff()
    backoff.failed(LOT, NOW)
    backoff.failed(LOT, NOW)

    backoff.forget(LOT)

    assert backoff.due(LOT, NOW)
    assert backoff.failed(LOT, NOW) == timedelta(minutes=1)


def test_the_parts_of_a_bar_meet_and_together_span_its_width() -> None:
    bar = parts_bar([("paid", 1), ("waiting", 0), ("fee", 2)])

    paid, fee = bar.parts

    assert [p.key for p in bar.parts] == ["paid", "fee"]
    assert (paid.x, paid.width) == (Decimal(0), Decimal("200.0"))
    assert fee.x == paid.x + paid.width
    assert fee.x + fee.width == WIDTH
    assert bar.view_box == f"0 0 {WIDTH} {bar.height}"


def test_a_bar_of_nothing_has_no_parts() -> None:
    assert parts_bar([("paid", 0), ("waiting", 0)]).parts == []
