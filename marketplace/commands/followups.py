"""Following up the payments a close or a cancellation left unfinished (issue 8).

Settling at the close runs once, and the processor may be down just then: a call left
unanswered, a card not captured, suppliers not paid. The served app's background loop calls
``follow_up_payments`` every few seconds; it settles the buyers and pays the suppliers again
for each lot with something left to do (``left_to_do``), each lot on its own, so that one
failing lot never holds back another. A lot that fails waits before it is tried again: a
minute, doubling up to an hour (``Backoff``), so an outage of the processor is not hammered;
a round that has run past its ``budget`` starts no other lot (the next round does). A card
step whose answer was lost before the close, which nobody repeats after it, is looked up at
the processor by its key (reconciling the lot) before settling, so its hold is settled too.

Finding the lots without replaying the ledger: the ledger index (``SettledPaymentQueries``)
gives, in one range scan per event type, the lots allocated or cancelled and the payments
that moved since the last look; only those lots, and those left unfinished before, are
loaded (the lot and its payments: two aggregates) and judged. The first look after start-up
judges the lots settled, or whose payments moved, within ``LOOKBACK``; older ones are left to
``marketplace payments settle --all-due``. All of this state is in memory (the last position
looked at, the settled lots by their payments' id: one pair of ids per lot, the lots left
unfinished, the backoff): a restart looks back again and retries at once, which repeats no
call twice (a call whose outcome is unknown is looked up at the processor first).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

from marketplace.commands.payouts import PayoutCommands
from marketplace.commands.settlement import (
    SETTLING,
    _settling_calls,
    card_to_take_from,  # settling's own rule, asked on a copy: see _settling_asks
    owed_by_buyers,
    paid_by,
    taken_by,
)
from marketplace.domain.lot import Lot
from marketplace.domain.payments import LotPayments, Payment, Purpose
from marketplace.payments import Status
from marketplace.readmodels.settled_payments import SettledPaymentQueries

#: How far back the first look after start-up goes.
LOOKBACK = timedelta(days=30)

log = logging.getLogger("kyodo.payments")


class Backoff:
    """How long each lot waits after a failure before it is tried again: ``first``, doubling
    with each failure in a row up to ``longest``; forgotten once the lot succeeds."""

    def __init__(self, first: timedelta = timedelta(minutes=1),
                 longest: timedelta = timedelta(hours=1)) -> None:
        self.first, self.longest = first, longest
        self._waits: dict[UUID, tuple[datetime, timedelta]] = {}
        self._lock = threading.Lock()  # the closer's thread and a cancelling request's

    def failed(self, lot_id: UUID, now: datetime) -> timedelta:
        """Notes a failure; returns how long the lot now waits."""
        with self._lock:
            last = self._waits.get(lot_id)
            wait = self.first if last is None else min(last[1] * 2, self.longest)
            self._waits[lot_id] = (now + wait, wait)
            return wait

    def due(self, lot_id: UUID, now: datetime) -> bool:
        with self._lock:
            waiting = self._waits.get(lot_id)
            return waiting is None or waiting[0] <= now

    def forget(self, lot_id: UUID) -> None:
        with self._lock:
            self._waits.pop(lot_id, None)


@dataclass
class PaymentWatch:
    """What the background round remembers between looks (in memory; see the module)."""

    queries: SettledPaymentQueries
    backoff: Backoff = field(default_factory=Backoff)
    seen: int | None = None
    """The last ledger position looked at; None before the first look."""
    settled: dict[UUID, UUID] = field(default_factory=dict)
    """Every lot allocated or cancelled, by its payments' id."""
    unfinished: set[UUID] = field(default_factory=set)
    rank: dict[UUID, int] = field(default_factory=dict)
    """Each settled lot's place in the order settled (kept, not rebuilt at every look)."""
    budget: float = 30.0
    """Seconds a round may spend before it starts no other lot: the rest wait for the next
    round, so that a processor answering slowly never holds up the closes of the loop."""
    timer: Callable[[], float] = time.monotonic

    def look(self, now: datetime) -> list[UUID]:
        """The lots to judge now: settled or with payments moved since the last look, and
        those left unfinished before; in the order they were settled."""
        if self.seen is None:
            for lot_id in self.queries.settled_lots():
                self._settled(lot_id)
            changes = self.queries.changes(recorded_from=now - LOOKBACK)
        else:
            changes = self.queries.changes(after=self.seen)
        self.seen = changes.position
        for lot_id in changes.settled:
            self._settled(lot_id)
            self.unfinished.add(lot_id)
        self.unfinished.update(self.settled[p] for p in changes.moved if p in self.settled)
        return sorted(self.unfinished,
                      key=lambda lot_id: (self.rank.get(lot_id, -1), str(lot_id)))

    def _settled(self, lot_id: UUID) -> None:
        if lot_id not in self.rank:
            self.settled[LotPayments.create_id(lot_id)] = lot_id
            self.rank[lot_id] = len(self.rank)


@dataclass(frozen=True)
class FollowUp:
    """One lot followed up: what was left, and the error if it failed."""

    lot_id: UUID
    left: str
    """What was left to do before."""
    still: str | None = None
    """What is left after (a call still unanswered, say); None once nothing is."""
    error: str | None = None
    retry_in: timedelta | None = None


class FollowUpCommands(PayoutCommands):
    """Settling and paying out again the lots whose payments are unfinished."""

    follow_ups: PaymentWatch

    def payments_left(self, lot_id: UUID) -> str | None:
        """What settling the lot's buyers or paying its suppliers could still do, in words;
        None when nothing (what waits on a buyer or a person is not theirs to do)."""
        payments = self._existing_payments(lot_id)
        if payments is None:
            return None
        lot = self._lot(lot_id)
        left = left_to_do(lot, payments)
        if left is None and self._settling_asks(lot, payments):
            return "a lapsed hold to replace by a charge of the card it saved"
        return left

    def _settling_asks(self, lot: Lot, payments: LotPayments) -> bool:
        """Whether settling would request a call for a served buyer not paid in full whose
        hold lapsed (its replacement by a charge of the card it saved: the one thing
        ``left_to_do`` cannot tell by itself). Asked of settling's own rule, so that the two
        never disagree, on this loaded copy of the payments, which is never saved."""
        if lot.allocation_result is None or lot.cancel_reason is not None:
            return False
        mine = _by_party(payments)
        owed = owed_by_buyers(lot)
        lapsed = [buyer for buyer, due in owed.items()
                  if paid_by(mine[buyer]) < due.minor
                  and any(p.purpose is Purpose.HOLD and p.status == Status.EXPIRED.value
                          for p in mine[buyer])]
        if not lapsed:
            return False
        dues = self._dues(lot)
        for buyer_id in lapsed:
            _settling_calls(lot, payments, buyer_id, dues.get(buyer_id),
                            cap=self.payments.name != "invoice")
        return bool(payments.pending_events)

    def follow_up_lot(self, lot_id: UUID) -> FollowUp | None:
        """Settles the lot's buyers and pays its suppliers if anything is left to do; None if
        nothing was. A failure is logged and returned, never raised: each lot on its own."""
        try:
            left = self.payments_left(lot_id)
        except Exception as error:  # the lot or its payments could not even be read
            log.exception("reading the payments of lot %s failed", lot_id)
            return FollowUp(lot_id, "its payments could not be read",
                            error=str(error) or type(error).__name__)
        if left is None:
            return None
        try:
            if any(p.purpose in (Purpose.HOLD, Purpose.SAVE) and not p.known
                   for p in self.payments_of_lot(lot_id)):
                # Settling never repeats a card step (only the buyer does, before the close):
                # what the processor holds under its key is recorded, so the hold is settled.
                self.reconcile_payments(lot_id)
            self.settle_buyers(lot_id)
            self.pay_suppliers(lot_id)
            still = self.payments_left(lot_id)
        except Exception as error:  # the processor down, most likely: the lot waits
            log.exception("following up the payments of lot %s (%s) failed", lot_id, left)
            return FollowUp(lot_id, left, still=left,
                            error=str(error) or type(error).__name__)
        log.info("followed up the payments of lot %s (%s): %s", lot_id, left,
                 "done" if still is None else f"{still} still")
        return FollowUp(lot_id, left, still=still)

    def follow_up_payments(self) -> list[FollowUp]:
        """The background round: each lot with payments unfinished and not waiting after a
        recent failure, settled and paid out again; what was done, lot by lot."""
        watch, now = self.follow_ups, self.clock()
        done: list[FollowUp] = []
        started = watch.timer()
        for lot_id in watch.look(now):
            if not watch.backoff.due(lot_id, now):
                continue
            if done and watch.timer() - started > watch.budget:
                break  # still unfinished: the next round takes it
            followed = self.follow_up_lot(lot_id)
            if followed is not None and (followed.error is not None or (
                    followed.still is not None and self._worth_another_look(lot_id))):
                # Failed, or something is still left that a later round may do (a transfer
                # waiting for a supplier's account, which Stripe may pass without a word):
                # looked at again after the backoff, a minute doubling up to an hour.
                followed = replace(followed, retry_in=watch.backoff.failed(lot_id, now))
                log.log(logging.WARNING if followed.error else logging.INFO,
                        "the payments of lot %s are tried again in %s", lot_id,
                        followed.retry_in)
            else:
                # Done, or nothing left it could do: judged again when its payments move.
                watch.backoff.forget(lot_id)
                watch.unfinished.discard(lot_id)
            if followed is not None:
                done.append(followed)
        return done

    def _worth_another_look(self, lot_id: UUID) -> bool:
        """Whether what is left of the lot's payments may be done by a later round: not when
        all that is left is card steps whose answer was lost and that reconciling did not
        find at the processor (they never reached it; the buyer gives a card again)."""
        payments = self._existing_payments(lot_id)
        unknown = [] if payments is None else payments.unknown()
        return not unknown or any(p.purpose not in (Purpose.HOLD, Purpose.SAVE)
                                  for p in unknown)

    def settled_lots_with_payments(self) -> list[UUID]:
        """Every allocated or cancelled lot where some buyer took the payment step (for a
        pass over them all: each is judged by ``follow_up_lot``)."""
        queries = self.follow_ups.queries
        with_payments = queries.with_payments()
        return [lot_id for lot_id in queries.settled_lots()
                if LotPayments.create_id(lot_id) in with_payments]


def left_to_do(lot: Lot, payments: LotPayments) -> str | None:
    """What ``settle_buyers`` and ``pay_suppliers`` could still do for the lot (see
    ``FollowUpCommands.payments_left``): a call to repeat, a hold to capture or release, a
    saved card to charge, suppliers to pay once every served buyer has paid in full."""
    # A cancel of a declined charge is the buyer's next card's to repeat, not settling's.
    unknown = [p for p in payments.unknown() if p.purpose is not Purpose.CANCEL]
    if unknown:
        return f"{len(unknown)} call(s) whose outcome is unknown"
    if lot.allocation_result is None and lot.cancel_reason is None:
        return None
    every = list(payments.payments.values())
    mine = _by_party(payments)
    settled_of = {p.of for p in every if p.purpose in SETTLING}
    unsettled = [p for p in every if p.purpose in (Purpose.HOLD, Purpose.SAVE)
                 and p.status in (Status.AUTHORISED.value, Status.SAVED.value)
                 and p.reference not in settled_of]
    if any(p.purpose is Purpose.HOLD for p in unsettled):
        return "a hold neither captured nor released"
    if lot.cancel_reason is not None:
        return None
    owed = owed_by_buyers(lot)
    # Settling's own rule: the card it would take what is still owed from (one given after
    # a charge was declined, say).
    if any(taken_by(mine[buyer]) < due.minor and card_to_take_from(mine[buyer]) in unsettled
           for buyer, due in owed.items()):
        return "a saved card not charged"
    if owed and not any(p.purpose is Purpose.TRANSFER for p in every) and all(
            paid_by(mine[buyer]) >= due.minor for buyer, due in owed.items()):
        return "the suppliers not paid"
    return None


def _by_party(payments: LotPayments) -> defaultdict[UUID, list[Payment]]:
    """The lot's payment calls of each party, in the order requested (one pass, not one
    scan of every call per buyer)."""
    mine: defaultdict[UUID, list[Payment]] = defaultdict(list)
    for payment in payments.payments.values():
        mine[payment.party_id].append(payment)
    return mine
