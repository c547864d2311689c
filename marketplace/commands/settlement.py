"""Settling the buyers of a lot once it is allocated or cancelled (issue 8).

Each served buyer pays what the allocation says it owes (its served needs' totals, goods and
delivery, rounded half up to the currency's minor unit): its latest hold captured for that
amount (at most the hold; the rest is released with it), or its saved card charged. Every
other hold is released: a buyer left out, every buyer of a cancelled lot, a hold superseded
by a larger one. A call the processor refuses is recorded as refused and the others go on.
Each call is requested on the ledger before it is made and recorded after
(marketplace/domain/payments.py); settling again repeats only the calls whose outcome is
unknown, under their own keys, and makes no other.

Supplier payouts (transfers funded by these charges) are not made here yet.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from uuid import UUID

from marketplace.commands.payments import PaymentCommands
from marketplace.domain.lot import Lot
from marketplace.domain.payments import LotPayments, Payment, Purpose
from marketplace.payments import (
    AmountNotPayableError,
    Buyer,
    Money,
    Outcome,
    Status,
    idempotency_key,
)

#: The purposes that settle a buyer's card: each card is settled once.
SETTLING = frozenset({Purpose.CAPTURE, Purpose.CHARGE, Purpose.RELEASE})

log = logging.getLogger("kyodo.payments")


@dataclass(frozen=True)
class _Call:
    lot_id: UUID
    currency: str
    payment: Payment
    buyer: Buyer


class SettlementCommands(PaymentCommands):
    """The buyers of an allocated or cancelled lot settled with the payment processor."""

    def settle_buyers(self, lot_id: UUID) -> list[Payment]:
        """Captures, charges or releases each buyer's payment as the lot's outcome says;
        returns the settling payments as recorded. Nothing before the allocation (or the
        cancellation) is recorded; a buyer that never completed the payment step is left
        for its invoice."""
        def decide() -> tuple[list[_Call], set[str]]:
            lot = self._lot(lot_id)
            payments = self._existing_payments(lot_id)
            if payments is None or (lot.allocation_result is None
                                    and lot.cancel_reason is None):
                return [], set()
            before = set(payments.payments)
            dues = {} if lot.cancel_reason is not None else self._dues(lot)
            calls = [call for buyer_id in _buyers(payments)
                     for call in _settling_calls(lot, payments, buyer_id, dues.get(buyer_id),
                                                 cap=self.payments.name != "invoice")]
            if payments.pending_events:
                self.save(payments)
            return calls, set(payments.payments) - before

        calls, fresh = self.command(decide)
        return self._make_calls(lot_id, [(c.payment, partial(self._settle, c)) for c in calls],
                                 fresh)

    def _dues(self, lot: Lot) -> dict[UUID, Money]:
        """What each served buyer owes by the recorded allocation; a buyer owing more than
        one payment can carry is left out here, and logged."""
        dues = {}
        for buyer_id, due in owed_by_buyers(lot).items():
            try:
                dues[buyer_id] = due.payable(self.payments.max_minor)
            except AmountNotPayableError as error:
                log.error("lot %s: buyer %s is not charged: %s", lot.id, buyer_id, error)
        return dues

    def _settle(self, call: _Call) -> Outcome:
        payment = call.payment
        amount = None if payment.amount is None else Money(payment.amount, call.currency)
        match payment.purpose:
            case Purpose.CAPTURE if amount is not None and payment.of is not None:
                return self.payments.capture(payment.of, amount, key=payment.key)
            case Purpose.CHARGE if amount is not None:
                return self.payments.charge(call.lot_id, call.buyer, amount, key=payment.key)
            case Purpose.RELEASE if payment.of is not None:
                return self.payments.release(payment.of, key=payment.key)
        raise AssertionError(f"not a settling payment: {payment}")


def _settling_calls(lot: Lot, payments: LotPayments, buyer_id: UUID, due: Money | None, *,
                    cap: bool) -> list[_Call]:
    """The calls that settle this buyer: for its latest card (held or saved), the capture or
    charge of what it owes; for every other hold of its (left out, cancelled, or superseded
    by a larger one), a release. Each is the one requested before (repeated under its key if
    its fate is unknown), else requested now. With ``cap`` a capture takes at most the hold."""
    mine = payments.of_party(buyer_id)
    settled_of = {p.of: p for p in mine if p.purpose in SETTLING}
    paid = any(p.purpose in (Purpose.CAPTURE, Purpose.CHARGE) for p in settled_of.values())
    cards = [p for p in mine if p.purpose in (Purpose.HOLD, Purpose.SAVE)
             and p.status in (Status.AUTHORISED.value, Status.SAVED.value)
             and p.reference not in settled_of]
    if due is not None and not paid and cards:
        card = cards.pop()
        held = card.purpose is Purpose.HOLD
        if held and cap and card.settled_amount is None:
            log.error("the hold %s of lot %s has no amount recorded; not captured",
                      card.reference, lot.id)
        else:
            amount = min(due.minor, card.settled_amount or 0) if held and cap else due.minor
            purpose = Purpose.CAPTURE if held else Purpose.CHARGE
            key = idempotency_key(payments.id, payments.version + 1, purpose.value)
            payments.request(key, purpose, buyer_id, amount, of=card.reference)
    for hold in cards:
        if hold.purpose is Purpose.HOLD:
            key = idempotency_key(payments.id, payments.version + 1, Purpose.RELEASE.value)
            payments.request(key, Purpose.RELEASE, buyer_id, None, of=hold.reference)
    by_reference = {p.reference: p for p in mine if p.reference}
    calls = []
    for payment in payments.of_party(buyer_id):
        if payment.purpose in SETTLING:
            paid_with = by_reference.get(payment.of or "")
            calls.append(_Call(lot.id, lot.currency.value, payment, Buyer(
                buyer_id, payment_method=paid_with.method if paid_with else None,
                customer=paid_with.customer if paid_with else None)))
    return calls


def _buyers(payments: LotPayments) -> list[UUID]:
    seen: dict[UUID, None] = {}
    for payment in payments.payments.values():
        if payment.purpose in (Purpose.HOLD, Purpose.SAVE):
            seen.setdefault(payment.party_id)
    return list(seen)


def owed_by_buyers(lot: Lot) -> dict[UUID, Money]:
    """What each served buyer owes by the recorded allocation, in minor units."""
    result = lot.allocation_result or {}
    owed: dict[UUID, Decimal] = defaultdict(Decimal)
    for buyer in result.get("buyers", ()):
        commitment = lot.commitments.get(UUID(buyer["id"]))
        if buyer.get("served") and commitment is not None:
            owed[commitment.buyer_id] += Decimal(buyer["total"])
    return {buyer_id: Money.of(total, lot.currency.value, rounding=ROUND_HALF_UP)
            for buyer_id, total in owed.items() if total > 0}
