"""Stripe's webhooks at POST /webhooks/stripe, over real HTTP from the fake Stripe server:
taken once each whatever the order and the repeats, and refused when forged, stale or
re-serialised."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa

from events.store import event_store_tables
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.domain.payments import LotPayments
from marketplace.payments import Status
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import (
    API_KEY,
    CARD_AUTHENTICATION_REQUIRED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_VISA,
    FakeStripe,
    running_fake_stripe,
    serialise,
    sign_webhook,
)
from tests.lots_builders import a_cluster, open_lot, pooled_need
from tests.servers import serving
from web.app import create_app

SECRET = "whsec_kyodo_test"  # noqa: S105 (the fake's webhook secret)
EVENTS = event_store_tables("Ledger")["events"]
CARDS = [CARD_VISA, CARD_INSUFFICIENT_FUNDS, CARD_AUTHENTICATION_REQUIRED, CARD_VISA]


@pytest.fixture
def served(marketplace: Marketplace) -> Iterator[tuple[Marketplace, FakeStripe, str]]:
    with running_fake_stripe() as fake:
        marketplace.payments = StripePayments(API_KEY, webhook_secret=SECRET,
                                              api_base=fake.base_url, network_retries=0)
        with serving(create_app(marketplace=marketplace)) as base_url:
            yield marketplace, fake, f"{base_url}/webhooks/stripe"


def lot_paid_unrecorded(marketplace: Marketplace, monkeypatch: pytest.MonkeyPatch,
                        fake: FakeStripe) -> UUID:
    """A lot whose four buyers paid (one declined, one asked to authenticate) but whose
    outcomes never reached the ledger: only the webhooks can tell it; then one hold lapses."""
    firms = a_cluster(marketplace, buyers=len(CARDS), suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0],
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    with monkeypatch.context() as patch:
        patch.setattr(Marketplace, "_note_outcome", lambda *_: None)
        for buyer, card in zip(firms.buyers, CARDS, strict=True):
            pooled_need(marketplace, buyer, lot_id, 800)
            marketplace.pay_for_commitment(buyer, lot_id, payment_method=card)
    fake.advance(timedelta(days=8).total_seconds())  # every hold lapses
    return lot_id


def state(marketplace: Marketplace, lot_id: UUID) -> list[tuple[str, str | None, str | None]]:
    return [(p.key, p.status, p.reference) for p in marketplace.payments_of_lot(lot_id)]


def notified(marketplace: Marketplace, lot_id: UUID) -> int:
    with marketplace.engine.connect() as connection:
        return len(connection.execute(
            sa.select(EVENTS.c.id).where(
                EVENTS.c.originator_id == LotPayments.create_id(lot_id),
                EVENTS.c.topic.like("%LotPayments.Notified")), ).all())


def test_webhooks_repeated_and_shuffled_end_as_one_ordered_delivery_would(
        served: tuple[Marketplace, FakeStripe, str], monkeypatch: pytest.MonkeyPatch) -> None:
    marketplace, fake, url = served
    lot_id = lot_paid_unrecorded(marketplace, monkeypatch, fake)
    events = fake.events
    chance = random.Random(3)  # noqa: S311 (a seeded delivery plan)
    repeated = [e for e in events for _ in range(chance.randint(1, 5))]

    statuses = fake.deliver(url, SECRET, repeated, shuffle_seed=11)

    assert set(statuses) == {200}
    expected = {f.key: (f.outcome.status.value, f.reference)
                for f in marketplace.payments.find(lot_id)}
    assert {key: (status, reference) for key, status, reference
            in state(marketplace, lot_id)} == expected
    assert {status for status, _ in expected.values()} >= {Status.EXPIRED, Status.DECLINED}
    about_ours = {e["id"] for e in events
                  if e["data"]["object"].get("metadata", {}).get("kyodo_lot") == str(lot_id)}
    assert notified(marketplace, lot_id) == len(about_ours)


def test_a_webhook_delivered_again_is_answered_and_not_taken_twice(
        served: tuple[Marketplace, FakeStripe, str], monkeypatch: pytest.MonkeyPatch) -> None:
    marketplace, fake, url = served
    lot_id = lot_paid_unrecorded(marketplace, monkeypatch, fake)
    event = next(e for e in fake.events if e["type"] == "payment_intent.canceled")

    first = httpx.post(url, content=serialise(event), headers=signed(serialise(event)))
    position = marketplace.position()
    again = httpx.post(url, content=serialise(event), headers=signed(serialise(event)))

    assert first.json() == {"received": True, "recorded": True}
    assert again.json() == {"received": True, "recorded": False}
    assert marketplace.position() == position
    assert notified(marketplace, lot_id) == 1


def signed(body: bytes, *, secret: str = SECRET, age_s: int = 0) -> dict[str, str]:
    return {"Content-Type": "application/json",
            "Stripe-Signature": sign_webhook(body, secret, int(time.time()) - age_s)}


@pytest.mark.parametrize("how", ["forged", "stale", "re-serialised", "unsigned", "not json"])
def test_a_webhook_that_does_not_verify_is_refused_and_changes_nothing(
        served: tuple[Marketplace, FakeStripe, str], monkeypatch: pytest.MonkeyPatch,
        how: str) -> None:
    marketplace, fake, url = served
    lot_paid_unrecorded(marketplace, monkeypatch, fake)
    event = fake.events[-1]
    body = serialise(event)
    headers: dict[str, Any] = {
        "forged": signed(body, secret="whsec_someone_else"),  # noqa: S106
        "stale": signed(body, age_s=301),
        "re-serialised": signed(body),
        "unsigned": {"Content-Type": "application/json"},
        "not json": signed(b"not json"),
    }[how]
    sent = {"re-serialised": json.dumps(event).encode(), "not json": b"not json"}.get(how, body)
    position = marketplace.position()

    response = httpx.post(url, content=sent, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_refused"
    assert marketplace.position() == position


def test_a_webhook_about_something_the_marketplace_did_not_make_is_acknowledged_only(
        served: tuple[Marketplace, FakeStripe, str]) -> None:
    marketplace, fake, url = served
    fake.client().v1.payment_intents.create(params={
        "amount": 500, "currency": "jpy", "payment_method": CARD_VISA, "confirm": True})
    position = marketplace.position()

    statuses = fake.deliver(url, SECRET, fake.events)

    assert set(statuses) == {200}
    assert marketplace.position() == position


def test_without_stripe_the_webhook_is_refused(marketplace: Marketplace) -> None:
    with serving(create_app(marketplace=marketplace)) as base_url:
        body = b'{"id": "evt_1", "object": "event"}'
        response = httpx.post(f"{base_url}/webhooks/stripe", content=body,
                              headers=signed(body))

    assert response.status_code == 400
    assert "by invoice" in response.json()["error"]["message"]


def test_a_body_far_larger_than_any_event_is_refused_unread(
        served: tuple[Marketplace, FakeStripe, str]) -> None:
    marketplace, _, url = served
    body = b"{" + b" " * (300 * 1024) + b"}"
    position = marketplace.position()

    response = httpx.post(url, content=body, headers=signed(body))

    assert response.status_code == 413
    assert marketplace.position() == position


def test_a_webhook_about_what_stripe_no_longer_has_is_asked_again_later(
        served: tuple[Marketplace, FakeStripe, str]) -> None:
    marketplace, _, url = served
    event = {"id": "evt_gone", "object": "event", "type": "payment_intent.succeeded",
             "api_version": "2026-10-28.endive", "created": int(time.time()),
             "livemode": False, "pending_webhooks": 1, "request": {"id": None},
             "data": {"object": {"id": "pi_never_made", "object": "payment_intent"}}}
    position = marketplace.position()

    response = httpx.post(url, content=serialise(event), headers=signed(serialise(event)))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "processor_unavailable"
    assert marketplace.position() == position


def test_a_connected_accounts_own_payment_is_acknowledged_not_fetched(
        served: tuple[Marketplace, FakeStripe, str]) -> None:
    """The Connect endpoint may also send the suppliers' accounts' own payments: nothing
    the platform can fetch (it would be answered 404, and a 503 retried for days)."""
    marketplace, fake, url = served
    fake.client().v1.payment_intents.create(params={
        "amount": 500, "currency": "jpy", "payment_method": CARD_VISA, "confirm": True})
    theirs = {**fake.events[-1], "account": "acct_supplier_own"}
    theirs["data"] = {"object": {**theirs["data"]["object"], "id": "pi_on_their_account"}}
    position = marketplace.position()

    statuses = fake.deliver(url, SECRET, [theirs])

    assert statuses == [200]
    assert marketplace.position() == position
