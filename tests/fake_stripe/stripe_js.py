"""The browser's side of the fake Stripe: a stand-in Stripe.js (``GET /v3/``, the script in
``stripe_v3.js``) and the calls it makes with the publishable key, as Stripe.js makes its own
to api.stripe.com:

- ``POST /v1/payment_methods``: the card typed in the fake card field becomes a PaymentMethod;
  Stripe's documented test numbers are the fake's test cards (``cards.py``).
- ``GET /fake/intents``: an intent's status, by its client secret (what Stripe.js reads before
  it shows a bank's challenge).
- ``POST /fake/three_d_secure``: the buyer's answer to its bank's challenge, ``complete`` or
  ``fail`` (in Stripe: a frame of hooks.stripe.com and the bank's page; here two buttons).

Only a publishable key (``pk_test_…``) is taken here, in the ``key`` parameter as Stripe.js
sends it; a secret key is refused: it must never be in a browser. Answers carry CORS headers
for a page on loopback, as Stripe's API answers any page.

Differences from Stripe: the card field is a plain input in the page (Stripe's is a frame of
js.stripe.com) and asks no expiry or CVC; the challenge is not in a frame; these calls take no
idempotency key and are not counted in ``FakeStripe.mutations``; an intent's ``next_action``
is ``use_stripe_sdk`` whether or not it was asked for.
"""

from __future__ import annotations

import copy
import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.fake_stripe import customers, payments
from tests.fake_stripe.cards import (
    CARD_AUTHENTICATION_REQUIRED,
    CARD_CHARGES_FAIL,
    CARD_DECLINED,
    CARD_EXPIRED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_VISA,
    Decline,
)
from tests.fake_stripe.errors import StripeFault, card_error, invalid, missing, unauthenticated
from tests.fake_stripe.forms import parse_form
from tests.fake_stripe.state import Obj, Store

#: The publishable key a page of the tests runs the fake Stripe.js with.
PUBLISHABLE_KEY = "pk_test_fake_kyodo"
SCRIPT = Path(__file__).with_name("stripe_v3.js")
SCRIPT_PATHS = ("/v3", "/v3/")
PAYMENT_METHODS = "/v1/payment_methods"
INTENTS = "/fake/intents"
THREE_D_SECURE = "/fake/three_d_secure"
CONFIRM = "/fake/confirm"
PATHS = (*SCRIPT_PATHS, PAYMENT_METHODS, INTENTS, THREE_D_SECURE, CONFIRM)

#: Stripe's documented test card numbers (docs.stripe.com/testing) as the fake's test cards.
TEST_NUMBERS = {
    "4242424242424242": CARD_VISA,
    "4000000000000002": CARD_DECLINED,
    "4000000000009995": CARD_INSUFFICIENT_FUNDS,
    "4000000000000069": CARD_EXPIRED,
    "4000002760003184": CARD_AUTHENTICATION_REQUIRED,
    "4000000000000341": CARD_CHARGES_FAIL,
}
INCORRECT_NUMBER = Decline("incorrect_number", "", "Your card number is incorrect.", "number")
LIVE_CARD = Decline(
    "card_declined", "live_mode_test_card",
    "Your card was declined. Your request was in test mode, but used a non test (live) card. "
    "For a list of valid test cards, visit: https://stripe.com/docs/testing.")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

#: (status, body, headers) of an answer.
Reply = tuple[int, bytes, dict[str, str]]


def serves(path: str) -> bool:
    """Whether a path is the browser's (no secret key): the script, and the calls it makes."""
    return path in PATHS


def answer(store: Store, method: str, path: str, query: str, headers: dict[str, str],
           body: str) -> Reply:
    """The answer to one of the browser's requests (see the module)."""
    cors = _cors(headers.get("origin"))
    if method == "OPTIONS":  # a preflight: what the page may send
        return 204, b"", {**cors, "Access-Control-Allow-Methods": "GET, POST",
                          "Access-Control-Allow-Headers": "Content-Type",
                          "Content-Type": "text/plain"}
    if path in SCRIPT_PATHS and method == "GET":
        return 200, SCRIPT.read_bytes(), {"Content-Type": "application/javascript; "
                                                          "charset=utf-8"}
    try:
        params = parse_form(body if method == "POST" else query)
        _publishable_key(params)
        with store.lock:
            if path == PAYMENT_METHODS and method == "POST":
                made = _payment_method(store, params)
            elif path == INTENTS and method == "GET":
                made = _visible(_intent(store, params))
            elif path == THREE_D_SECURE and method == "POST":
                made = _visible(_authenticate(store, params))
            elif path == CONFIRM and method == "POST":
                made = _visible(_confirm(store, params))
            else:
                raise invalid(f"Unrecognized request URL ({method}: {path}).", status=404)
        return 200, _json(made), cors
    except StripeFault as fault:
        return fault.status, _json(fault.body()), cors


def _publishable_key(params: dict[str, Any]) -> None:
    key = str(params.pop("key", "") or "")
    if key.startswith(("sk_", "rk_")):
        raise unauthenticated("A secret key was sent from a browser: it must never be there. "
                              "Stripe.js takes the publishable key (pk_test_...).")
    if not key.startswith("pk_test_"):
        raise unauthenticated("Invalid API Key provided: the fake Stripe.js takes a publishable "
                              "key (pk_test_...) in the 'key' parameter.")


def _payment_method(store: Store, params: dict[str, Any]) -> Obj:
    if params.get("type") != "card":
        raise invalid("The fake Stripe makes PaymentMethods of type 'card' only.",
                      param="type")
    card = params.get("card")
    number = "".join(str(card.get("number", "") if isinstance(card, dict) else "").split())
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn(number):
        raise card_error(INCORRECT_NUMBER)
    token = TEST_NUMBERS.get(number)
    if token is None:
        raise card_error(LIVE_CARD)
    return copy.deepcopy(payments.payment_method(store, token, None))


def _intent(store: Store, params: dict[str, Any]) -> Obj:
    """The intent a client secret belongs to (the secret alone says which, as in Stripe)."""
    secret = str(params.get("client_secret") or "")
    object_id = secret.split("_secret_")[0]
    found = store.objects.get(object_id)
    if (found is None or found["object"] not in ("payment_intent", "setup_intent")
            or not hmac.compare_digest(str(found.get("client_secret")).encode(),
                                        secret.encode())):
        raise missing("payment_intent" if object_id.startswith("pi_") else "setup_intent",
                      object_id, param="client_secret")
    return found


def _confirm(store: Store, params: dict[str, Any]) -> Obj:
    """``confirmCardPayment``: the intent confirmed on session with the card given (a decline
    is answered as the error, the intent keeping it as its last one)."""
    intent = _intent(store, params)
    if intent["object"] != "payment_intent":
        raise invalid("confirmCardPayment takes a PaymentIntent's client secret.",
                      param="client_secret")
    method = payments.payment_method(store, str(params.get("payment_method") or ""),
                                     intent["customer"])
    try:
        payments.confirm_on_session(store, intent, method)
    except StripeFault as fault:
        if fault.status != 402:  # a card error: the intent keeps it as its last error
            raise
    return intent


def _authenticate(store: Store, params: dict[str, Any]) -> Obj:
    intent = _intent(store, params)
    outcome = params.get("outcome")
    if outcome not in ("complete", "fail"):
        raise invalid("Answer the challenge with outcome=complete or outcome=fail.",
                      param="outcome")
    if intent["object"] == "payment_intent":
        payments.authenticate(store, intent, succeed=outcome == "complete")
    else:
        customers.authenticate_setup(store, intent, succeed=outcome == "complete")
    return intent


def _visible(intent: Obj) -> Obj:
    """What a publishable key may read of an intent: its state, not its customer or metadata."""
    error = intent.get("last_payment_error") or intent.get("last_setup_error")
    shown = {name: intent.get(name) for name in ("id", "object", "status", "next_action",
                                                  "amount", "currency")}
    shown["last_error"] = None if error is None else {
        "type": error.get("type"), "code": error.get("code"), "message": error.get("message"),
        "decline_code": error.get("decline_code")}
    return copy.deepcopy({k: v for k, v in shown.items() if v is not None or k == "last_error"})


def _cors(origin: str | None) -> dict[str, str]:
    """Stripe's API answers pages anywhere; the fake answers pages on this machine."""
    if not origin or urlsplit(origin).hostname not in LOOPBACK:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _luhn(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=2).encode("utf-8")
