"""The fake Stripe's events and webhooks: what each change records, and signatures the real SDK
accepts, forged, stale and re-serialised ones it rejects, and delivery to a real endpoint."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from tests.fake_stripe import (
    CARD_DECLINED,
    CARD_VISA,
    FakeStripe,
    serialise,
    sign_webhook,
)

SECRET = "whsec_fake_kyodo"  # noqa: S105 (the tests' endpoint secret)


@dataclass
class Endpoint:
    """A webhook endpoint that checks each delivery as an app would, with the SDK."""

    client: stripe.StripeClient
    url: str = ""
    accepted: list[str] = field(default_factory=list)
    rejected: int = 0


@pytest.fixture
def endpoint(client: stripe.StripeClient) -> Iterator[Endpoint]:
    received = Endpoint(client)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                event = received.client.construct_event(
                    body, self.headers.get("Stripe-Signature"), SECRET)
            except stripe.SignatureVerificationError:
                received.rejected += 1
                self.send_response(400)
            else:
                received.accepted.append(event.id)
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def an_event(fake: FakeStripe, client: stripe.StripeClient) -> dict[str, Any]:
    client.v1.customers.create(params={"name": "高崎プレス"})
    return fake.events[-1]


def test_every_change_of_a_payment_is_an_event_the_sdk_can_retrieve(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    held = client.v1.payment_intents.create(params={
        "amount": 5_000, "currency": "jpy", "payment_method": CARD_VISA, "confirm": True,
        "capture_method": "manual"}, options={"idempotency_key": "hold-1"})

    client.v1.payment_intents.capture(held.id, params={"amount_to_capture": 4_000})

    events = [e for e in fake.events if e["type"].startswith("payment_intent.")]
    assert [e["type"] for e in events] == [
        "payment_intent.created", "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded"]
    fetched = client.v1.events.retrieve(events[1]["id"])
    assert (fetched.object, fetched.livemode) == ("event", False)
    assert fetched.api_version == stripe.api_version
    assert fetched.request is not None
    assert fetched.request.idempotency_key == "hold-1"
    assert fetched.data.object["id"] == held.id


def test_an_event_keeps_the_object_as_it_was_when_it_happened(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(params={
            "amount": 700, "currency": "jpy", "payment_method": CARD_DECLINED, "confirm": True})

    by_type = {e["type"]: e["data"]["object"] for e in fake.events}

    assert by_type["payment_intent.created"]["status"] == "requires_confirmation"
    assert by_type["payment_intent.payment_failed"]["status"] == "requires_payment_method"
    assert by_type["payment_intent.payment_failed"]["last_payment_error"]["decline_code"] == (
        "generic_decline")
    assert by_type["charge.failed"]["status"] == "failed"


def test_a_signature_made_by_sign_webhook_is_accepted_by_the_sdk(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    payload = serialise(an_event(fake, client))

    event = stripe.Webhook.construct_event(
        payload, sign_webhook(payload, SECRET, int(time.time())), SECRET)

    assert event.type == "customer.created"


@pytest.mark.parametrize("forgery", ["another secret", "another body"])
def test_a_forged_signature_is_rejected_by_the_sdk(
        fake: FakeStripe, client: stripe.StripeClient, forgery: str) -> None:
    payload = serialise(an_event(fake, client))
    now = int(time.time())
    header = (sign_webhook(payload, "whsec_guessed", now) if forgery == "another secret"
              else sign_webhook(payload.replace(b"cus_", b"cux_"), SECRET, now))

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, SECRET)


def test_a_signature_older_than_the_sdks_tolerance_is_rejected(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    payload = serialise(an_event(fake, client))
    stale = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 3_600

    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(payload, sign_webhook(payload, SECRET, stale), SECRET)


def test_a_body_parsed_and_serialised_again_no_longer_matches_its_signature(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    payload = serialise(an_event(fake, client))
    header = sign_webhook(payload, SECRET, int(time.time()))

    reserialised = json.dumps(json.loads(payload)).encode()

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(reserialised, header, SECRET)


def test_delivery_sends_each_event_signed_as_often_as_asked_in_a_shuffled_order(
        fake: FakeStripe, client: stripe.StripeClient, endpoint: Endpoint) -> None:
    client.v1.payment_intents.create(params={
        "amount": 2_000, "currency": "jpy", "payment_method": CARD_VISA, "confirm": True})
    events = fake.events

    statuses = fake.deliver(endpoint.url, SECRET, events, times=2, shuffle_seed=3)

    assert statuses == [200] * (2 * len(events))
    assert sorted(endpoint.accepted) == sorted([e["id"] for e in events] * 2)
    assert endpoint.accepted != [e["id"] for e in events] * 2


def test_delivery_signed_with_another_secret_is_refused_by_the_endpoint(
        fake: FakeStripe, client: stripe.StripeClient, endpoint: Endpoint) -> None:
    event = an_event(fake, client)

    statuses = fake.deliver(endpoint.url, "whsec_wrong", [event])

    assert statuses == [400]
    assert (endpoint.accepted, endpoint.rejected) == ([], 1)
