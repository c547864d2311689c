"""PaymentIntents and their Charges: Stripe's card payment states, the test cards' outcomes,
manual capture and the seven-day expiry of an uncaptured hold.

Each operation checks everything that can be refused before it changes anything, so a 400
leaves the store as it was; a card error (402) is raised after its changes, as in Stripe,
where a declined attempt still leaves a failed PaymentIntent (and Charge) behind.
"""

from __future__ import annotations

import contextlib
import copy
import secrets

from tests.fake_stripe.cards import (
    AUTHENTICATION_FAILED,
    AUTHENTICATION_REQUIRED,
    TEST_CARDS,
    Decline,
)
from tests.fake_stripe.errors import StripeFault, card_error, invalid, unexpected_state
from tests.fake_stripe.forms import Params
from tests.fake_stripe.state import Obj, Store

HOLD_SECONDS = 7 * 24 * 3600
#: Why Stripe cancels a hold nobody captured in time. Since API version 2025-03-31.basil it is
#: "expired" (it was "automatic" before); the SDK pins a later version, so the fake says this.
HOLD_EXPIRY_REASON = "expired"
CANCELLATION_REASONS = ("abandoned", "duplicate", "fraudulent", "requested_by_customer")
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action",
              "requires_capture")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
URL = "/v1/payment_intents"


def payment_method(store: Store, reference: str, customer: str | None) -> Obj:
    """The PaymentMethod to use: a test token makes a new one, as in Stripe; an id must be one
    this customer may use. Refusals come before the token makes anything."""
    card = TEST_CARDS.get(reference)
    if card is None:
        method = store.get("payment_method", reference, param="payment_method")
        if method["customer"] is not None and method["customer"] != customer:
            raise invalid("The provided PaymentMethod belongs to a different Customer than "
                          "the one given.", param="payment_method")
        if method["customer"] is None and method["id"] in store.spent:
            raise invalid("The provided PaymentMethod was previously used with a PaymentIntent "
                          "without Customer attachment. It may not be used again. To use a "
                          "PaymentMethod multiple times, you must attach it to a Customer "
                          "first.", param="payment_method")
        return method
    method = store.add({
        "object": "payment_method", "type": "card", "customer": None, "metadata": {},
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {"brand": card.brand, "last4": card.last4, "exp_month": 12, "exp_year": 2034,
                 "country": "US", "funding": "credit"}})
    store.cards[method["id"]] = card
    return method


def create(store: Store, p: Params) -> Obj:
    amount, currency = p.amount("amount"), p.currency()
    customer = p.text("customer")
    if customer is not None:
        store.get("customer", customer, param="customer")
    capture = p.choice("capture_method", ("automatic", "automatic_async", "manual"),
                       "automatic_async")
    confirm, off_session = p.flag("confirm"), p.flag("off_session")
    if off_session and not confirm:
        raise invalid("off_session can only be used with confirm=true.", param="off_session")
    reference = p.text("payment_method")
    if confirm and reference is None:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment "
                      "method.", param="payment_method", code="payment_intent_unexpected_state")
    metadata, description = p.metadata(), p.text("description")
    future = p.choice("setup_future_usage", ("off_session", "on_session"), None)
    group = p.text("transfer_group")
    method = None if reference is None else payment_method(store, reference, customer)
    intent = store.add({
        "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_received": 0, "canceled_at": None, "cancellation_reason": None,
        "capture_method": capture, "client_secret": None, "confirmation_method": "automatic",
        "currency": currency, "customer": customer, "description": description,
        "last_payment_error": None, "latest_charge": None, "metadata": metadata,
        "next_action": None, "payment_method": None if method is None else method["id"],
        "payment_method_types": ["card"], "setup_future_usage": future,
        "status": "requires_payment_method" if method is None else "requires_confirmation",
        "transfer_group": group})
    intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(12)}"
    store.emit("payment_intent.created", intent)
    if confirm and method is not None:
        _attempt(store, intent, method, off_session=off_session)
    return intent


def confirm(store: Store, intent_id: str, p: Params) -> Obj:
    intent = store.get("payment_intent", intent_id, param=None)
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state("payment_intent", intent_id, intent["status"], "confirmed")
    off_session = p.flag("off_session")
    reference = p.text("payment_method") or intent["payment_method"]
    if reference is None:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment "
                      "method.", param="payment_method", code="payment_intent_unexpected_state")
    method = payment_method(store, reference, intent["customer"])
    _attempt(store, intent, method, off_session=off_session)
    return intent


def capture(store: Store, intent_id: str, p: Params) -> Obj:
    intent = store.get("payment_intent", intent_id)
    amount = p.optional_amount("amount_to_capture")
    metadata = p.metadata() if p.has("metadata") else None
    if intent["status"] != "requires_capture":
        raise unexpected_state("payment_intent", intent_id, intent["status"], "captured")
    capturable = intent["amount_capturable"]
    amount = capturable if amount is None else amount
    if amount > capturable:
        raise invalid(f"The amount_to_capture ({amount}) is greater than the amount_capturable "
                      f"({capturable}).", param="amount_to_capture", code="amount_too_large")
    charge = store.objects[intent["latest_charge"]]
    # The rest of the hold is released: since 2025-03-31.basil that makes no Refund and leaves
    # the Charge's amount_refunded alone; amount_captured says what was taken.
    charge.update(captured=True, amount_captured=amount,
                  balance_transaction=store.new_id("txn"))
    intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
    if metadata is not None:
        intent["metadata"].update(metadata)
    store.emit("charge.captured", charge)
    store.emit("payment_intent.succeeded", intent)
    return intent


def cancel(store: Store, intent_id: str, p: Params) -> Obj:
    intent = store.get("payment_intent", intent_id)
    reason = p.choice("cancellation_reason", CANCELLATION_REASONS, None)
    if intent["status"] not in CANCELABLE:
        raise unexpected_state("payment_intent", intent_id, intent["status"], "canceled")
    _cancel(store, intent, reason)
    return intent


def expire_holds(store: Store) -> None:
    """Cancels every hold whose ``capture_before`` the clock has reached."""
    for intent in reversed(store.all("payment_intent")):
        if intent["status"] != "requires_capture":
            continue
        charge = store.objects[intent["latest_charge"]]
        if store.now >= charge["payment_method_details"]["card"]["capture_before"]:
            store.emit("charge.expired", charge)
            _cancel(store, intent, HOLD_EXPIRY_REASON)


def confirm_on_session(store: Store, intent: Obj, method: Obj) -> None:
    """The customer, present in its browser (Stripe.js ``confirmCardPayment``), confirms an
    intent with a card: an off-session charge its bank stopped is brought back on session."""
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state("payment_intent", intent["id"], intent["status"], "confirmed")
    _attempt(store, intent, method, off_session=False)


def authenticate(store: Store, intent: Obj, *, succeed: bool) -> None:
    """The customer's answer to 3-D Secure, which in Stripe happens in their browser."""
    if intent["status"] != "requires_action":
        raise unexpected_state("payment_intent", intent["id"], intent["status"],
                               "authenticated")
    method = store.objects[intent["payment_method"]]
    if succeed:
        _authorise(store, intent, method)
        return
    # The customer saw the failure in their browser; the intent records it.
    with contextlib.suppress(StripeFault):
        _fail(store, intent, method, AUTHENTICATION_FAILED, charge=None)


def _attempt(store: Store, intent: Obj, method: Obj, *, off_session: bool) -> None:
    card = store.cards[method["id"]]
    intent["payment_method"] = method["id"]
    if card.authenticates and not off_session:
        intent.update(status="requires_action", next_action={
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect",
                               "stripe_js": f"https://hooks.stripe.com/3d_secure/{intent['id']}"}})
        store.emit("payment_intent.requires_action", intent)
        return
    if card.authenticates:
        _fail(store, intent, method, AUTHENTICATION_REQUIRED, charge=None)
    if card.decline is not None:
        _fail(store, intent, method, card.decline,
              charge=_charge(store, intent, method, card.decline))
    _authorise(store, intent, method)


def _authorise(store: Store, intent: Obj, method: Obj) -> None:
    if method["customer"] is None and intent["setup_future_usage"] and intent["customer"]:
        method["customer"] = intent["customer"]  # saved for later, as Stripe does
        store.emit("payment_method.attached", method)
    if method["customer"] is None:
        store.spent.add(method["id"])
    charge = _charge(store, intent, method, None)
    intent.update(latest_charge=charge["id"], next_action=None, last_payment_error=None)
    store.emit("charge.succeeded", charge)
    if intent["capture_method"] == "manual":
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        store.emit("payment_intent.amount_capturable_updated", intent)
    else:
        intent.update(status="succeeded", amount_received=intent["amount"])
        store.emit("payment_intent.succeeded", intent)


def _fail(store: Store, intent: Obj, method: Obj, decline: Decline, charge: Obj | None) -> None:
    error = card_error(decline, charge=None if charge is None else charge["id"],
                       payment_method=copy.deepcopy(method))
    intent.update(status="requires_payment_method", payment_method=None, next_action=None,
                  last_payment_error=dict(error.error))
    if charge is not None:
        intent["latest_charge"] = charge["id"]
        store.emit("charge.failed", charge)
    store.emit("payment_intent.payment_failed", intent)
    error.error["payment_intent"] = copy.deepcopy(intent)
    raise error


def _charge(store: Store, intent: Obj, method: Obj, decline: Decline | None) -> Obj:
    manual = intent["capture_method"] == "manual" and decline is None
    captured = decline is None and not manual
    return store.add({
        "object": "charge", "amount": intent["amount"],
        "amount_captured": intent["amount"] if captured else 0, "amount_refunded": 0,
        "balance_transaction": store.new_id("txn") if captured else None,
        "captured": captured, "currency": intent["currency"], "customer": intent["customer"],
        "description": intent["description"],
        "failure_code": None if decline is None else decline.code,
        "failure_message": None if decline is None else decline.message,
        "metadata": {}, "outcome": {
            "type": "authorized" if decline is None else "issuer_declined",
            "network_status": "approved_by_network" if decline is None else "declined_by_network",
            "reason": None if decline is None else decline.decline_code},
        "paid": decline is None, "payment_intent": intent["id"],
        "payment_method": method["id"], "payment_method_details": {"type": "card", "card": {
            "brand": method["card"]["brand"], "last4": method["card"]["last4"],
            "capture_before": store.now + HOLD_SECONDS if manual else None}},
        "refunded": False, "status": "succeeded" if decline is None else "failed",
        "transfer_group": intent["transfer_group"]})


def _cancel(store: Store, intent: Obj, reason: str | None) -> None:
    intent.update(status="canceled", canceled_at=store.now, cancellation_reason=reason,
                  amount_capturable=0, next_action=None)
    store.emit("payment_intent.canceled", intent)
