"""The payment step with Stripe configured, over HTTP: Stripe's card field (Stripe.js from the
configured origin, the publishable key, no token to type), the Content-Security-Policy that
lets exactly Stripe in, and the bank's confirmation (3-D Secure): only the buyer whose payment
it is may see its client secret or confirm it, and the secret never reaches the ledger."""

from __future__ import annotations

import re
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa

from events.store import event_store_tables
from marketplace.accounts.passwords import hash_password
from marketplace.application import Marketplace
from marketplace.payments import Status
from tests.fake_stripe import CARD_AUTHENTICATION_REQUIRED, CARD_VISA, FakeStripe
from tests.fake_stripe.stripe_js import PUBLISHABLE_KEY
from tests.pages import PASSWORD, Site, Visitor
from tests.stripe_site import WEBHOOK_SECRET, a_lot_with_my_need

EVENTS = event_store_tables("Ledger")["events"]


def policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = response.headers["content-security-policy"].split(";")
    return {name: sources for name, *sources in (d.split() for d in directives)}


def waiting_on_the_bank(site: Site, *, hold: bool = True) -> tuple[Visitor, UUID, str]:
    """A buyer that paid with a card its bank wants confirmed: its visitor, the lot and the
    intent (pi_… held, seti_… saved)."""
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = a_lot_with_my_need(site.accounts.marketplace, member.organisation_id, hold=hold)
    response = visitor.post(f"/lots/{lot_id}/payment",
                            {"payment_method": CARD_AUTHENTICATION_REQUIRED})
    assert response.status_code == 422, response.text
    (payment,) = site.accounts.marketplace.payments_of_lot(lot_id)
    assert payment.status == Status.NEEDS_AUTHENTICATION
    assert payment.reference is not None
    return visitor, lot_id, payment.reference


def secret_of(fake: FakeStripe, reference: str) -> str:
    intents = (fake.client().v1.setup_intents if reference.startswith("seti_")
               else fake.client().v1.payment_intents)
    secret = intents.retrieve(reference).client_secret
    assert secret
    return secret


def status_of(marketplace: Marketplace, lot_id: UUID) -> str | None:
    return marketplace.payments_of_lot(lot_id)[-1].status


def test_with_stripe_the_payment_step_draws_stripes_card_field_and_asks_for_no_token(
        card_site: Site, fake: FakeStripe) -> None:
    member, visitor = card_site.member_visitor(roles=("buyer",))
    lot_id = a_lot_with_my_need(card_site.accounts.marketplace, member.organisation_id)

    page = visitor.get(f"/lots/{lot_id}")

    assert page.status_code == 200
    assert "data-card-mount" in page.text
    assert f'data-stripe-key="{PUBLISHABLE_KEY}"' in page.text
    assert f'<script src="{fake.base_url}/v3/"></script>' in page.text
    assert '<script src="/static/payment.js" defer></script>' in page.text
    fields = re.findall(r'<input[^>]*name="payment_method"[^>]*>', page.text)
    assert fields
    assert all('type="hidden"' in f for f in fields)
    assert "<noscript>" in page.text
    assert visitor.get("/static/payment.js").status_code == 200


def test_the_policy_lets_in_the_stripe_origins_only_where_stripe_is_configured(
        card_site: Site, site: Site, fake: FakeStripe) -> None:
    with_stripe = card_site.visitor().get("/login")
    without = site.visitor().get("/login")

    assert policy(with_stripe)["script-src"] == ["'self'", fake.base_url]
    assert policy(with_stripe)["connect-src"] == ["'self'", fake.base_url]
    assert policy(with_stripe)["frame-src"] == ["'self'", fake.base_url]
    assert policy(without)["script-src"] == ["'self'"]
    assert "connect-src" not in policy(without)
    assert "frame-src" not in policy(without)
    for response in (with_stripe, without):
        assert policy(response)["frame-ancestors"] == ["'none'"]
        assert policy(response)["default-src"] == ["'self'"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(("hold", "done"), [(True, Status.AUTHORISED), (False, Status.SAVED)])
def test_a_buyer_confirms_with_its_bank_and_its_card_is_held_or_saved(
        card_site: Site, fake: FakeStripe, hold: bool, done: Status) -> None:
    marketplace = card_site.accounts.marketplace
    visitor, lot_id, reference = waiting_on_the_bank(card_site, hold=hold)
    page = visitor.get(f"/lots/{lot_id}")
    fake.authenticate(reference)

    response = visitor.post(f"/lots/{lot_id}/payment/confirmed")
    after = visitor.get(f"/lots/{lot_id}")

    assert f'data-client-secret="{secret_of(fake, reference)}"' in page.text
    assert f'action="/lots/{lot_id}/payment/confirmed"' in page.text
    assert response.status_code == 303
    assert response.headers["location"] == f"/lots/{lot_id}#payment"
    assert status_of(marketplace, lot_id) == done
    assert "data-confirm-form" not in after.text
    assert "_secret_" not in after.text


def test_until_the_bank_confirms_the_payment_waits_and_the_button_stays(
        card_site: Site, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    visitor, lot_id, reference = waiting_on_the_bank(card_site)
    position = marketplace.position()

    response = visitor.post(f"/lots/{lot_id}/payment/confirmed")

    assert response.status_code == 422
    assert "まだこの支払いを確認していません" in response.text  # the pages default to Japanese
    assert f'data-client-secret="{secret_of(fake, reference)}"' in response.text
    assert status_of(marketplace, lot_id) == Status.NEEDS_AUTHENTICATION
    assert marketplace.position() == position


def test_a_failed_authentication_is_declined_with_its_reason_and_another_card_can_be_tried(
        card_site: Site, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    visitor, lot_id, reference = waiting_on_the_bank(card_site)
    fake.authenticate(reference, succeed=False)

    response = visitor.post(f"/lots/{lot_id}/payment/confirmed")
    again = visitor.post(f"/lots/{lot_id}/payment", {"payment_method": CARD_VISA})

    assert response.status_code == 422
    assert "カード会社が支払いを承認しませんでした" in response.text  # the page's own language
    assert "data-card-form" in response.text
    assert "data-confirm-form" not in response.text
    assert again.status_code == 303
    declined, held = marketplace.payments_of_lot(lot_id)
    assert declined.status == Status.DECLINED
    assert declined.decline_code == "payment_intent_authentication_failure"
    assert held.status == Status.AUTHORISED


def test_only_the_buyer_whose_payment_it_is_may_see_its_secret_or_confirm_it(
        card_site: Site, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    owner, lot_id, reference = waiting_on_the_bank(card_site)
    secret = secret_of(fake, reference)
    _, neighbour = card_site.member_visitor(roles=("buyer",))  # same cluster: sees the lot
    _, supplier = card_site.member_visitor(roles=("supplier",))
    _, outsider = card_site.member_visitor(roles=("buyer",), clusters=("Kansai Metal",),
                                           prefecture="Osaka")
    anonymous = card_site.visitor()
    fake.authenticate(reference)  # Stripe holds it now: only its buyer's confirmation records it
    position = marketplace.position()

    seen = neighbour.get(f"/lots/{lot_id}")
    answers = {name: visitor.post(f"/lots/{lot_id}/payment/confirmed") for name, visitor in (
        ("neighbour", neighbour), ("supplier", supplier), ("outsider", outsider),
        ("anonymous", anonymous))}

    assert seen.status_code == 200
    assert secret not in seen.text
    assert reference not in seen.text
    assert {name: a.status_code for name, a in answers.items()} == {
        "neighbour": 404, "supplier": 403, "outsider": 404, "anonymous": 303}
    assert answers["anonymous"].headers["location"].startswith("/login")
    assert all(secret not in a.text for a in answers.values())
    assert marketplace.position() == position
    assert status_of(marketplace, lot_id) == Status.NEEDS_AUTHENTICATION
    assert owner.post(f"/lots/{lot_id}/payment/confirmed").status_code == 303
    assert status_of(marketplace, lot_id) == Status.AUTHORISED


def test_a_member_of_the_buyer_without_the_buyer_role_is_not_given_the_secret(
        card_site: Site, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    buyer, visitor = card_site.member_visitor(roles=("buyer", "supplier"))
    lot_id = a_lot_with_my_need(marketplace, buyer.organisation_id)
    assert visitor.post(f"/lots/{lot_id}/payment",
                        {"payment_method": CARD_AUTHENTICATION_REQUIRED}).status_code == 422
    (payment,) = marketplace.payments_of_lot(lot_id)
    assert payment.reference is not None
    secret = secret_of(fake, payment.reference)
    colleague = card_site.accounts.add_member(
        buyer.organisation_id, email=f"sales@{buyer.email.split('@')[1]}", name="営業",
        password_hash=hash_password(PASSWORD), roles=["supplier"])

    seen = card_site.logged_in(colleague).get(f"/lots/{lot_id}")

    assert seen.status_code == 200
    assert payment.reference in seen.text  # its organisation's payment, as before
    assert secret not in seen.text
    assert "data-client-secret" not in seen.text
    assert secret in visitor.get(f"/lots/{lot_id}").text  # the buyer is still given it


def test_the_confirmation_needs_the_forms_csrf_token(card_site: Site, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    visitor, lot_id, reference = waiting_on_the_bank(card_site)
    fake.authenticate(reference)
    position = marketplace.position()

    response = visitor.client.post(f"/lots/{lot_id}/payment/confirmed", data={})

    assert response.status_code == 403
    assert marketplace.position() == position
    assert status_of(marketplace, lot_id) == Status.NEEDS_AUTHENTICATION


def test_the_client_secret_is_never_written_to_the_ledger(card_site: Site,
                                                          fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    visitor, lot_id, reference = waiting_on_the_bank(card_site)
    secret = secret_of(fake, reference)
    assert secret in visitor.get(f"/lots/{lot_id}").text
    fake.authenticate(reference)

    assert visitor.post(f"/lots/{lot_id}/payment/confirmed").status_code == 303

    with marketplace.engine.connect() as connection:
        stored = b"".join(bytes(state) for state in connection.execute(
            sa.select(EVENTS.c.state)).scalars())
    assert reference.encode() in stored  # the scan reads what the ledger holds
    assert secret.encode() not in stored
    assert b"_secret_" not in stored


def test_a_webhook_records_the_banks_confirmation_first_and_the_page_then_changes_nothing(
        card_site: Site, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    visitor, lot_id, reference = waiting_on_the_bank(card_site)
    fake.authenticate(reference)
    events = [e for e in fake.events if e["type"] == "payment_intent.amount_capturable_updated"
              and e["data"]["object"]["id"] == reference]

    statuses = fake.deliver(f"{card_site.base_url}/webhooks/stripe", WEBHOOK_SECRET, events)
    position = marketplace.position()
    response = visitor.post(f"/lots/{lot_id}/payment/confirmed")

    assert statuses == [200]
    assert response.status_code == 303
    assert status_of(marketplace, lot_id) == Status.AUTHORISED
    assert marketplace.position() == position


def test_the_fake_stripe_js_takes_a_publishable_key_and_never_a_secret_one(
        card_site: Site, fake: FakeStripe) -> None:
    member, visitor = card_site.member_visitor(roles=("buyer",))
    lot_id = a_lot_with_my_need(card_site.accounts.marketplace, member.organisation_id)
    card = {"type": "card", "card[number]": "4242 4242 4242 4242", "card[exp_month]": "12",
            "card[exp_year]": "2034", "card[cvc]": "123"}
    origin = {"Origin": card_site.base_url}
    url = f"{fake.base_url}/v1/payment_methods"

    with httpx.Client(trust_env=False, timeout=30) as browser:
        secret_key = browser.post(url, data={**card, "key": "sk_test_fake_kyodo"})
        no_key = browser.post(url, data=card)
        wrong = browser.post(url, data={**card, "card[number]": "4242424242424241",
                                        "key": PUBLISHABLE_KEY})
        made = browser.post(url, data={**card, "key": PUBLISHABLE_KEY}, headers=origin)
    paid = visitor.post(f"/lots/{lot_id}/payment", {"payment_method": made.json()["id"]})

    assert (secret_key.status_code, no_key.status_code, wrong.status_code) == (401, 401, 402)
    assert wrong.json()["error"]["code"] == "incorrect_number"
    assert made.status_code == 200
    assert made.headers["access-control-allow-origin"] == card_site.base_url
    assert made.json()["id"].startswith("pm_")
    assert paid.status_code == 303
    assert status_of(card_site.accounts.marketplace, lot_id) == Status.AUTHORISED
