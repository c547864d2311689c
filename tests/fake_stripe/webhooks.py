"""Stripe's webhook side: the ``Stripe-Signature`` header, and delivering events to an endpoint
the way Stripe does (each event serialised once, signed at send time, possibly more than once
and out of order)."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx


def sign_webhook(payload: bytes, secret: str, timestamp: int) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<payload>" keyed by the secret>``."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def serialise(event: Mapping[str, Any]) -> bytes:
    """An event's body as Stripe sends it: pretty-printed JSON. A receiver must verify these
    bytes; the same event re-serialised some other way no longer matches its signature."""
    return json.dumps(event, indent=2).encode("utf-8")


def deliver(url: str, secret: str, events: Iterable[Mapping[str, Any]], *, times: int = 1,
            shuffle_seed: int | None = None, timestamp: int | None = None) -> list[int]:
    """POSTs each event ``times`` times (in order, or shuffled by ``shuffle_seed``) and returns
    the status codes in the order sent. Each delivery is signed when sent, with the wall clock
    unless ``timestamp`` is given: receivers check the signature's age against their own clock
    (``Webhook.DEFAULT_TOLERANCE`` is 300 s), not the fake's."""
    bodies = [serialise(event) for event in events]
    deliveries = [body for _ in range(times) for body in bodies]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(deliveries)  # noqa: S311 (seeded order)
    statuses = []
    with httpx.Client(timeout=30, trust_env=False) as client:
        for body in deliveries:
            signature = sign_webhook(body, secret, int(time.time()) if timestamp is None
                                     else timestamp)
            response = client.post(url, content=body, headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
            statuses.append(response.status_code)
    return statuses
