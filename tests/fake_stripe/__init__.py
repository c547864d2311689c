"""A stateful fake of Stripe's API on a loopback port, for tests that drive the real ``stripe``
SDK over real HTTP: PaymentIntents with the test cards, SetupIntents, refunds, connected
accounts (ready at once, or only after the onboarding page of an account link:
``running_fake_stripe(accounts_ready=False)``) and transfers, events, idempotency keys,
dropped answers, and signed webhooks.

    with running_fake_stripe() as fake:
        client = fake.client(max_network_retries=2)
        intent = client.v1.payment_intents.create(params={...})
"""

from __future__ import annotations

from tests.fake_stripe.cards import (
    CARD_AUTHENTICATION_REQUIRED,
    CARD_CHARGES_FAIL,
    CARD_DECLINED,
    CARD_EXPIRED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_VISA,
    TEST_CARDS,
)
from tests.fake_stripe.fake import API_KEY, FakeStripe, running_fake_stripe
from tests.fake_stripe.payments import HOLD_EXPIRY_REASON, HOLD_SECONDS
from tests.fake_stripe.webhooks import serialise, sign_webhook

__all__ = [
    "API_KEY",
    "CARD_AUTHENTICATION_REQUIRED",
    "CARD_CHARGES_FAIL",
    "CARD_DECLINED",
    "CARD_EXPIRED",
    "CARD_INSUFFICIENT_FUNDS",
    "CARD_VISA",
    "HOLD_EXPIRY_REASON",
    "HOLD_SECONDS",
    "TEST_CARDS",
    "FakeStripe",
    "running_fake_stripe",
    "serialise",
    "sign_webhook",
]
