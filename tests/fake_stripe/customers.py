"""Customers and SetupIntents: saving a card on a customer for later off-session charges.

A SetupIntent that succeeds attaches its PaymentMethod to the customer; a test card that
declines fails the setup with a 402 carrying the ``setup_intent``, as Stripe does.
"""

from __future__ import annotations

import contextlib
import copy
import secrets

from tests.fake_stripe.cards import SETUP_AUTHENTICATION_FAILED, Decline
from tests.fake_stripe.errors import StripeFault, card_error, invalid, unexpected_state
from tests.fake_stripe.forms import Params
from tests.fake_stripe.payments import payment_method
from tests.fake_stripe.state import Obj, Store

SETUP_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def create_customer(store: Store, p: Params) -> Obj:
    metadata = p.metadata()
    customer = store.add({
        "object": "customer", "description": p.text("description"), "email": p.text("email"),
        "name": p.text("name"), "phone": p.text("phone"), "metadata": metadata,
        "invoice_settings": {"default_payment_method": None}})
    store.emit("customer.created", customer)
    return customer


def create_setup(store: Store, p: Params) -> Obj:
    customer = p.text("customer")
    if customer is not None:
        store.get("customer", customer, param="customer")
    usage = p.choice("usage", ("off_session", "on_session"), "off_session")
    confirm, reference, metadata = p.flag("confirm"), p.text("payment_method"), p.metadata()
    if confirm and reference is None:
        raise invalid("You cannot confirm this SetupIntent because it's missing a payment "
                      "method.", param="payment_method", code="setup_intent_unexpected_state")
    description = p.text("description")
    method = None if reference is None else payment_method(store, reference, customer)
    intent = store.add({
        "object": "setup_intent", "cancellation_reason": None, "client_secret": None,
        "customer": customer, "description": description, "last_setup_error": None,
        "latest_attempt": None, "metadata": metadata, "next_action": None,
        "payment_method": None if method is None else method["id"],
        "payment_method_types": ["card"],
        "status": "requires_payment_method" if method is None else "requires_confirmation",
        "usage": usage})
    intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(12)}"
    store.emit("setup_intent.created", intent)
    if confirm and method is not None:
        _attempt(store, intent, method)
    return intent


def confirm_setup(store: Store, intent_id: str, p: Params) -> Obj:
    intent = store.get("setup_intent", intent_id)
    if intent["status"] not in SETUP_CONFIRMABLE:
        raise unexpected_state("setup_intent", intent_id, intent["status"], "confirmed")
    reference = p.text("payment_method") or intent["payment_method"]
    if reference is None:
        raise invalid("You cannot confirm this SetupIntent because it's missing a payment "
                      "method.", param="payment_method", code="setup_intent_unexpected_state")
    _attempt(store, intent, payment_method(store, reference, intent["customer"]))
    return intent


def cancel_setup(store: Store, intent_id: str, p: Params) -> Obj:
    intent = store.get("setup_intent", intent_id)
    reason = p.choice("cancellation_reason",
                      ("abandoned", "duplicate", "requested_by_customer"), None)
    if intent["status"] not in SETUP_CONFIRMABLE:
        raise unexpected_state("setup_intent", intent_id, intent["status"], "canceled")
    intent.update(status="canceled", cancellation_reason=reason, next_action=None)
    store.emit("setup_intent.canceled", intent)
    return intent


def authenticate_setup(store: Store, intent: Obj, *, succeed: bool) -> None:
    """The customer's answer to 3-D Secure for a SetupIntent waiting on it."""
    if intent["status"] != "requires_action":
        raise unexpected_state("setup_intent", intent["id"], intent["status"], "authenticated")
    method = store.objects[intent["payment_method"]]
    if succeed:
        _succeed(store, intent, method)
        return
    # The customer saw the failure in their browser; the intent records it.
    with contextlib.suppress(StripeFault):
        _fail(store, intent, method, SETUP_AUTHENTICATION_FAILED)


def _attempt(store: Store, intent: Obj, method: Obj) -> None:
    card = store.cards[method["id"]]
    intent["payment_method"] = method["id"]
    if card.authenticates:
        # A card that asks for 3-D Secure every time asks while it is being saved, too.
        intent.update(status="requires_action", next_action={
            "type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}})
        store.emit("setup_intent.requires_action", intent)
        return
    if card.decline is not None and not card.saves:
        _fail(store, intent, method, card.decline)
    _succeed(store, intent, method)


def _succeed(store: Store, intent: Obj, method: Obj) -> None:
    intent.update(status="succeeded", next_action=None, last_setup_error=None,
                  latest_attempt=store.new_id("setatt"))
    store.emit("setup_intent.succeeded", intent)
    if intent["customer"] is not None and method["customer"] is None:
        method["customer"] = intent["customer"]
        store.emit("payment_method.attached", method)


def _fail(store: Store, intent: Obj, method: Obj, decline: Decline) -> None:
    error = card_error(decline, payment_method=copy.deepcopy(method))
    intent.update(status="requires_payment_method", payment_method=None, next_action=None,
                  last_setup_error=dict(error.error))
    store.emit("setup_intent.setup_failed", intent)
    error.error["setup_intent"] = copy.deepcopy(intent)
    raise error
