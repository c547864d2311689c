"""The Stripe adapter of the payment port: the only module that imports ``stripe``.

Cards are held with manual-capture PaymentIntents or saved with SetupIntents; suppliers are
paid with separate transfers in the lot's ``transfer_group``, each funded by a buyer's charge
(``source_transaction``), so no transfer can outrun the money taken. Every object carries the
lot and the idempotency key in its metadata, so ``find`` can list what Stripe holds for a lot
and reconciling can match it to the ledger. The SDK retries a dropped call with the same key,
and Stripe answers a repeated key with the first answer: money moves once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import requests
import stripe

from marketplace.payments.money import Money
from marketplace.payments.port import (
    AccountNotReadyError,
    AccountState,
    Buyer,
    Found,
    IdempotencyConflictError,
    Notification,
    Outcome,
    PaymentRefusedError,
    PaymentUnavailableError,
    Status,
    WebhookRefusedError,
)

#: Retries of a call that failed on the network (the SDK backs off and reuses the key).
NETWORK_RETRIES = 3
#: How old a webhook's signed timestamp may be (Stripe's own default): older is a replay.
WEBHOOK_TOLERANCE_S = 300

#: Why a card was declined, in words the buyer can act on (Stripe's decline codes).
DECLINES = {
    "insufficient_funds": "the card has insufficient funds; use another card or ask your bank",
    "expired_card": "the card has expired; enter a card that is still valid",
    "incorrect_cvc": "the card's security code is wrong; enter it again",
    "authentication_required": ("your bank asks you to confirm this payment; open the lot and "
                                "confirm it"),
    "payment_intent_authentication_failure": (
        "your bank did not confirm the payment; enter the card again to retry, or use "
        "another card"),
    "setup_intent_authentication_failure": (
        "your bank did not confirm the card; enter the card again to retry, or use another "
        "card"),
}
DECLINED = "the card was declined by its bank; use another card, or pay by invoice"
#: Stripe's code for a transfer to an account whose ``transfers`` capability is not active.
NOT_READY = "insufficient_capabilities_for_transfer"


def transfer_group(lot_id: UUID) -> str:
    return f"lot_{lot_id}"


class StripePayments:
    """Payments through Stripe (see the module)."""

    name = "stripe"
    #: Stripe's ceiling for one amount: eight digits of the minor unit.
    max_minor: int | None = 99_999_999

    def __init__(self, secret_key: str, *, webhook_secret: str | None = None,
                 connect_webhook_secret: str | None = None,
                 api_base: str | None = None, network_retries: int = NETWORK_RETRIES) -> None:
        #: Each endpoint at Stripe signs with its own secret: the account's, and Connect's.
        self.webhook_secrets = tuple(s for s in (webhook_secret, connect_webhook_secret) if s)
        local = None
        if api_base:  # a stand-in on this machine: never through the environment's proxy
            session = requests.Session()
            session.trust_env = False
            local = stripe.RequestsClient(session=session)
        self.client = stripe.StripeClient(
            secret_key, max_network_retries=network_retries,
            base_addresses={"api": api_base} if api_base else None, http_client=local)

    def hold(self, lot_id: UUID, buyer: Buyer, amount: Money, *, key: str) -> Outcome:
        """A manual-capture PaymentIntent that also saves the card on a Customer
        (``setup_future_usage``): what the allocation asks beyond the hold, or after the hold
        lapsed, is charged to it off-session rather than lost."""
        with _translated():
            customer = buyer.customer or self._customer(buyer, key)
        return self._intent(lot_id, Buyer(buyer.organisation_id, buyer.payment_method,
                                          customer), amount, key,
                            {"capture_method": "manual", "setup_future_usage": "off_session",
                             # the buyer is on the page: Stripe.js shows its bank's challenge
                             "use_stripe_sdk": True})

    def charge(self, lot_id: UUID, buyer: Buyer, amount: Money, *, key: str) -> Outcome:
        return self._intent(lot_id, buyer, amount, key,
                            {"capture_method": "automatic", "off_session": True})

    def save_method(self, lot_id: UUID, buyer: Buyer, *, key: str) -> Outcome:
        with _translated():
            customer = buyer.customer or self._customer(buyer, key)
            try:
                intent = self.client.v1.setup_intents.create(params={
                    "customer": customer, "payment_method": _method(buyer), "confirm": True,
                    "usage": "off_session", "use_stripe_sdk": True,
                    "metadata": _metadata(lot_id, key, buyer)},
                    options={"idempotency_key": key})
            except stripe.CardError as error:
                return _declined(error, customer=customer)
        return _setup_outcome(intent)

    def capture(self, reference: str, amount: Money, *, key: str) -> Outcome:
        with _translated():
            intent = self.client.v1.payment_intents.capture(
                reference,
                params={"amount_to_capture": amount.payable(self.max_minor).minor},
                options={"idempotency_key": key})
        return _intent_outcome(intent)

    def release(self, reference: str, *, key: str) -> Outcome:
        with _translated():
            intent = self.client.v1.payment_intents.cancel(
                reference, params={"cancellation_reason": "abandoned"},
                options={"idempotency_key": key})
        return _intent_outcome(intent)

    def refund(self, reference: str, amount: Money, *, key: str) -> Outcome:
        with _translated():
            refund = self.client.v1.refunds.create(
                params={"payment_intent": reference,
                        "amount": amount.payable(self.max_minor).minor,
                        "metadata": {"kyodo_key": key}},
                options={"idempotency_key": key})
        return Outcome(Status.REFUNDED, refund.id, Money(refund.amount, refund.currency))

    def transfer(self, lot_id: UUID, supplier_account: str, amount: Money, *,
                 charge: str | None, key: str) -> Outcome:
        params: dict[str, Any] = {
            "amount": amount.payable(self.max_minor).minor, "currency": amount.currency,
            "destination": supplier_account, "transfer_group": transfer_group(lot_id),
            "metadata": {"kyodo_lot": str(lot_id), "kyodo_key": key}}
        if charge is not None:
            params["source_transaction"] = charge
        with _translated():
            made = self.client.v1.transfers.create(params=params,  # type: ignore[arg-type]
                                                   options={"idempotency_key": key})
        return Outcome(Status.TRANSFERRED, made.id, Money(made.amount, made.currency),
                       charge=charge)

    def payout_account(self, organisation_id: UUID, *, key: str) -> str:
        """An Express connected account (Stripe onboards the supplier on its own pages)."""
        with _translated():
            account = self.client.v1.accounts.create(
                params={"type": "express", "country": "JP",
                        # Stripe asks platforms for card_payments with transfers.
                        "capabilities": {"card_payments": {"requested": True},
                                         "transfers": {"requested": True}},
                        "metadata": {"kyodo_organisation": str(organisation_id),
                                     "kyodo_key": key}},
                options={"idempotency_key": key})
        return str(account.id)

    def onboarding_link(self, account: str, *, return_url: str, refresh_url: str) -> str:
        """An Account Link (no idempotency key: each is new, single-use, minutes long)."""
        with _translated():
            link = self.client.v1.account_links.create(params={
                "account": account, "type": "account_onboarding", "return_url": return_url,
                "refresh_url": refresh_url})
        return str(link.url)

    def account_state(self, account: str) -> AccountState:
        with _translated():
            found = self.client.v1.accounts.retrieve(account)
        capabilities = found.capabilities
        if capabilities is not None and capabilities.transfers == "active":
            return AccountState.READY
        return AccountState.CHECKING if found.details_submitted else AccountState.DETAILS_NEEDED

    def find(self, lot_id: UUID) -> list[Found]:
        found: list[Found] = []
        with _translated():
            query = f"metadata['kyodo_lot']:'{lot_id}'"
            intents = self.client.v1.payment_intents.search(params={"query": query})
            for intent in intents.auto_paging_iter():
                found.append(Found("payment", intent.id, _key_of(intent),
                                   _intent_outcome(intent)))
            transfers = self.client.v1.transfers.list(
                params={"transfer_group": transfer_group(lot_id), "limit": 100})
            for made in transfers.auto_paging_iter():
                found.append(Found("transfer", made.id, _key_of(made),
                                   Outcome(Status.TRANSFERRED, made.id,
                                           Money(made.amount, made.currency),
                                           charge=_id(made.source_transaction))))
        return found

    def look_up(self, reference: str) -> Outcome:
        with _translated():
            if reference.startswith("pi_"):
                return _intent_outcome(self.client.v1.payment_intents.retrieve(reference))
            if reference.startswith("seti_"):
                return _setup_outcome(self.client.v1.setup_intents.retrieve(reference))
        raise PaymentRefusedError(f"{reference!r} is not a card payment to look up at Stripe")

    def client_secret(self, reference: str) -> str:
        secret = None
        with _translated():
            if reference.startswith("pi_"):
                secret = self.client.v1.payment_intents.retrieve(reference).client_secret
            elif reference.startswith("seti_"):
                secret = self.client.v1.setup_intents.retrieve(reference).client_secret
        if not secret:
            raise PaymentRefusedError(f"Stripe has no confirmation to finish for {reference!r}")
        return secret

    def notification(self, payload: bytes, signature: str | None) -> Notification:
        event = self._verified(payload, signature)
        about = event.data.object
        kind, object_id = getattr(about, "object", None), getattr(about, "id", None)
        if getattr(event, "account", None) and kind != "account":
            kind = None  # a connected account's own payment: not the marketplace's to fetch
        with _translated():
            if kind == "payment_intent" and object_id:
                current: Any = self.client.v1.payment_intents.retrieve(object_id)
                outcome = _intent_outcome(current)
            elif kind == "setup_intent" and object_id:
                current = self.client.v1.setup_intents.retrieve(object_id)
                outcome = _setup_outcome(current)
            elif kind == "account" and object_id:  # its state is asked again when taken
                made_for = about.metadata.to_dict() if about.metadata else {}
                return Notification(event.id, event.type, None, None, None, account=object_id,
                                    organisation_id=_uuid(made_for.get("kyodo_organisation")))
            else:
                return Notification(event.id, event.type, None, None, None)
        lot = current.metadata.to_dict().get("kyodo_lot") if current.metadata else None
        return Notification(event.id, event.type, _uuid(lot), _key_of(current), outcome)

    def _verified(self, payload: bytes, signature: str | None) -> Any:
        """The event, once its signature verifies with one of the endpoints' secrets."""
        if not self.webhook_secrets:
            raise WebhookRefusedError("no STRIPE_WEBHOOK_SECRET is configured to check "
                                      "webhooks with")
        failure = None
        for secret in self.webhook_secrets:
            try:
                return self.client.construct_event(payload, signature or "", secret,
                                                   tolerance=WEBHOOK_TOLERANCE_S)
            except stripe.SignatureVerificationError as error:
                failure = error
            except ValueError:
                raise WebhookRefusedError("the webhook's body is not a Stripe event") from None
        raise WebhookRefusedError(f"the webhook's signature does not verify: {failure}")

    def _intent(self, lot_id: UUID, buyer: Buyer, amount: Money, key: str,
                how: dict[str, Any]) -> Outcome:
        params: dict[str, Any] = {
            "amount": amount.payable(self.max_minor).minor, "currency": amount.currency,
            "confirm": True,
            "payment_method": _method(buyer), "transfer_group": transfer_group(lot_id),
            "metadata": _metadata(lot_id, key, buyer), **how}
        if buyer.customer:
            params["customer"] = buyer.customer
        with _translated():
            try:
                intent = self.client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": key})
            except stripe.CardError as error:
                return _declined(error, customer=buyer.customer)
        return _intent_outcome(intent)

    def _customer(self, buyer: Buyer, key: str) -> str:
        customer = self.client.v1.customers.create(
            params={"metadata": {"kyodo_organisation": str(buyer.organisation_id)}},
            options={"idempotency_key": f"{key}:customer"})
        return customer.id


def _setup_outcome(intent: Any) -> Outcome:
    customer = _id(intent.customer)
    if intent.status == "succeeded":
        return Outcome(Status.SAVED, intent.id, customer=customer,
                       method=_id(intent.payment_method))
    if intent.status == "requires_action":
        return Outcome(Status.NEEDS_AUTHENTICATION, intent.id, customer=customer,
                       reason=DECLINES["authentication_required"])
    error = intent.last_setup_error
    code = getattr(error, "decline_code", None) or getattr(error, "code", None)
    return Outcome(Status.DECLINED, intent.id, customer=customer,
                   reason=DECLINES.get(code or "", DECLINED), decline_code=code)


def _uuid(text: str | None) -> UUID | None:
    try:
        return None if text is None else UUID(text)
    except ValueError:
        return None


def _intent_outcome(intent: Any) -> Outcome:
    currency = intent.currency
    charge = _id(intent.latest_charge)
    match intent.status:
        case "requires_capture":
            return Outcome(Status.AUTHORISED, intent.id, Money(intent.amount_capturable, currency),
                           charge=charge, customer=_id(intent.customer), method=_saved(intent))
        case "succeeded":
            return Outcome(Status.CAPTURED, intent.id, Money(intent.amount_received, currency),
                           charge=charge, customer=_id(intent.customer), method=_saved(intent))
        case "requires_action":
            return Outcome(Status.NEEDS_AUTHENTICATION, intent.id, Money(intent.amount, currency),
                           reason=DECLINES["authentication_required"])
        case "canceled":
            # "expired" since API version 2025-03-31; "automatic" before it.
            expired = intent.cancellation_reason in ("expired", "automatic")
            saved = _saved(intent)
            return Outcome(Status.EXPIRED if expired else Status.RELEASED, intent.id,
                           Money(intent.amount, currency), customer=_id(intent.customer),
                           method=saved, reason=_lapsed(saved) if expired else None)
    error = intent.last_payment_error
    code = getattr(error, "decline_code", None) or getattr(error, "code", None)
    asks = code == "authentication_required"  # off session: the buyer can still confirm it
    return Outcome(Status.NEEDS_AUTHENTICATION if asks else Status.DECLINED, intent.id,
                   Money(intent.amount, currency), reason=DECLINES.get(code or "", DECLINED),
                   decline_code=code)


def _lapsed(saved: str | None) -> str:
    if saved is None:
        return "the hold on the card lapsed before the lot was allocated; enter your card again"
    return ("the hold on the card lapsed before it was captured; what you owe, if anything, "
            "is charged to the card it saved instead")


def _saved(intent: Any) -> str | None:
    """The card an intent saved on its customer, to charge again off-session."""
    if intent.customer is None or getattr(intent, "setup_future_usage", None) is None:
        return None
    return _id(intent.payment_method)


def _declined(error: stripe.CardError, *, customer: str | None) -> Outcome:
    json_body: Any = error.json_body or {}
    body: dict[str, Any] = json_body.get("error") or {}
    code = body.get("decline_code") or error.code or ""
    intent = body.get("payment_intent") or body.get("setup_intent") or {}
    status = (Status.NEEDS_AUTHENTICATION if error.code == "authentication_required"
              else Status.DECLINED)
    return Outcome(status, intent.get("id", ""), customer=customer,
                   reason=DECLINES.get(code, DECLINED), decline_code=code or None)


def _metadata(lot_id: UUID, key: str, buyer: Buyer) -> dict[str, str]:
    return {"kyodo_lot": str(lot_id), "kyodo_key": key,
            "kyodo_organisation": str(buyer.organisation_id)}


def _method(buyer: Buyer) -> str:
    if not buyer.payment_method:
        raise PaymentRefusedError("no card was entered: enter a card, or pay by invoice")
    return buyer.payment_method


def _key_of(made: Any) -> str | None:
    metadata = made.metadata
    return None if metadata is None else metadata.to_dict().get("kyodo_key")


def _id(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the object."""
    if value is None or isinstance(value, str):
        return value
    return str(value.id)


@contextmanager
def _translated() -> Iterator[None]:
    """Stripe's errors as the port's: what to do next, not which exception class."""
    try:
        yield
    except stripe.IdempotencyError as error:
        raise IdempotencyConflictError(f"Stripe refused a reused idempotency key: {error}"
                                       ) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        raise PaymentUnavailableError(
            f"Stripe did not answer ({type(error).__name__}); the call may have taken "
            "effect: retry it, or reconcile the lot") from None
    except (stripe.AuthenticationError, stripe.PermissionError):
        raise PaymentRefusedError("Stripe refused the secret key: check STRIPE_SECRET_KEY"
                                  ) from None
    except (stripe.InvalidRequestError, stripe.CardError) as error:
        if error.code == NOT_READY:
            raise AccountNotReadyError("Stripe refused the transfer: the supplier's account "
                                       "cannot take transfers until it finishes setting up "
                                       "payouts") from None
        raise PaymentRefusedError(f"Stripe refused the request: {error.user_message or error}"
                                  ) from None
