"""The payment port: what the marketplace asks of whoever moves the money (DESIGN §3.4).

Two adapters: Stripe (cards, held or saved at pooling, captured or charged at allocation,
suppliers paid by transfers) and invoice (the default without a Stripe key: the same steps,
settled by bank transfer against an invoice number). Each call carries an idempotency key
derived from the ledger, so a call repeated after a crash or a retry moves money once.

Declines and requests for authentication are outcomes, not errors: the buyer can act on them.
Errors are for what nobody can act on from here: the processor unreachable
(``PaymentUnavailableError``: retry with the same key, or reconcile) or a request it refuses
(``PaymentRefusedError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from marketplace.payments.money import Money

#: Stripe takes keys of up to 255 characters; ours stay far below.
MAX_KEY_LENGTH = 255


class PaymentError(Exception):
    """A payment call did not reach an outcome; the message says what to do."""


class PaymentUnavailableError(PaymentError):
    """The processor could not be reached, or did not answer: the call may or may not have
    taken effect. Retry it with the same idempotency key, or reconcile the lot."""


class PaymentRefusedError(PaymentError):
    """The processor refused the request as malformed or out of order."""


class AccountNotReadyError(PaymentRefusedError):
    """The supplier's payout account cannot take transfers until it finishes setting up
    payouts (the processor asks for more of its details)."""

    #: How a refused transfer is marked on the ledger (its ``decline_code``), to be asked
    #: again once the account is ready.
    code = "account_not_ready"


class IdempotencyConflictError(PaymentError):
    """The key was already used for a different request: a bug, never retried blindly."""


class WebhookRefusedError(PaymentError):
    """A webhook whose signature does not verify (forged, altered, or too old) is not taken."""


class Status(StrEnum):
    SAVED = "saved"
    """The buyer's payment method is kept for a charge at allocation (no money held)."""
    AUTHORISED = "authorised"
    """The amount is held on the buyer's card (or committed by order, for an invoice)."""
    CAPTURED = "captured"
    """The final amount is taken (a hold captured, a saved card charged, an invoice issued)."""
    RELEASED = "released"
    """A hold let go without any charge."""
    REFUNDED = "refunded"
    TRANSFERRED = "transferred"
    """A supplier's share sent (to its Stripe account, or listed for a bank transfer)."""
    REFUSED = "refused"
    """The processor refused the call (its hold gone, say); ``reason`` says what it said."""
    DECLINED = "declined"
    """The card was refused; ``reason`` says why in words the buyer can act on."""
    NEEDS_AUTHENTICATION = "needs_authentication"
    """The bank asks the buyer to confirm (3-D Secure) before the payment can go ahead."""
    EXPIRED = "expired"
    """A hold lapsed before it was captured."""


class AccountState(StrEnum):
    """Whether a supplier's payout account can be paid into, as the processor says."""

    DETAILS_NEEDED = "details_needed"
    """The supplier has not given the processor everything it asks for (onboarding not
    finished, or never started)."""
    CHECKING = "checking"
    """The supplier's details are in; the processor checks them before the account may take
    transfers."""
    READY = "ready"
    """The account can take transfers (Stripe: its ``transfers`` capability is ``active``)."""


@dataclass(frozen=True)
class Outcome:
    """What a call ended in, as recorded on the ledger after it."""

    status: Status
    reference: str
    """The processor's id of what the call made or changed (``pi_…``, ``tr_…``, an invoice
    number), to look it up again."""
    amount: Money | None = None
    charge: str | None = None
    """The charge that funds a supplier transfer (Stripe's ``source_transaction``)."""
    customer: str | None = None
    """The processor's record of the buyer that a saved method belongs to."""
    method: str | None = None
    """The saved payment method, to charge without the buyer present."""
    reason: str | None = None
    decline_code: str | None = None


@dataclass(frozen=True)
class Buyer:
    organisation_id: UUID
    payment_method: str | None = None
    """The processor's token for the card the buyer entered (none for an invoice)."""
    customer: str | None = None


@dataclass(frozen=True)
class Found:
    """A payment the processor holds for a lot, as ``find`` reports it for reconciling."""

    kind: str
    """``payment`` (a hold or charge) or ``transfer``."""
    reference: str
    key: str | None
    """The idempotency key it was made under, as its metadata records it."""
    outcome: Outcome


@dataclass(frozen=True)
class Notification:
    """A processor's webhook, verified, with the current state of what it is about (fetched
    again: webhooks arrive late, twice, and out of order, so their own copy is not trusted)."""

    event_id: str
    event_type: str
    lot_id: UUID | None
    """None for an object the marketplace did not make."""
    key: str | None
    outcome: Outcome | None
    account: str | None = None
    """The supplier's payout account an account event is about (None for a payment's)."""
    organisation_id: UUID | None = None
    """The organisation the marketplace made that account for."""


def idempotency_key(aggregate_id: UUID, version: int, purpose: str) -> str:
    """The key of the call an entry decided: the same entry always gives the same key."""
    if not purpose or not purpose.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"a purpose is a word such as 'hold' or 'transfer-<id>': {purpose!r}")
    key = f"kyodo:{aggregate_id}:{version}:{purpose}"
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError("the idempotency key is too long")
    return key


class PaymentPort(Protocol):
    """Moves the money of one lot: hold or save at pooling, capture or charge and pay the
    suppliers at allocation, release or refund on cancellation; and finds again what it did."""

    name: str
    #: The most one payment may carry, in minor units (None: no limit).
    max_minor: int | None

    def hold(self, lot_id: UUID, buyer: Buyer, amount: Money, *, key: str) -> Outcome:
        """Authorise ``amount`` now, to be captured (in part) at allocation."""
        ...

    def save_method(self, lot_id: UUID, buyer: Buyer, *, key: str) -> Outcome:
        """Keep the buyer's payment method for a charge at allocation."""
        ...

    def charge(self, lot_id: UUID, buyer: Buyer, amount: Money, *, key: str) -> Outcome:
        """Charge a saved method ``amount`` without the buyer present."""
        ...

    def capture(self, reference: str, amount: Money, *, key: str) -> Outcome:
        """Take ``amount`` of a hold; the rest of it is released."""
        ...

    def release(self, reference: str, *, key: str) -> Outcome:
        ...

    def refund(self, reference: str, amount: Money, *, key: str) -> Outcome:
        ...

    def transfer(self, lot_id: UUID, supplier_account: str, amount: Money, *,
                 charge: str | None, key: str) -> Outcome:
        """Send a supplier its share, funded by a buyer's ``charge``."""
        ...

    def payout_account(self, organisation_id: UUID, *, key: str) -> str:
        """Makes the supplier's account to be paid into (the same one for the same key)."""
        ...

    def onboarding_link(self, account: str, *, return_url: str, refresh_url: str) -> str:
        """Where the supplier gives the processor its details, once (Stripe's hosted
        onboarding: an Account Link of type ``account_onboarding``, short-lived). The
        processor sends the supplier to ``return_url`` when it leaves, finished or not, and
        to ``refresh_url`` when the link has expired or was used already."""
        ...

    def account_state(self, account: str) -> AccountState:
        """Whether the account can take transfers now, as the processor says (asked again
        each time). Stripe: ``ready`` when the account's ``transfers`` capability is
        ``active``, which is what a transfer to it needs (``payouts_enabled``, its bank
        payouts, is not: money transferred waits in its balance); else ``checking`` once
        ``details_submitted``, else ``details_needed``."""
        ...

    def find(self, lot_id: UUID) -> list[Found]:
        """Everything the processor holds for the lot (for ``payments reconcile``)."""
        ...

    def look_up(self, reference: str) -> Outcome:
        """What a hold or a saved card (``pi_…``, ``seti_…``) has come to since it was
        recorded: after the buyer's bank confirmed it (3-D Secure), or refused to."""
        ...

    def client_secret(self, reference: str) -> str:
        """The secret that lets the buyer's browser finish a payment waiting on its bank
        (Stripe.js ``handleNextAction``). Asked for each time it is shown, for the buyer
        whose payment it is; it is never kept on the ledger, which others may read."""
        ...

    def notification(self, payload: bytes, signature: str | None) -> Notification:
        """A webhook's event, once its signature verifies (else ``WebhookRefusedError``)."""
        ...
