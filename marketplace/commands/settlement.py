"""Settling the buyers of a lot once it is allocated or cancelled (issue 8).

Each served buyer pays what the allocation says it owes (its served needs' totals, goods and
delivery, rounded half up to the currency's minor unit): its hold captured for that amount
(the rest of the hold is released with it), or its saved card charged. A buyer left out has
its hold released; so has every buyer of a cancelled lot. Each call is requested on the
ledger before it is made and recorded after (marketplace/domain/payments.py); settling again
repeats only the calls whose outcome is unknown, under their own keys, and makes no other.

Supplier payouts (transfers funded by these charges) are not made here yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from marketplace.commands.payments import PaymentCommands
from marketplace.domain.lot import Lot
from marketplace.domain.payments import LotPayments, Payment, Purpose
from marketplace.payments import Buyer, Money, Outcome, Status, idempotency_key

#: The purposes that settle a buyer: once one is requested, no other is.
SETTLING = frozenset({Purpose.CAPTURE, Purpose.CHARGE, Purpose.RELEASE})


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
        def decide() -> list[_Call]:
            lot = self._lot(lot_id)
            payments = self._existing_payments(lot_id)
            if payments is None or (lot.allocation_result is None
                                    and lot.cancel_reason is None):
                return []
            dues = {} if lot.cancel_reason is not None else _dues(lot)
            calls = [call for buyer_id in _buyers(payments)
                     if (call := _settling_call(lot, payments, buyer_id, dues.get(buyer_id)))]
            if payments.pending_events:
                self.save(payments)
            return calls

        recorded = []
        for call in self.command(decide):
            payment = call.payment
            if payment.known:
                recorded.append(payment)
                continue
            recorded.append(self._note_outcome(lot_id, payment.key, self._settle(call)))
        return recorded

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


def _settling_call(lot: Lot, payments: LotPayments, buyer_id: UUID, due: Money | None
                   ) -> _Call | None:
    """The call that settles this buyer: the one requested before (to repeat under its key
    if its fate is unknown), else a new one requested now; None if there is none to make."""
    mine = payments.of_party(buyer_id)
    settling = next((p for p in mine if p.purpose in SETTLING), None)
    card = next((p for p in reversed(mine) if p.status in (Status.AUTHORISED.value,
                                                           Status.SAVED.value)), None)
    if settling is None:
        if card is None:
            return None  # no card to settle with: the buyer pays by invoice
        held = card.purpose is Purpose.HOLD
        if due is None:
            if not held:
                return None  # a saved card left out: nothing to let go
            purpose, amount = Purpose.RELEASE, None
        else:
            purpose = Purpose.CAPTURE if held else Purpose.CHARGE
            amount = min(due.minor, card.settled_amount or due.minor) if held else due.minor
        key = idempotency_key(payments.id, payments.version + 1, purpose.value)
        payments.request(key, purpose, buyer_id, amount, of=card.reference)
        settling = payments.payments[key]
    method, customer = (None, None) if card is None else (card.method, card.customer)
    return _Call(lot.id, lot.currency.value, settling,
                 Buyer(buyer_id, payment_method=method, customer=customer))


def _buyers(payments: LotPayments) -> list[UUID]:
    seen: dict[UUID, None] = {}
    for payment in payments.payments.values():
        if payment.purpose in (Purpose.HOLD, Purpose.SAVE):
            seen.setdefault(payment.party_id)
    return list(seen)


def _dues(lot: Lot) -> dict[UUID, Money]:
    """What each served buyer owes by the recorded allocation, in minor units."""
    result = lot.allocation_result or {}
    owed: dict[UUID, Decimal] = defaultdict(Decimal)
    for buyer in result.get("buyers", ()):
        commitment = lot.commitments.get(UUID(buyer["id"]))
        if buyer.get("served") and commitment is not None:
            owed[commitment.buyer_id] += Decimal(buyer["total"])
    return {buyer_id: Money.of(total, lot.currency.value, rounding=ROUND_HALF_UP)
            for buyer_id, total in owed.items() if total > 0}
