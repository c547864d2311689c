"""Payments (issue 8, DESIGN §3.4): amounts in minor units, the payment port and its adapters.

``payments_for(settings)`` picks the adapter: Stripe when a secret key is configured, else
invoices. Only ``stripe_adapter`` imports ``stripe``.
"""

from __future__ import annotations

from marketplace.payments.invoice_adapter import InvoicePayments
from marketplace.payments.money import AmountNotPayableError, Money
from marketplace.payments.port import (
    AccountNotReadyError,
    AccountState,
    Buyer,
    Found,
    IdempotencyConflictError,
    Notification,
    Outcome,
    PaymentError,
    PaymentPort,
    PaymentRefusedError,
    PaymentUnavailableError,
    Status,
    WebhookRefusedError,
    idempotency_key,
)
from marketplace.settings import Settings


def payments_for(settings: Settings) -> PaymentPort:
    """The adapter the settings ask for."""
    if settings.stripe_secret_key:
        from marketplace.payments.stripe_adapter import StripePayments
        return StripePayments(settings.stripe_secret_key,
                              webhook_secret=settings.stripe_webhook_secret,
                              connect_webhook_secret=settings.stripe_connect_webhook_secret,
                              api_base=settings.stripe_api_base)
    return InvoicePayments()


__all__ = ["AccountNotReadyError", "AccountState", "AmountNotPayableError", "Buyer", "Found",
           "IdempotencyConflictError",
           "InvoicePayments", "Money", "Notification", "Outcome", "PaymentError",
           "PaymentPort", "PaymentRefusedError", "PaymentUnavailableError", "Status",
           "WebhookRefusedError", "idempotency_key", "payments_for"]
