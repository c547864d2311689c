"""Settling the buyers of a lot once it is allocated or cancelled (issue 8).

Each served buyer pays what the allocation says it owes (its served needs' totals, goods and
delivery, rounded half up to the currency's minor unit): its latest hold captured for that
amount, or its saved card charged. Every other hold is released: a buyer left out, every
buyer of a cancelled lot, a hold superseded by a larger one. A call the processor refuses
is recorded as refused and the others go on. Each call is requested on the ledger before
it is made and recorded after (marketplace/domain/payments.py); settling again repeats only
the calls whose outcome is unknown, under their own keys, and makes no other.

A buyer owing more than its hold (a need it pooled after the payment step) has the hold
captured and the rest charged to the card the hold saved; a hold that lapsed before it was
captured (known from a webhook, or by reconciling when Stripe refuses the capture) is
replaced by a charge of the card it saved. Supplier payouts are in payouts.py.
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
#: The purposes that take the buyer's money, and the outcomes in which they took none.
TAKING = frozenset({Purpose.CAPTURE, Purpose.CHARGE})
#: A card step that went through: the card held or saved (even if since let go).
WENT_THROUGH = frozenset({Status.AUTHORISED.value, Status.SAVED.value, Status.CAPTURED.value,
                          Status.RELEASED.value, Status.EXPIRED.value})
FAILED = frozenset({Status.REFUSED.value, Status.DECLINED.value,
                    Status.NEEDS_AUTHENTICATION.value, Status.EXPIRED.value})

log = logging.getLogger("kyodo.payments")


def paid_by(mine: list[Payment]) -> int:
    """What a buyer's captures and charges took, in minor units: the one rule of "paid",
    for paying suppliers, for the status shown and for the follow-ups."""
    return sum(p.settled_amount or 0 for p in mine
               if p.purpose in TAKING and p.status == Status.CAPTURED.value)


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
        for its invoice. When a capture is refused, the lot is reconciled to learn why: a
        hold that lapsed unnoticed is then replaced at once by a charge of the card it saved
        (one cancelled by someone is not)."""
        settled = self._settle_once(lot_id)
        refused = {p.of for p in settled
                   if p.purpose is Purpose.CAPTURE and p.status == Status.REFUSED.value}
        if refused:
            if any(p.reference in refused and p.purpose is Purpose.HOLD
                   and p.status == Status.AUTHORISED.value
                   for p in self.payments_of_lot(lot_id)):
                self.reconcile_payments(lot_id)  # learn why it was refused: a lapse, say
            settled = self._settle_once(lot_id)  # a lapsed hold (known now or before) replaced
        return settled

    def _settle_once(self, lot_id: UUID) -> list[Payment]:
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
    its fate is unknown), else requested now."""
    mine = payments.of_party(buyer_id)
    taken = taken_by(mine)
    cards = _unsettled_cards(mine)
    if due is not None and due.minor > taken:
        card = card_to_take_from(mine)
        if card is not None:
            _request_payment(lot, payments, card, due.minor - taken, cap=cap)
            if card in cards:
                cards.remove(card)
    for hold in cards:
        if hold.purpose is Purpose.HOLD:
            key = idempotency_key(payments.id, payments.version + 1, Purpose.RELEASE.value)
            payments.request(key, Purpose.RELEASE, buyer_id, None, of=hold.reference)
    by_reference = {p.reference: p for p in mine  # the cards (a refused call names its card)
                    if p.reference and p.purpose in (Purpose.HOLD, Purpose.SAVE)}
    calls = []
    for payment in payments.of_party(buyer_id):
        if payment.purpose in SETTLING:
            paid_with = by_reference.get(payment.of or "")
            calls.append(_Call(lot.id, lot.currency.value, payment, Buyer(
                buyer_id, payment_method=paid_with.method if paid_with else None,
                customer=paid_with.customer if paid_with else None)))
    return calls


def taken_by(mine: list[Payment]) -> int:
    """What a buyer's captures and charges took, or were asked for and not refused, in minor
    units: a charge waiting on the buyer's bank counts, as the buyer can still confirm it on
    the lot page (taking it elsewhere too would take it twice)."""
    return sum(p.amount or 0 for p in mine if p.purpose in TAKING and (
        p.status not in FAILED or p.status == Status.NEEDS_AUTHENTICATION.value))


def _unsettled_cards(mine: list[Payment]) -> list[Payment]:
    """A buyer's holds and saved cards that went through and are neither captured, charged
    nor released yet, oldest first."""
    settled_of = {p.of for p in mine if p.purpose in SETTLING}
    return [p for p in mine if p.purpose in (Purpose.HOLD, Purpose.SAVE)
            and p.status in (Status.AUTHORISED.value, Status.SAVED.value)
            and p.reference not in settled_of]


def card_to_take_from(mine: list[Payment]) -> Payment | None:
    """The card settling takes what a buyer still owes from: its latest unsettled hold or
    saved card, else the card a lapsed hold saved; None when there is none (the buyer has to
    give another card). Once a card's bank refused what it was asked for, no card given
    before that one is tried: the buyer had replaced them, and gives another."""
    refused = {p.of for p in mine if p.purpose in TAKING and p.status in FAILED
               and p.status != Status.NEEDS_AUTHENTICATION.value}
    start = 1 + max((i for i, p in enumerate(mine) if p.purpose in (Purpose.HOLD, Purpose.SAVE)
                     and p.reference is not None and p.reference in refused), default=-1)
    cards = _unsettled_cards(mine[start:])
    return cards[-1] if cards else _lost_hold(mine)


def _lost_hold(mine: list[Payment]) -> Payment | None:
    """The buyer's latest card step that went through, if it is a hold that lapsed before it
    was captured, saved the card, and no charge of that card was refused: what is still owed
    is charged to it instead. A lapsed hold is replaced, never silently lost; a card its
    bank refused is not tried again, nor an older card the buyer had replaced (the buyer
    acts on the reason)."""
    went_through = [p for p in mine if p.purpose in (Purpose.HOLD, Purpose.SAVE)
                    and p.status in WENT_THROUGH]
    if not went_through:
        return None
    latest = went_through[-1]
    refused = {p.of for p in mine if p.purpose is Purpose.CHARGE and p.status in FAILED}
    lapsed = latest.purpose is Purpose.HOLD and latest.status == Status.EXPIRED.value
    return latest if (lapsed and latest.customer and latest.method
                      and latest.reference not in refused) else None


def _request_payment(lot: Lot, payments: LotPayments, card: Payment, due: int, *,
                     cap: bool) -> None:
    """Requests what the buyer owes from its card: a live hold captured (with ``cap``, at
    most the hold, and the rest charged to the card it saved: a need pooled after the payment
    step is not in the hold), a saved card or a lapsed hold's card charged."""
    buyer_id = card.party_id
    held = card.purpose is Purpose.HOLD and card.status == Status.AUTHORISED.value \
        and card.reference not in {p.of for p in payments.of_party(buyer_id)
                                   if p.purpose is Purpose.CAPTURE}
    if held and cap and card.settled_amount is None:
        log.error("the hold %s of lot %s has no amount recorded; not captured",
                  card.reference, lot.id)
        return
    if not held:
        capture = 0
    elif cap:
        capture = min(due, card.settled_amount or 0)
    else:  # an order by invoice is not a card: it takes whatever the allocation says
        capture = due
    rest = due - capture
    if capture:
        key = idempotency_key(payments.id, payments.version + 1, Purpose.CAPTURE.value)
        payments.request(key, Purpose.CAPTURE, buyer_id, capture, of=card.reference)
    if rest and (card.purpose is Purpose.SAVE or (card.method and card.customer)):
        key = idempotency_key(payments.id, payments.version + 1, Purpose.CHARGE.value)
        payments.request(key, Purpose.CHARGE, buyer_id, rest, of=card.reference)
    elif rest:
        log.error("lot %s: buyer %s owes %s beyond its hold %s, which saved no card to "
                  "charge it to; its suppliers wait", lot.id, buyer_id, rest, card.reference)


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
