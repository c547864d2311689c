"""Stripe's error responses: an exception carrying the HTTP status and the ``{"error": {...}}``
body the SDK turns into ``CardError``, ``InvalidRequestError``, ``IdempotencyError`` etc."""

from __future__ import annotations

from typing import Any

from tests.fake_stripe.cards import Decline


class StripeFault(Exception):
    """An error answer. The SDK picks the exception class from the status (400/404:
    ``InvalidRequestError`` unless the type is ``idempotency_error``; 401: ``AuthenticationError``;
    402: ``CardError``) and reads ``code``, ``param`` and the rest from the body."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = {key: value for key, value in error.items() if value is not None}

    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def invalid(message: str, *, param: str | None = None, code: str | None = None,
            status: int = 400) -> StripeFault:
    return StripeFault(status, {"type": "invalid_request_error", "message": message,
                                "param": param, "code": code})


def missing(kind: str, object_id: str, *, param: str | None = None) -> StripeFault:
    """Stripe's 404 for an id it does not hold (400 when the id came in a parameter)."""
    return invalid(f"No such {kind}: '{object_id}'", param=param, code="resource_missing",
                   status=400 if param else 404)


def unexpected_state(kind: str, object_id: str, status: str, action: str) -> StripeFault:
    return invalid(f"This {kind}'s status is {status}, so it cannot be {action}. "
                   f"({object_id})", code=f"{kind}_unexpected_state")


def card_error(decline: Decline, **related: Any) -> StripeFault:
    """A 402 card error; ``related`` carries ``payment_intent``/``setup_intent`` (the whole
    object, as Stripe sends it), ``payment_method`` and ``charge``."""
    return StripeFault(402, {"type": "card_error", "code": decline.code,
                             "decline_code": decline.decline_code or None,
                             "message": decline.message, "param": decline.param,
                             "doc_url": f"https://stripe.com/docs/error-codes/{decline.code}",
                             **related})


def idempotency_error(message: str) -> StripeFault:
    return StripeFault(400, {"type": "idempotency_error", "message": message})


def unauthenticated(message: str) -> StripeFault:
    # Stripe answers a missing or wrong key with 401 and type invalid_request_error; the SDK
    # raises AuthenticationError for any 401.
    return StripeFault(401, {"type": "invalid_request_error", "message": message})
