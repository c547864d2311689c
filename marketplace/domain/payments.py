"""The money of one lot, as the ledger keeps it: every payment call asked for, and its outcome.

A call to the payment processor can fail after it took effect (the process dies, the network
drops the answer). So each call is recorded twice: ``Requested`` (with the idempotency key the
call will carry) is committed *before* the call, and ``Recorded`` (the outcome) after it. A
request with no outcome is a call whose fate is unknown: retried with the same key, or found
again at the processor by that key when the lot is reconciled, it cannot move money twice.

Amounts are whole minor units of the lot's currency (yen have none).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from marketplace.domain.copying import ReplacedNotMutated
from marketplace.domain.errors import RuleViolationError

PAYMENTS_NAMESPACE = UUID("0b7c7f3e-5c1a-4d43-9a3c-7f1d2e9b8a10")


class Purpose(StrEnum):
    HOLD = "hold"
    """Authorise the buyer's maximum on its card at pooling."""
    SAVE = "save"
    """Keep the buyer's card for a charge at allocation (the lot closes after a hold would
    lapse, or the buyer set no maximum price)."""
    CHARGE = "charge"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"
    TRANSFER = "transfer"
    """Part of a supplier's payout, funded by one buyer's charge (``of``)."""
    ACCOUNT = "account"
    """The supplier's payout account made at the processor."""
    CANCEL = "cancel"
    """A declined charge (``of``) cancelled at the processor before the buyer's next card
    is taken: the declined intent can never take money later (a page left open confirming
    it)."""


#: Outcomes nothing comes after: a later report of an earlier state (a webhook fetched before
#: the capture, committed after it) is not recorded over them.
FINAL = frozenset({"captured", "released", "expired", "refunded", "transferred", "declined",
                   "refused"})


#: A card step its bank has confirmed: it never waits on the bank again.
CONFIRMED = frozenset({"authorised", "saved"})
#: What a declined intent may still come to at the processor, confirmed again by the buyer
#: (a page left open): recorded over "declined", as money did move.
MONEY_MOVED = frozenset({"authorised", "saved", "captured"})


class PaymentNotRequestedError(RuleViolationError):
    """An outcome for a payment call that was never requested on the ledger."""


@dataclass(frozen=True)
class Payment:
    """One payment call of the lot: what was asked, and (once known) what came of it."""

    key: str
    purpose: Purpose
    party_id: UUID
    """The buyer paying, or the supplier paid."""
    amount: int | None
    """Minor units asked for (none for saving a card or releasing a hold)."""
    of: str | None = None
    """The processor's reference this call acts on (the hold to capture, release or refund)."""
    status: str | None = None
    """None until the outcome is recorded: the call's fate is unknown."""
    reference: str | None = None
    settled_amount: int | None = None
    charge: str | None = None
    customer: str | None = None
    reason: str | None = None
    decline_code: str | None = None
    method: str | None = None
    """The saved payment method to charge at allocation (Stripe's ``pm_…``)."""

    @property
    def known(self) -> bool:
        return self.status is not None


class LotPayments(ReplacedNotMutated, Aggregate):
    """The payment calls of one lot and their outcomes (see the module). Every event names
    the lot and the party paying or paid, so the ledger index files it under both."""

    class Opened(Aggregate.Created):
        lot_id: UUID
        currency: str
        processor: str
        """The payment adapter that moves this lot's money: ``stripe`` or ``invoice``."""

    class Requested(Aggregate.Event):
        lot_id: UUID
        key: str
        purpose: str
        party_id: UUID
        amount: int | None
        of: str | None
        method: str | None = None
        """The card the call is made with, so that a repeat sends the same request."""

    class Recorded(Aggregate.Event):
        lot_id: UUID
        party_id: UUID
        key: str
        status: str
        reference: str
        amount: int | None
        charge: str | None
        customer: str | None
        reason: str | None
        decline_code: str | None
        method: str | None = None

    class PayoutDue(Aggregate.Event):
        """What the allocation owes a supplier, and the platform's fee from it: the payout
        statement's lines; the transfers that pay it follow."""

        lot_id: UUID
        party_id: UUID
        gross: int
        fee: int

    class Notified(Aggregate.Event):
        """The processor told of a change (a webhook), taken once by its event id."""

        lot_id: UUID
        party_id: UUID | None
        event_id: str
        event_type: str
        key: str | None

    @staticmethod
    def create_id(lot_id: UUID) -> UUID:
        """One per lot, found again from the lot's id alone."""
        return uuid5(PAYMENTS_NAMESPACE, f"payments:{lot_id}")

    @classmethod
    def open(cls, lot_id: UUID, currency: str, processor: str) -> LotPayments:
        return cls._create(cls.Opened, id=cls.create_id(lot_id), lot_id=lot_id,
                           currency=currency, processor=processor)

    @event(Opened)
    def __init__(self, lot_id: UUID, currency: str, processor: str) -> None:
        self.lot_id, self.currency, self.processor = lot_id, currency, processor
        self.payments: dict[str, Payment] = {}
        self.notified: frozenset[str] = frozenset()
        #: Supplier → (gross owed by the allocation, platform fee), in minor units.
        self.payouts_due: dict[UUID, tuple[int, int]] = {}

    def request(self, key: str, purpose: Purpose, party_id: UUID, amount: int | None, *,
                of: str | None = None, method: str | None = None) -> bool:
        """Records that a call is about to be made under ``key``; False if it already was
        (the same entry decided it before: the call is repeated with the same key)."""
        if key in self.payments:
            return False
        self.trigger_event(self.Requested, lot_id=self.lot_id, key=key, purpose=purpose.value,
                           party_id=party_id, amount=amount, of=of, method=method)
        return True

    @event(Requested)
    def _requested(self, key: str, purpose: str, party_id: UUID, amount: int | None,
                   of: str | None, method: str | None = None) -> None:
        payment = Payment(key, Purpose(purpose), party_id, amount, of, method=method)
        self.payments = {**self.payments, key: payment}

    def record(self, key: str, *, status: str, reference: str, amount: int | None = None,
               charge: str | None = None, customer: str | None = None,
               reason: str | None = None, decline_code: str | None = None,
               method: str | None = None) -> bool:
        """Records what the call under ``key`` came to, or what it has come to since (a hold
        that lapsed, a card confirmed later); False if that is already what is recorded."""
        payment = self.payments.get(key)
        if payment is None:
            raise PaymentNotRequestedError(
                f"no payment of this lot was requested under {key!r}; record the request "
                "before the call")
        outcome = dict(status=status, reference=reference, settled_amount=amount,
                       charge=charge, customer=customer, reason=reason,
                       decline_code=decline_code, method=method or payment.method)
        if all(getattr(payment, name) == value for name, value in outcome.items()):
            return False
        if payment.status in FINAL and status != payment.status and not (
                payment.status == "declined" and status in MONEY_MOVED):
            return False  # an earlier state reported late
        if payment.status in CONFIRMED and status == "needs_authentication":
            return False  # the bank confirmed it: a look taken before that, reported late
        self.trigger_event(self.Recorded, lot_id=self.lot_id, party_id=payment.party_id,
                           key=key, status=status, reference=reference, amount=amount,
                           charge=charge, customer=customer, reason=reason,
                           decline_code=decline_code, method=outcome["method"])
        return True

    @event(Recorded)
    def _recorded(self, key: str, status: str, reference: str, amount: int | None,
                  charge: str | None, customer: str | None, reason: str | None,
                  decline_code: str | None, method: str | None = None) -> None:
        payment = replace(self.payments[key], status=status, reference=reference,
                          settled_amount=amount, charge=charge, customer=customer,
                          reason=reason, decline_code=decline_code, method=method)
        self.payments = {**self.payments, key: payment}

    def owe_payout(self, party_id: UUID, gross: int, fee: int) -> bool:
        """Records a supplier's payout due, once (False if it already is)."""
        if party_id in self.payouts_due:
            return False
        if not 0 <= fee <= gross:
            raise ValueError("a fee is between nothing and the whole payout")
        self.trigger_event(self.PayoutDue, lot_id=self.lot_id, party_id=party_id, gross=gross,
                           fee=fee)
        return True

    @event(PayoutDue)
    def _payout_due(self, party_id: UUID, gross: int, fee: int) -> None:
        self.payouts_due = {**self.payouts_due, party_id: (gross, fee)}

    def notice(self, event_id: str, event_type: str, key: str | None) -> bool:
        """Takes the processor's event once: False if this event id was taken before (a
        webhook delivered again)."""
        if event_id in self.notified:
            return False
        payment = self.payments.get(key) if key is not None else None
        self.trigger_event(self.Notified, lot_id=self.lot_id, event_id=event_id,
                           party_id=None if payment is None else payment.party_id,
                           event_type=event_type, key=key)
        return True

    @event(Notified)
    def _notified(self, event_id: str, event_type: str, key: str | None,
                  party_id: UUID | None) -> None:
        self.notified = self.notified | {event_id}

    def unknown(self) -> list[Payment]:
        """Calls requested whose outcome is not recorded: to retry, or to reconcile."""
        return [p for p in self.payments.values() if not p.known]

    def of_party(self, party_id: UUID) -> list[Payment]:
        return [p for p in self.payments.values() if p.party_id == party_id]


class PayoutAccount(ReplacedNotMutated, Aggregate):
    """Where a supplier is paid: its account at the payment processor (a Stripe connected
    account), or bank transfer for invoices. Made once per organisation and processor; it
    takes transfers once the processor has checked the supplier's details (its ``state``,
    recorded as the processor reports it: ``details_needed`` until then)."""

    class Connected(Aggregate.Created):
        organisation_id: UUID
        processor: str
        account: str

    class StateChanged(Aggregate.Event):
        """The processor reported the account in another state: ``details_needed``,
        ``checking`` or ``ready`` (to take transfers)."""

        organisation_id: UUID
        state: str

    class Notified(Aggregate.Event):
        """A processor's webhook about the account (Stripe's ``account.updated``), taken once
        by its event id, in the transaction of the state it reported."""

        organisation_id: UUID
        event_id: str
        event_type: str

    @staticmethod
    def create_id(organisation_id: UUID, processor: str) -> UUID:
        return uuid5(PAYMENTS_NAMESPACE, f"payout-account:{processor}:{organisation_id}")

    @classmethod
    def connect(cls, organisation_id: UUID, processor: str, account: str) -> PayoutAccount:
        return cls._create(cls.Connected, id=cls.create_id(organisation_id, processor),
                           organisation_id=organisation_id, processor=processor,
                           account=account)

    @event(Connected)
    def __init__(self, organisation_id: UUID, processor: str, account: str) -> None:
        self.organisation_id, self.processor, self.account = organisation_id, processor, account
        self.state = "details_needed"
        self.notified: frozenset[str] = frozenset()

    def change_state(self, state: str) -> bool:
        """Records the state the processor reports; False if it is the one recorded."""
        if state == self.state:
            return False
        self.trigger_event(self.StateChanged, organisation_id=self.organisation_id,
                           state=state)
        return True

    @event(StateChanged)
    def _state_changed(self, state: str) -> None:
        self.state = state

    def notice(self, event_id: str, event_type: str) -> bool:
        """Takes the processor's event once: False if this event id was taken before."""
        if event_id in self.notified:
            return False
        self.trigger_event(self.Notified, organisation_id=self.organisation_id,
                           event_id=event_id, event_type=event_type)
        return True

    @event(Notified)
    def _notified(self, event_id: str, event_type: str) -> None:
        self.notified = self.notified | {event_id}
