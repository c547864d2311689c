"""The invoice adapter of the payment port: the default when no Stripe key is configured.

The same steps as with cards, recorded as the same events, but nothing is held on a card: at
pooling the buyer's order commits it, at allocation it is sent an invoice for its final amount
and pays by bank transfer; suppliers are listed for payment by bank transfer. Numbers are
derived from the idempotency key, so a repeated call names the same invoice.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from marketplace.payments.money import Money
from marketplace.payments.port import (
    AccountState,
    Buyer,
    Found,
    Notification,
    Outcome,
    PaymentRefusedError,
    Status,
    WebhookRefusedError,
)


def document_number(prefix: str, key: str) -> str:
    """A short number for a person to quote on a bank transfer, the same for the same key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:10].upper()
    return f"{prefix}-{digest[:5]}-{digest[5:]}"


class InvoicePayments:
    """Payments by invoice and bank transfer (see the module)."""

    name = "invoice"
    max_minor: int | None = None  # an invoice carries any amount

    def hold(self, lot_id: UUID, buyer: Buyer, amount: Money, *, key: str) -> Outcome:
        return Outcome(Status.AUTHORISED, document_number("ORD", key), amount.payable())

    def save_method(self, lot_id: UUID, buyer: Buyer, *, key: str) -> Outcome:
        return Outcome(Status.SAVED, document_number("ORD", key))

    def charge(self, lot_id: UUID, buyer: Buyer, amount: Money, *, key: str) -> Outcome:
        return Outcome(Status.CAPTURED, document_number("INV", key), amount.payable())

    def capture(self, reference: str, amount: Money, *, key: str) -> Outcome:
        return Outcome(Status.CAPTURED, document_number("INV", key), amount.payable())

    def release(self, reference: str, *, key: str) -> Outcome:
        return Outcome(Status.RELEASED, reference)

    def refund(self, reference: str, amount: Money, *, key: str) -> Outcome:
        return Outcome(Status.REFUNDED, document_number("CRN", key), amount.payable())

    def transfer(self, lot_id: UUID, supplier_account: str, amount: Money, *,
                 charge: str | None, key: str) -> Outcome:
        return Outcome(Status.TRANSFERRED, document_number("PAY", key), amount.payable(),
                       charge=charge)

    def payout_account(self, organisation_id: UUID, *, key: str) -> str:
        return "bank-transfer"  # suppliers are paid to the bank account on their invoices

    def onboarding_link(self, account: str, *, return_url: str, refresh_url: str) -> str:
        raise PaymentRefusedError("this marketplace pays its suppliers by bank transfer to the "
                                  "account on their invoices: there is no payout account to "
                                  "set up")

    def account_state(self, account: str) -> AccountState:
        return AccountState.READY  # a bank transfer needs no account at a processor

    def find(self, lot_id: UUID) -> list[Found]:
        return []  # nothing is held outside the ledger

    def look_up(self, reference: str) -> Outcome:
        # An order or an invoice never waits on a bank: the ledger's record is all there is.
        raise PaymentRefusedError(f"{reference} is paid by invoice; there is no card payment "
                                  "to confirm with a bank")

    def client_secret(self, reference: str) -> str:
        raise PaymentRefusedError(f"{reference} is paid by invoice; there is no card payment "
                                  "to confirm with a bank")

    def notification(self, payload: bytes, signature: str | None) -> Notification:
        raise WebhookRefusedError("this marketplace takes payments by invoice; it has no "
                                  "payment processor to take webhooks from")
