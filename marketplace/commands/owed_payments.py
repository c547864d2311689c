"""A served buyer paying what it still owes after the close, with another card (issue 8).

A charge at the clearing can fail: the saved card declined, a hold that lapsed with no card
saved, a buyer who never took the payment step. Settling never tries again a card its bank
refused, and the suppliers are paid only once every served buyer has paid in full, so the
buyer is asked for another card on the lot's page. The card is saved on session (its bank
may ask the buyer to confirm it, as at pooling), then the lot is settled again, which
charges it what is still owed, and its suppliers are paid if that was the last payment they
waited for. Nothing here decides an amount: settling's own rules do (``settlement.py``).
"""

from __future__ import annotations

import logging
from functools import partial
from uuid import UUID

from marketplace.commands.followups import FollowUpCommands
from marketplace.commands.payments import CARD_TOKEN, CardTokenInvalidError
from marketplace.commands.settlement import TAKING, card_to_take_from, taken_by
from marketplace.domain import RuleViolationError
from marketplace.domain.lot import Lot
from marketplace.domain.payments import LotPayments, Payment, Purpose
from marketplace.payments import Buyer, Money, PaymentError, Status, idempotency_key

log = logging.getLogger("kyodo.payments")


class NothingOwedError(RuleViolationError):
    """Your organisation owes nothing in this lot that another card could pay: it was not
    served, has paid, or a payment of its own is still under way."""


class OwedPaymentCommands(FollowUpCommands):
    """Another card for what a served buyer still owes once its lot is allocated."""

    def still_owed(self, buyer_id: UUID, lot_id: UUID) -> Money | None:
        """What the buyer still owes by the allocation that no card on record will pay (the
        amount its page asks another card for); None when there is nothing to ask."""
        if self.payments.name == "invoice":
            return None  # a buyer by invoice is invoiced what it owes; there is no card
        lot = self._lot(lot_id)
        return self._still_owed(lot, self._existing_payments(lot_id), buyer_id)

    def pay_owed(self, buyer_id: UUID, lot_id: UUID, *, payment_method: str) -> Payment:
        """Saves another card for what the buyer still owes, then settles the lot (which
        charges it) and pays its suppliers if they waited for nothing else. Returns the
        charge as recorded (the saved card's step when its bank asks first, or refuses)."""
        if self.payments.name != "invoice" and not CARD_TOKEN.fullmatch(payment_method):
            raise CardTokenInvalidError(
                "that is not a card from Stripe's card field (a token pm_…); enter your card "
                "again")
        self._cancel_declined(buyer_id, lot_id)
        fresh: set[str] = set()

        def decide() -> Payment:
            fresh.clear()
            lot = self._lot(lot_id)
            payments = self._payments_of(lot)
            repeat = next((p for p in payments.of_party(buyer_id)
                           if p.purpose is Purpose.SAVE and not p.known
                           and p.method == payment_method), None)
            if repeat is not None:
                return repeat  # the same card again, its fate unknown: call with its key
            if self.payments.name == "invoice" or self._still_owed(
                    lot, payments, buyer_id) is None:
                raise NothingOwedError("your organisation owes nothing in this lot that "
                                       "another card could pay")
            key = idempotency_key(payments.id, payments.version + 1, Purpose.SAVE.value)
            payments.request(key, Purpose.SAVE, buyer_id, None, method=payment_method)
            self.save(payments)
            fresh.add(key)
            return payments.payments[key]

        step = self.command(decide)
        buyer = Buyer(buyer_id, payment_method=step.method)
        saved = self._make_calls(lot_id, [(step, lambda: self.payments.save_method(
            lot_id, buyer, key=step.key))], fresh)[0]
        return self._take_owed(buyer_id, lot_id, saved)

    def _cancel_declined(self, buyer_id: UUID, lot_id: UUID) -> None:
        """Cancels at the processor each of the buyer's declined charges (once, recorded like
        every call) before another card is taken: a declined intent can still be confirmed
        from a page left open, which would take the money a second time. One that cannot be
        cancelled (confirmed meanwhile) is looked up by reconciling, which records what it
        took, so the next step finds the buyer has paid."""
        fresh: set[str] = set()

        def decide() -> list[Payment]:
            fresh.clear()
            payments = self._existing_payments(lot_id)
            if payments is None:
                return []
            mine = payments.of_party(buyer_id)
            cancels = {p.of: p for p in mine if p.purpose is Purpose.CANCEL}
            steps = []
            for charge in mine:
                if (charge.purpose is not Purpose.CHARGE
                        or charge.status != Status.DECLINED.value or not charge.reference):
                    continue
                step = cancels.get(charge.reference)
                if step is None:
                    key = idempotency_key(payments.id, payments.version + 1,
                                          Purpose.CANCEL.value)
                    payments.request(key, Purpose.CANCEL, buyer_id, None, of=charge.reference)
                    fresh.add(key)
                    step = payments.payments[key]
                if not step.known:
                    steps.append(step)
            if payments.pending_events:
                self.save(payments)
            return steps

        steps = self.command(decide)
        cancelled = self._make_calls(lot_id, [(step, partial(
            self.payments.release, step.of or "", key=step.key)) for step in steps], fresh)
        if any(step.status != Status.RELEASED.value for step in cancelled):
            self.reconcile_payments(lot_id)

    def confirm_and_settle(self, buyer_id: UUID, lot_id: UUID) -> Payment:
        """After the buyer's bank was asked in the browser: the buyer's latest card step
        looked up again (``confirm_payment``) and, once its lot is allocated, the lot
        settled and its suppliers paid, so a card confirmed after the close is charged at
        once and a charge confirmed lets the suppliers be paid."""
        return self._take_owed(buyer_id, lot_id, self.confirm_payment(buyer_id, lot_id))

    def _take_owed(self, buyer_id: UUID, lot_id: UUID, step: Payment) -> Payment:
        """Settles an allocated lot after the buyer's card step went through; the buyer's
        latest charge or capture as recorded (``step`` when nothing was taken). A processor
        that fails now leaves the rest to the background follow-ups, as at the close."""
        lot = self._lot(lot_id)
        went_through = (Status.SAVED.value, Status.AUTHORISED.value, Status.CAPTURED.value)
        if (lot.allocation_result is None or lot.cancel_reason is not None
                or step.status not in went_through):
            return step
        try:
            self.settle_buyers(lot_id)
            self.pay_suppliers(lot_id)
        except PaymentError:
            wait = self.follow_ups.backoff.failed(lot_id, self.clock())
            log.exception("settling lot %s after buyer %s paid failed; it is tried again in "
                          "%s", lot_id, buyer_id, wait)
        payments = self._existing_payments(lot_id)
        mine = [] if payments is None else payments.of_party(buyer_id)
        taking = [p for p in mine if p.purpose in (Purpose.CAPTURE, Purpose.CHARGE)]
        return taking[-1] if taking else step

    def _still_owed(self, lot: Lot, payments: LotPayments | None,
                    buyer_id: UUID) -> Money | None:
        if lot.allocation_result is None or lot.cancel_reason is not None:
            return None
        due = self._dues(lot).get(buyer_id)
        if due is None:
            return None
        mine = [] if payments is None else payments.of_party(buyer_id)
        if any(not p.known and p.purpose in TAKING for p in mine):
            return None  # a charge's answer is awaited: settling or the follow-ups repeat it
        rest = due.minor - taken_by(mine)
        if rest <= 0 or card_to_take_from(mine) is not None:
            return None  # paid, waiting on the buyer's bank, or a card settling will charge
        return Money(rest, due.currency)
