"""The fake Stripe, driven only through the real ``stripe`` SDK over loopback HTTP: holds and
captures, the test cards, saved cards, refunds, transfers, idempotency, lost answers, expiry,
lists and search. No database: each test runs once."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.fake_stripe import (
    CARD_AUTHENTICATION_REQUIRED,
    CARD_DECLINED,
    CARD_EXPIRED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_VISA,
    HOLD_EXPIRY_REASON,
    HOLD_SECONDS,
    FakeStripe,
)


def hold(client: stripe.StripeClient, amount: int, **extra: Any) -> stripe.PaymentIntent:
    params: Any = {"amount": amount, "currency": "jpy", "payment_method": CARD_VISA,
                   "confirm": True, "capture_method": "manual", **extra}
    return client.v1.payment_intents.create(params=params)


def charge(client: stripe.StripeClient, amount: int, currency: str = "jpy"
           ) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": amount, "currency": currency, "payment_method": CARD_VISA, "confirm": True})


def test_a_hold_captured_in_part_receives_the_captured_amount_and_releases_the_rest(
        client: stripe.StripeClient) -> None:
    held = hold(client, 10_000)

    captured = client.v1.payment_intents.capture(held.id, params={"amount_to_capture": 6_000})

    assert held.status == "requires_capture"
    assert held.amount_capturable == 10_000
    assert captured.status == "succeeded"
    assert captured.amount_received == 6_000
    assert captured.amount_capturable == 0
    taken = client.v1.charges.retrieve(str(captured.latest_charge))
    assert (taken.captured, taken.amount, taken.amount_captured, taken.amount_refunded) == (
        True, 10_000, 6_000, 0)
    assert taken.payment_intent == held.id


def test_capturing_more_than_the_hold_is_refused_and_the_hold_stays(
        client: stripe.StripeClient) -> None:
    held = hold(client, 5_000)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.capture(held.id, params={"amount_to_capture": 5_001})

    assert refused.value.param == "amount_to_capture"
    assert client.v1.payment_intents.retrieve(held.id).amount_capturable == 5_000


def test_canceling_a_hold_releases_it_and_leaves_nothing_to_capture(
        client: stripe.StripeClient) -> None:
    held = hold(client, 3_000)

    canceled = client.v1.payment_intents.cancel(
        held.id, params={"cancellation_reason": "abandoned"})

    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert canceled.amount_capturable == 0
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.capture(held.id)
    assert refused.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize(("card", "code", "decline_code"), [
    (CARD_DECLINED, "card_declined", "generic_decline"),
    (CARD_INSUFFICIENT_FUNDS, "card_declined", "insufficient_funds"),
    (CARD_EXPIRED, "expired_card", "expired_card"),
])
def test_a_declining_test_card_raises_a_card_error_and_leaves_the_intent_failed(
        client: stripe.StripeClient, card: str, code: str, decline_code: str) -> None:
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(params={
            "amount": 2_000, "currency": "jpy", "payment_method": card, "confirm": True})

    assert declined.value.http_status == 402
    assert declined.value.code == code
    error = declined.value.error
    assert error is not None
    assert error.decline_code == decline_code
    assert error.payment_intent is not None
    intent = client.v1.payment_intents.retrieve(error.payment_intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.decline_code == decline_code
    assert intent.amount_received == 0


def test_a_card_that_requires_authentication_waits_for_the_customer_on_session(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    waiting = hold(client, 4_000, payment_method=CARD_AUTHENTICATION_REQUIRED)

    fake.authenticate(waiting.id)

    assert waiting.status == "requires_action"
    assert waiting.next_action is not None
    assert waiting.next_action.type == "use_stripe_sdk"
    assert client.v1.payment_intents.retrieve(waiting.id).status == "requires_capture"


def test_a_card_that_requires_authentication_fails_off_session_naming_the_intent(
        client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "前橋金型"})

    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(params={
            "amount": 4_000, "currency": "jpy", "customer": customer.id,
            "payment_method": CARD_AUTHENTICATION_REQUIRED, "confirm": True,
            "off_session": True})

    assert declined.value.code == "authentication_required"
    error = declined.value.error
    assert error is not None
    assert error.payment_intent is not None
    assert error.payment_intent.status == "requires_payment_method"
    assert client.v1.payment_intents.retrieve(error.payment_intent.id).customer == customer.id


def test_a_card_saved_with_a_setup_intent_can_be_charged_off_session_later(
        client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"metadata": {"organisation": "o-1"}})
    setup = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method": CARD_VISA, "confirm": True,
        "usage": "off_session", "metadata": {"lot": "L-1"}})

    paid = client.v1.payment_intents.create(params={
        "amount": 7_500, "currency": "jpy", "customer": customer.id,
        "payment_method": str(setup.payment_method), "confirm": True, "off_session": True})

    assert setup.status == "succeeded"
    method = client.v1.payment_methods.retrieve(str(setup.payment_method))
    assert method.customer == customer.id
    assert (paid.status, paid.amount_received) == ("succeeded", 7_500)


def test_saving_a_declining_card_raises_a_card_error_naming_the_setup_intent(
        client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()

    with pytest.raises(stripe.CardError) as declined:
        client.v1.setup_intents.create(params={
            "customer": customer.id, "payment_method": CARD_INSUFFICIENT_FUNDS,
            "confirm": True, "usage": "off_session"})

    error = declined.value.error
    assert error is not None
    assert error.setup_intent is not None
    assert client.v1.setup_intents.retrieve(error.setup_intent.id).status == (
        "requires_payment_method")


def test_transfers_funded_by_a_charge_may_add_up_to_what_it_holds_and_no_further(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "express", "metadata": {"firm": "f"}})
    paid = charge(client, 10_000)
    client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1_000})
    source = str(paid.latest_charge)
    first = client.v1.transfers.create(params={
        "amount": 6_000, "currency": "jpy", "destination": account.id,
        "source_transaction": source, "transfer_group": "lot_1"})
    second = client.v1.transfers.create(params={
        "amount": 3_000, "currency": "jpy", "destination": account.id,
        "source_transaction": source, "transfer_group": "lot_1"})
    before = fake.mutations

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params={
            "amount": 1, "currency": "jpy", "destination": account.id,
            "source_transaction": source, "transfer_group": "lot_1"})

    assert refused.value.param == "amount"
    assert fake.mutations == before
    listed = client.v1.transfers.list(params={"transfer_group": "lot_1"})
    assert [t.id for t in listed.auto_paging_iter()] == [second.id, first.id]
    assert client.v1.transfers.retrieve(first.id).source_transaction == source


@pytest.mark.parametrize(("change", "param"), [
    ({"currency": "usd"}, "currency"),
    ({"destination": "acct_nobody"}, "destination"),
])
def test_a_transfer_in_another_currency_or_to_an_unknown_account_is_refused(
        client: stripe.StripeClient, change: dict[str, str], param: str) -> None:
    account = client.v1.accounts.create(params={"type": "custom"})
    source = str(charge(client, 5_000).latest_charge)
    params: Any = {"amount": 1_000, "currency": "jpy", "destination": account.id,
                   "source_transaction": source, **change}

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params=params)

    assert refused.value.param == param


def test_a_partial_then_a_full_refund_empty_the_charge_and_a_further_one_is_refused(
        client: stripe.StripeClient) -> None:
    paid = charge(client, 8_000)
    partial = client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 3_000})

    rest = client.v1.refunds.create(params={"charge": str(paid.latest_charge)})

    assert (partial.amount, rest.amount) == (3_000, 5_000)
    assert client.v1.refunds.retrieve(rest.id).payment_intent == paid.id
    refunded = client.v1.charges.retrieve(str(paid.latest_charge))
    assert (refunded.amount_refunded, refunded.refunded) == (8_000, True)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1})
    assert refused.value.code == "charge_already_refunded"


def test_a_refund_beyond_what_is_left_is_refused_and_changes_nothing(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    paid = charge(client, 1_000, currency="usd")
    client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 400})
    before = fake.mutations

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 601})

    assert refused.value.param == "amount"
    assert fake.mutations == before
    assert client.v1.charges.retrieve(str(paid.latest_charge)).amount_refunded == 400


def test_repeating_a_post_with_its_idempotency_key_replays_the_first_answer_and_changes_nothing(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    params: Any = {"amount": 2_500, "currency": "jpy", "metadata": {"lot": "L-9"}}
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "k-1"})
    before, events = fake.mutations, len(fake.events)

    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": "k-1"})

    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert (fake.mutations, len(fake.events)) == (before, events)
    found = client.v1.payment_intents.search(params={"query": "metadata['lot']:'L-9'"})
    assert [intent.id for intent in found.data] == [first.id]


def test_a_declined_attempt_is_replayed_as_the_same_card_error(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    params: Any = {"amount": 900, "currency": "jpy", "confirm": True,
                   "payment_method": CARD_DECLINED}
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "k-2"})
    before = fake.mutations

    with pytest.raises(stripe.CardError) as again:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "k-2"})

    assert again.value.json_body == first.value.json_body
    assert fake.mutations == before


@pytest.mark.parametrize(("service", "params"), [
    ("customers", {"name": "伊勢崎スチール"}),
    ("accounts", {"type": "express"}),
], ids=["other parameters", "another endpoint"])
def test_reusing_an_idempotency_key_for_a_different_request_raises_an_idempotency_error(
        fake: FakeStripe, client: stripe.StripeClient, service: str,
        params: dict[str, str]) -> None:
    client.v1.customers.create(params={"name": "太田鋼材"}, options={"idempotency_key": "k-3"})
    before = fake.mutations

    with pytest.raises(stripe.IdempotencyError):
        getattr(client.v1, service).create(params=params, options={"idempotency_key": "k-3"})

    assert fake.mutations == before


@pytest.mark.usefixtures("instant_retries")
def test_with_answers_lost_and_retries_each_call_creates_exactly_one_intent_as_asked(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    fake.drop_after_success(rate=0.3, seed=1)

    made = [client.v1.payment_intents.create(params={
        "amount": 100 + n, "currency": "jpy", "metadata": {"n": str(n)}}) for n in range(200)]

    fake.drop_after_success(rate=0)
    assert fake.dropped > 30
    assert fake.mutations == 200
    listed = list(client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter())
    assert sorted(intent.id for intent in listed) == sorted(intent.id for intent in made)
    assert sorted((int(i.metadata["n"]), i.amount) for i in listed) == [
        (n, 100 + n) for n in range(200)]


def test_without_retries_a_lost_answer_raises_a_connection_error_though_the_intent_exists(
        fake: FakeStripe) -> None:
    client = fake.client(max_network_retries=0)
    fake.drop_after_success(next_n=1)

    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.create(params={
            "amount": 1_200, "currency": "jpy", "metadata": {"call": "lost"}})

    found = client.v1.payment_intents.search(params={"query": "metadata['call']:'lost'"})
    assert [intent.amount for intent in found.data] == [1_200]
    assert fake.mutations == 1


def test_a_hold_not_captured_within_seven_days_expires_and_is_canceled(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    held = hold(client, 6_000)
    fake.advance(HOLD_SECONDS - 1)
    still = client.v1.payment_intents.retrieve(held.id)

    fake.advance(1)

    expired = client.v1.payment_intents.retrieve(held.id)
    assert still.status == "requires_capture"
    assert (expired.status, expired.cancellation_reason) == ("canceled", HOLD_EXPIRY_REASON)
    assert expired.amount_capturable == 0
    assert [e["type"] for e in fake.events][-2:] == ["charge.expired", "payment_intent.canceled"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.capture(held.id)


def test_searching_by_metadata_pages_through_exactly_the_matching_intents(
        client: stripe.StripeClient) -> None:
    wanted = [client.v1.payment_intents.create(params={
        "amount": 1_000 + n, "currency": "jpy", "metadata": {"lot": "A", "buyer": "b1"}})
        for n in range(7)]
    for other in ({"lot": "A", "buyer": "b2"}, {"lot": "B", "buyer": "b1"}):
        client.v1.payment_intents.create(params={
            "amount": 500, "currency": "jpy", "metadata": other})

    first = client.v1.payment_intents.search(params={
        "query": "metadata['lot']:'A' AND metadata['buyer']:'b1'", "limit": 3})
    everything = list(first.auto_paging_iter())

    assert (len(first.data), first.has_more, first.next_page is not None) == (3, True, True)
    assert [intent.id for intent in everything] == [intent.id for intent in reversed(wanted)]


def test_listing_a_customers_intents_pages_newest_first_without_repeats(
        client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    made = [client.v1.payment_intents.create(params={
        "amount": 300 + n, "currency": "usd", "customer": customer.id}) for n in range(5)]
    client.v1.payment_intents.create(params={"amount": 300, "currency": "usd"})

    page = client.v1.payment_intents.list(params={"customer": customer.id, "limit": 2})
    pages = [[intent.id for intent in page.data]]
    while page.has_more:
        page = page.next_page()
        pages.append([intent.id for intent in page.data])

    assert pages == [[made[4].id, made[3].id], [made[2].id, made[1].id], [made[0].id]]


@pytest.mark.parametrize("amount", [10.5, 0, -100, "abc"])
def test_an_amount_that_is_not_a_positive_whole_number_is_refused_naming_it(
        fake: FakeStripe, client: stripe.StripeClient, amount: object) -> None:
    params: Any = {"amount": amount, "currency": "jpy"}

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(params=params)

    assert refused.value.param == "amount"
    assert fake.mutations == 0


def test_an_unknown_parameter_is_refused_as_stripe_refuses_it(
        client: stripe.StripeClient) -> None:
    params: Any = {"nmae": "typo"}

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.customers.create(params=params)

    assert (refused.value.param, refused.value.code) == ("nmae", "parameter_unknown")


def test_a_request_without_a_test_secret_key_is_refused_as_unauthenticated(
        fake: FakeStripe) -> None:
    client = fake.client(api_key="sk_live_not_for_tests")

    with pytest.raises(stripe.AuthenticationError):
        client.v1.customers.create()

    assert fake.mutations == 0
