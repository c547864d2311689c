"""The payment step of pooling, and reconciling a lot with the payment processor (issue 8).

Each call to the processor is bracketed by two commands: the request, with its idempotency
key, committed before the call; the outcome after it (marketplace/domain/payments.py says
why). The call itself runs outside any database transaction, so no lock is held while the
network is waited on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from uuid import UUID

from marketplace.commands.base import Commands
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.domain.lot import Lot
from marketplace.domain.payments import LotPayments, Payment, Purpose
from marketplace.payments import (
    Buyer,
    Found,
    Money,
    Notification,
    Outcome,
    PaymentPort,
    PaymentRefusedError,
    PaymentUnavailableError,
    Status,
    idempotency_key,
)

#: Card holds lapse about 7 days after they are made (about 5 for some merchant-initiated
#: ones), so a card is held only for a lot that closes within this; others save the card
#: and charge it at allocation.
HOLD_WINDOW = timedelta(days=5)
#: Outcomes after which a buyer's card step is done (it may still lapse: see reconcile).
SETTLED = frozenset({Status.AUTHORISED.value, Status.SAVED.value})


#: What Stripe's card field gives for a card: a PaymentMethod id.
CARD_TOKEN = re.compile(r"pm_[A-Za-z0-9_]{1,250}")


class CardTokenInvalidError(RuleViolationError):
    """A card is entered in Stripe's card field, which gives the marketplace a token."""


class NothingToPayError(RuleViolationError):
    """The organisation has no commitment in this lot to pay for."""


class NothingToConfirmError(NotFoundError):
    """No card payment of your organisation in this lot waits for your bank's confirmation."""


@dataclass(frozen=True)
class BankConfirmation:
    """What the buyer's browser needs to confirm a payment with its bank (Stripe.js): the
    intent's client secret and, for a charge its bank stopped off-session, the saved card to
    confirm it with on session (``confirmCardPayment``); else the bank's challenge is only
    to be shown (``handleNextAction``)."""

    client_secret: str
    payment_method: str | None = None


@dataclass(frozen=True)
class Reconciled:
    """What ``reconcile_payments`` found: outcomes newly recorded, and what it could not
    match (calls the processor never saw, objects the ledger never asked for)."""

    recorded: list[Payment] = field(default_factory=list)
    never_reached: list[Payment] = field(default_factory=list)
    unknown_to_ledger: list[str] = field(default_factory=list)


class PaymentCommands(Commands):
    """Buyers' cards at pooling; the lot's payments reconciled with the processor."""

    payments: PaymentPort

    def pay_for_commitment(self, buyer_id: UUID, lot_id: UUID, *,
                           payment_method: str | None = None) -> Payment:
        """The payment step after pooling: hold the buyer's maximum on its card when the
        lot closes within the hold window and every commitment names a maximum price, else
        save the card for a charge at allocation. Returns the payment as recorded; a decline
        or a request to authenticate is recorded too, for the buyer to act on."""
        if self.payments.name == "stripe" and not CARD_TOKEN.fullmatch(payment_method or ""):
            raise CardTokenInvalidError(
                "that is not a card from Stripe's card field (a token pm_…); enter your card "
                "again")
        at = self.clock()
        fresh: set[str] = set()

        def decide() -> Payment:
            fresh.clear()
            lot = self._lot(lot_id)
            lot._require_open(at)
            payments = self._payments_of(lot)
            repeat = next((p for p in payments.of_party(buyer_id)
                           if p.purpose in (Purpose.HOLD, Purpose.SAVE) and not p.known), None)
            if repeat is not None:
                return repeat  # its fate is unknown: call again with its key
            amount = _maximum(lot, buyer_id)
            hold = amount is not None and lot.closes_at - at <= HOLD_WINDOW
            if hold and amount is not None:  # refused now, not after the request is recorded
                amount.payable(self.payments.max_minor)
            done = next((p for p in reversed(payments.of_party(buyer_id))
                         if p.status in SETTLED
                         and p.amount == (amount.minor if hold and amount else None)), None)
            if done is not None:
                return done  # this commitment is paid for already: nothing is held twice
            purpose = Purpose.HOLD if hold else Purpose.SAVE
            key = idempotency_key(payments.id, payments.version + 1, purpose.value)
            payments.request(key, purpose, buyer_id, amount.minor if hold and amount else None,
                             method=payment_method)
            self.save(payments)
            fresh.add(key)
            return payments.payments[key]

        payment = self.command(decide)
        buyer = Buyer(buyer_id, payment_method=payment.method)  # as the request first asked

        def call() -> Outcome:
            currency = self._lot(lot_id).currency.value
            if payment.purpose is Purpose.HOLD and payment.amount is not None:
                return self.payments.hold(lot_id, buyer, Money(payment.amount, currency),
                                          key=payment.key)
            return self.payments.save_method(lot_id, buyer, key=payment.key)
        return self._make_calls(lot_id, [(payment, call)], fresh)[0]

    def _make_calls(self, lot_id: UUID, calls: list[tuple[Payment, Callable[[], Outcome]]],
                    fresh: set[str]) -> list[Payment]:
        """Makes each call whose outcome is unknown and records what it came to; the
        payments as recorded. A call requested before (not in ``fresh``) is looked up at the
        processor first; a refusal is recorded (so that another card can be tried) and the
        other calls go on; an unanswered call stays unknown, and the first such error is
        raised once the others are made."""
        recorded, unanswered = [], []
        for payment, call in calls:
            if not payment.known:
                try:
                    outcome = (None if payment.key in fresh
                               else self._done_before(lot_id, payment)) or call()
                except PaymentUnavailableError as error:
                    unanswered.append(error)
                    recorded.append(payment)
                    continue
                except PaymentRefusedError as error:
                    outcome = Outcome(Status.REFUSED, payment.of or "", reason=str(error),
                                      decline_code=getattr(error, "code", None))
                payment = self._note_outcome(lot_id, payment.key, outcome)
            recorded.append(payment)
        if unanswered:
            raise unanswered[0]
        return recorded

    def _done_before(self, lot_id: UUID, payment: Payment) -> Outcome | None:
        """What the processor already did under a payment's key, before the call is repeated:
        its answer may have been lost, and Stripe forgets keys after a day, so a blind repeat
        could do it twice. (A capture or release is known by the state of its hold.)"""
        found = self.payments.find(lot_id)
        there = next((f for f in found if f.key == payment.key), None)
        there = there or _settled_there(payment, found)
        return None if there is None else there.outcome

    def payments_of_lot(self, lot_id: UUID) -> list[Payment]:
        """Every payment call of the lot, in the order requested (none before the first)."""
        payments = self._existing_payments(lot_id)
        return [] if payments is None else list(payments.payments.values())

    def reconcile_payments(self, lot_id: UUID) -> Reconciled:
        """Records what the processor holds for the lot and the ledger misses: the outcome
        of a call whose answer was lost, a hold that lapsed since."""
        payments = self._existing_payments(lot_id)
        if payments is None:
            return Reconciled()
        found = self.payments.find(lot_id)
        by_key = {f.key: f for f in found if f.key is not None}
        recorded = []
        for payment in list(payments.payments.values()):
            there = by_key.get(payment.key) or _settled_there(payment, found)
            if there is None:
                continue
            noted = self._note_outcome(lot_id, payment.key, there.outcome)
            if noted != payment:
                recorded.append(noted)
        known = set(payments.payments)
        now = self._existing_payments(lot_id) or payments
        return Reconciled(
            recorded=recorded,
            never_reached=now.unknown(),
            unknown_to_ledger=sorted(f.reference for f in found
                                     if f.key is None or f.key not in known))

    def take_notification(self, payload: bytes, signature: str | None) -> bool:
        """A webhook from the payment processor: verified, the object it is about fetched
        again, and taken once by its event id, in the same transaction as the outcome it
        changes. False for an event already taken, or about nothing the marketplace made."""
        note = self.payments.notification(payload, signature)  # raises unless it verifies
        if note.account is not None:
            return self._payout_account_changed(note)
        if note.lot_id is None or note.key is None or note.outcome is None:
            return False
        lot_id, key, outcome = note.lot_id, note.key, note.outcome

        def decide() -> bool:
            payments = self._existing_payments(lot_id)
            if payments is None or not payments.notice(note.event_id, note.event_type, key):
                return False
            if key in payments.payments:
                self._apply_outcome(payments, key, outcome)
            self.save(payments)
            return True
        return self.command(decide)

    def _payout_account_changed(self, note: Notification) -> bool:
        """A supplier's payout account changed at the processor: taken by ``PayoutCommands``,
        which keeps the accounts."""
        return False

    def _note_outcome(self, lot_id: UUID, key: str, outcome: Outcome) -> Payment:
        def decide() -> Payment:
            payments = self._load(LotPayments, LotPayments.create_id(lot_id),
                                  _NoPaymentsError, "lot's payments")
            if self._apply_outcome(payments, key, outcome):
                self.save(payments)
            return payments.payments[key]
        return self.command(decide)

    @staticmethod
    def _apply_outcome(payments: LotPayments, key: str, outcome: Outcome) -> bool:
        amount = None if outcome.amount is None else outcome.amount.minor
        return payments.record(key, status=outcome.status.value, reference=outcome.reference,
                               amount=amount, charge=outcome.charge,
                               customer=outcome.customer, reason=outcome.reason,
                               decline_code=outcome.decline_code, method=outcome.method)

    def _payments_of(self, lot: Lot) -> LotPayments:
        return self._existing_payments(lot.id) or LotPayments.open(
            lot.id, lot.currency.value, self.payments.name)

    def _existing_payments(self, lot_id: UUID) -> LotPayments | None:
        try:
            return self._load(LotPayments, LotPayments.create_id(lot_id), _NoPaymentsError,
                              "lot's payments")
        except _NoPaymentsError:
            return None

    def confirm_payment(self, buyer_id: UUID, lot_id: UUID) -> Payment:
        """After the buyer's bank was asked to confirm its card (3-D Secure, in the buyer's
        browser): the hold or saved card looked up at the processor again and what it came
        to recorded (authorised or saved, declined with the reason, or still waiting). Only
        the buyer's own latest card step; one its bank has answered already (a webhook came
        first) is returned as recorded."""
        payment = self._latest_card_step(buyer_id, lot_id)
        if payment.status != Status.NEEDS_AUTHENTICATION.value or not payment.reference:
            return payment
        return self._note_outcome(lot_id, payment.key, self.payments.look_up(payment.reference))

    def bank_confirmation(self, buyer_id: UUID, lot_id: UUID) -> BankConfirmation | None:
        """The secret the buyer's browser needs to confirm its card with its bank, asked of
        the processor each time and never recorded (the ledger is read by others); None
        unless the buyer's own latest card step waits on its bank."""
        try:
            payment = self._latest_card_step(buyer_id, lot_id)
        except NothingToConfirmError:
            return None
        if payment.status != Status.NEEDS_AUTHENTICATION.value or not payment.reference:
            return None
        secret = self.payments.client_secret(payment.reference)
        if payment.purpose is not Purpose.CHARGE:
            return BankConfirmation(secret)
        card = next((p for p in self.payments_of_lot(lot_id) if p.reference == payment.of
                     and p.purpose in (Purpose.HOLD, Purpose.SAVE)), None)
        return BankConfirmation(secret, card.method if card else None)

    def _latest_card_step(self, buyer_id: UUID, lot_id: UUID) -> Payment:
        """The buyer's latest hold, saved card, or off-session charge of it in the lot (the
        one its bank may be waiting on): an earlier one was superseded."""
        payments = self._existing_payments(lot_id)
        steps = [] if payments is None else [
            p for p in payments.of_party(buyer_id)
            if p.purpose in (Purpose.HOLD, Purpose.SAVE, Purpose.CHARGE)]
        if not steps:
            raise NothingToConfirmError("no card payment of yours in this lot waits for your "
                                        "bank; pay for your commitment first")
        return steps[-1]


def _settled_there(payment: Payment, found: list[Found]) -> Found | None:
    """A capture, release or cancel carries no key of its own at Stripe: the state of the
    intent it acts on tells."""
    if payment.known or payment.purpose not in (Purpose.CAPTURE, Purpose.RELEASE,
                                                Purpose.CANCEL):
        return None
    hold = next((f for f in found if f.reference == payment.of), None)
    done = {Purpose.CAPTURE: {Status.CAPTURED}, Purpose.CANCEL: {Status.RELEASED},
            Purpose.RELEASE: {Status.RELEASED, Status.EXPIRED}}
    if hold is None or hold.outcome.status not in done[payment.purpose]:
        return None
    return hold


class _NoPaymentsError(NotFoundError):
    """No payment of this lot has been requested yet."""


def _maximum(lot: Lot, buyer_id: UUID) -> Money | None:
    """The most the buyer can owe: each commitment's quantity at its maximum price, rounded
    up to the minor unit so the hold covers it; None if a commitment names no maximum."""
    mine = [c for c in lot.commitments.values() if c.buyer_id == buyer_id]
    if not mine:
        raise NothingToPayError("your organisation has no need pooled in this lot; pool a "
                                "need first, then pay for it")
    if any(c.max_unit_price is None for c in mine):
        return None
    total = sum((c.quantity * c.max_unit_price for c in mine if c.max_unit_price is not None),
                Decimal(0))
    return Money.of(total, lot.currency.value, rounding=ROUND_CEILING)
