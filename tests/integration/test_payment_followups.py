"""Settlements that failed at the close are finished in the background: a lot left unsettled
by an outage of the processor is settled and its suppliers paid, once, by the first round
after its backoff; a lot that failed recently waits; a lot fully settled is not touched; one
failing lot never stops another."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.followups import PaymentWatch
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.domain.payments import LotPayments, Purpose
from marketplace.payments import PaymentPort, PaymentUnavailableError, Status
from marketplace.payments.cli import payments as payments_cli
from marketplace.payments.stripe_adapter import StripePayments
from marketplace.readmodels.settled_payments import SettledPaymentQueries
from tests.fake_stripe import API_KEY, CARD_VISA, FakeStripe
from tests.lots_builders import pooled_need
from tests.payment_builders import a_paid_lot
from tests.servers import serving
from web.app import create_app

#: Two buyers served at ¥180: 800 kg and 700 kg (tests/payment_builders.py).
PAID_IN = 800 * 180 + 700 * 180


@pytest.fixture(autouse=True)
def _through_stripe(marketplace: Marketplace, fake: FakeStripe) -> None:
    marketplace.payments = StripePayments(API_KEY, api_base=fake.base_url, network_retries=0)


class Recorded:
    """The payment port, each call it is asked to make written down first."""

    def __init__(self, inner: PaymentPort) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.name, self.max_minor = inner.name, inner.max_minor

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return getattr(self.inner, name)(*args, **kwargs)
        return call


class DownFor(Recorded):
    """The payment port, except that nothing about one lot is answered (as when the
    processor's answers for it are lost): each such call raises PaymentUnavailableError."""

    def __init__(self, inner: PaymentPort, lot_id: UUID) -> None:
        super().__init__(inner)
        self.lot_id, self.keys = lot_id, f"kyodo:{LotPayments.create_id(lot_id)}:"

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if self.lot_id in args or str(kwargs.get("key", "")).startswith(self.keys):
                raise PaymentUnavailableError(f"{name} for lot {self.lot_id} went unanswered")
            return getattr(self.inner, name)(*args, **kwargs)
        return call


class AnswerLost(Recorded):
    """The payment port, except that each call's answer is lost after it took effect."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            getattr(self.inner, name)(*args, **kwargs)
            raise PaymentUnavailableError(f"the answer to {name} was lost")
        return call


def closed_in_an_outage(marketplace: Marketplace, clock: SettableClock,
                        fake: FakeStripe) -> UUID:
    """A paid lot closed while every answer of the processor is lost; then it recovers."""
    lot_id, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    fake.drop_after_success(rate=1)
    assert marketplace.close_due_lots() == [lot_id]
    fake.drop_after_success(rate=0)
    return lot_id


def transfers_at(fake: FakeStripe, lot_id: UUID) -> list[int]:
    return sorted(t.amount for t in fake.client().v1.transfers.list(
        params={"transfer_group": f"lot_{lot_id}"}).auto_paging_iter())


def test_an_outage_at_the_close_leaves_the_lot_unsettled_and_one_round_after_finishes_it_once(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id = closed_in_an_outage(marketplace, clock, fake)
    left = marketplace.payments_left(lot_id)
    unsettled = [p for p in marketplace.payments_of_lot(lot_id) if p.status is None]
    clock.advance(timedelta(minutes=1))

    followed = marketplace.follow_up_payments()

    assert left == "3 call(s) whose outcome is unknown"
    assert sorted(p.purpose for p in unsettled) == [Purpose.CAPTURE, Purpose.CAPTURE,
                                                    Purpose.RELEASE]
    assert [(f.lot_id, f.error, f.still) for f in followed] == [(lot_id, None, None)]
    assert {p.status for p in marketplace.payments_of_lot(lot_id)
            if p.purpose is Purpose.CAPTURE} == {Status.CAPTURED}
    assert sum(t.settled_amount or 0 for t in marketplace.payouts_of_lot(lot_id)) == PAID_IN
    assert transfers_at(fake, lot_id) == [126_000, 144_000]
    changes, position = fake.mutations, marketplace.position()
    clock.advance(timedelta(hours=2))
    assert marketplace.follow_up_payments() == []
    assert fake.mutations == changes
    assert marketplace.position() == position
    assert transfers_at(fake, lot_id) == [126_000, 144_000]


def test_a_lot_that_failed_recently_is_not_tried_again_before_its_backoff(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id = closed_in_an_outage(marketplace, clock, fake)
    marketplace.payments = recorded = Recorded(marketplace.payments)

    at_once = marketplace.follow_up_payments()
    clock.advance(timedelta(seconds=59))
    a_second_early = marketplace.follow_up_payments()
    calls_while_waiting = list(recorded.calls)
    clock.advance(timedelta(seconds=1))
    on_time = marketplace.follow_up_payments()

    assert at_once == []
    assert a_second_early == []
    assert calls_while_waiting == []
    assert [f.lot_id for f in on_time] == [lot_id]
    assert marketplace.payments_left(lot_id) is None


def test_each_failure_in_a_row_doubles_the_wait(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id = closed_in_an_outage(marketplace, clock, fake)
    marketplace.payments = DownFor(marketplace.payments, lot_id)
    clock.advance(timedelta(minutes=1))

    first = marketplace.follow_up_payments()
    clock.advance(timedelta(minutes=1))
    a_minute_later = marketplace.follow_up_payments()
    clock.advance(timedelta(minutes=1))
    two_minutes_later = marketplace.follow_up_payments()

    assert [(f.lot_id, f.retry_in) for f in first] == [(lot_id, timedelta(minutes=2))]
    assert first[0].error is not None
    assert a_minute_later == []
    assert [(f.lot_id, f.retry_in) for f in two_minutes_later] == [
        (lot_id, timedelta(minutes=4))]


def test_after_a_restart_the_first_look_finds_the_lots_left_unfinished(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id = closed_in_an_outage(marketplace, clock, fake)
    marketplace.follow_ups = PaymentWatch(SettledPaymentQueries(marketplace.engine))

    followed = marketplace.follow_up_payments()  # nothing remembered: no backoff either

    assert [(f.lot_id, f.error, f.still) for f in followed] == [(lot_id, None, None)]
    assert transfers_at(fake, lot_id) == [126_000, 144_000]


def test_holds_that_lapsed_while_their_captures_went_unanswered_are_charged_to_their_cards(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, buyers = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    port = marketplace.payments
    marketplace.payments = DownFor(port, lot_id)
    marketplace.close_due_lots()  # the captures and the release never reach Stripe
    marketplace.payments = port
    fake.advance(timedelta(days=7, minutes=1))  # the holds lapse meanwhile
    marketplace.reconcile_payments(lot_id)  # as Stripe's webhooks would tell it

    for _ in range(3):  # the captures are refused, then the cards charged instead
        clock.advance(timedelta(minutes=5))
        marketplace.follow_up_payments()

    charged = [(p.party_id, p.status, p.settled_amount)
               for p in marketplace.payments_of_lot(lot_id) if p.purpose is Purpose.CHARGE]
    assert sorted(charged, key=lambda c: str(c[0])) == sorted(
        [(buyers[0], Status.CAPTURED, 800 * 180), (buyers[1], Status.CAPTURED, 700 * 180)],
        key=lambda c: str(c[0]))
    assert marketplace.payments_left(lot_id) is None
    assert transfers_at(fake, lot_id) == [126_000, 144_000]


def test_a_hold_whose_answer_was_lost_before_the_close_is_found_and_settled(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, buyers = a_paid_lot(marketplace)
    late = buyers[1]
    pooled_need(marketplace, late, lot_id, 100)  # then a larger hold, its answer lost
    marketplace.payments = lost = AnswerLost(marketplace.payments)
    with pytest.raises(PaymentUnavailableError):
        marketplace.pay_for_commitment(late, lot_id, payment_method=CARD_VISA)
    marketplace.payments = lost.inner
    larger = marketplace.payments_of_lot(lot_id)[-1]
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()  # the earlier hold and the saved card pay; that one waits
    assert marketplace.payments_left(lot_id) is not None
    clock.advance(timedelta(minutes=1))

    followed = marketplace.follow_up_payments()

    assert [(f.lot_id, f.error, f.still) for f in followed] == [(lot_id, None, None)]
    paid = {buyer: sum(p.settled_amount or 0 for p in marketplace.payments_of_lot(lot_id)
                       if p.party_id == buyer and p.status == Status.CAPTURED
                       and p.purpose in (Purpose.CAPTURE, Purpose.CHARGE))
            for buyer in buyers}
    assert paid == {buyers[0]: 800 * 180, late: 800 * 180, buyers[2]: 0}
    found = next(f for f in marketplace.payments.find(lot_id) if f.key == larger.key)
    assert found.outcome.status is Status.RELEASED  # not left held on the buyer's card
    assert sum(transfers_at(fake, lot_id)) == 2 * 800 * 180


def test_a_lot_fully_settled_is_not_touched_again(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    assert marketplace.payments_left(lot_id) is None
    marketplace.payments = recorded = Recorded(marketplace.payments)
    changes, position = fake.mutations, marketplace.position()

    rounds = [marketplace.follow_up_payments()]
    clock.advance(timedelta(hours=3))
    rounds.append(marketplace.follow_up_payments())

    assert rounds == [[], []]
    assert recorded.calls == []
    assert fake.mutations == changes
    assert marketplace.position() == position


def test_one_failing_lot_does_not_stop_another(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    failing, _ = a_paid_lot(marketplace)
    clock.advance(timedelta(minutes=10))  # so that it closes, and is followed up, first
    healthy, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    fake.drop_after_success(rate=1)
    assert marketplace.close_due_lots() == [failing, healthy]
    fake.drop_after_success(rate=0)
    marketplace.payments = DownFor(marketplace.payments, failing)
    clock.advance(timedelta(minutes=1))

    followed = marketplace.follow_up_payments()

    assert [(f.lot_id, f.error is None) for f in followed] == [(failing, False),
                                                               (healthy, True)]
    assert marketplace.payments_left(failing) == "3 call(s) whose outcome is unknown"
    assert marketplace.payments_left(healthy) is None
    assert transfers_at(fake, healthy) == [126_000, 144_000]
    assert transfers_at(fake, failing) == []


def test_a_round_past_its_time_leaves_the_other_lots_to_the_next_round(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    first, _ = a_paid_lot(marketplace)
    clock.advance(timedelta(minutes=10))
    second, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    fake.drop_after_success(rate=1)
    assert marketplace.close_due_lots() == [first, second]
    fake.drop_after_success(rate=0)
    clock.advance(timedelta(minutes=1))
    marketplace.follow_ups.budget = 0  # every lot takes longer than that

    rounds = [marketplace.follow_up_payments(), marketplace.follow_up_payments()]

    assert [[f.lot_id for f in followed] for followed in rounds] == [[first], [second]]
    assert marketplace.payments_left(second) is None


def test_the_served_app_follows_up_in_the_background(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    lot_id = closed_in_an_outage(marketplace, clock, fake)
    clock.advance(timedelta(minutes=1))

    with serving(create_app(marketplace=marketplace, close_lots_every=0.05)):
        paid = wait_for(lambda: bool(marketplace.payouts_of_lot(lot_id))
                        and marketplace.payments_left(lot_id) is None)

    assert paid
    assert transfers_at(fake, lot_id) == [126_000, 144_000]


def test_the_command_line_follows_up_every_lot_due_in_one_pass(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe,
        migrated_url: str, tmp_path: Path) -> None:
    lot_id = closed_in_an_outage(marketplace, clock, fake)
    env = {"MARKETPLACE_DATABASE_URL": migrated_url, "MARKETPLACE_VAR_DIR": str(tmp_path),
           "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": "whsec_test",
           "STRIPE_API_BASE": fake.base_url}

    first = CliRunner().invoke(payments_cli, ["settle", "--all-due"], env=env)
    again = CliRunner().invoke(payments_cli, ["settle", "--all-due"], env=env)
    neither = CliRunner().invoke(payments_cli, ["settle"], env=env)

    assert first.exit_code == 0, first.output
    assert f"lot {lot_id}: 3 call(s) whose outcome is unknown; done" in first.stdout
    assert "1 lot(s) with payments, 1 followed up, 0 failed" in first.stderr
    assert transfers_at(fake, lot_id) == [126_000, 144_000]
    assert again.exit_code == 0, again.output
    assert "1 lot(s) with payments, 0 followed up, 0 failed" in again.stderr
    assert neither.exit_code == 2
    assert "--all-due" in neither.stderr


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


class NeverReached(Recorded):
    """The payment port, except that a call never reaches the processor: nothing is made,
    and no answer comes."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise PaymentUnavailableError(f"{name} never reached the processor")
        return call


def test_a_card_step_that_never_reached_stripe_is_not_looked_for_at_every_round(
        marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> None:
    """A larger hold that never reached Stripe: the round after the close looks for it
    (reconciling) and settles the rest; with nothing else left that a round could do, the
    lot is not tried again hour after hour (the buyer gives a card again on its page)."""
    lot_id, buyers = a_paid_lot(marketplace)
    pooled_need(marketplace, buyers[1], lot_id, 100)
    marketplace.payments = never = NeverReached(marketplace.payments)
    with pytest.raises(PaymentUnavailableError):
        marketplace.pay_for_commitment(buyers[1], lot_id, payment_method=CARD_VISA)
    marketplace.payments = never.inner
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    clock.advance(timedelta(minutes=1))

    rounds = []
    for _ in range(4):
        rounds.append(marketplace.follow_up_payments())
        clock.advance(timedelta(hours=2))

    assert [(f.lot_id, f.error, f.still) for f in rounds[0]] == [
        (lot_id, None, "1 call(s) whose outcome is unknown")]
    assert rounds[2:] == [[], []]  # judged again once its payments moved, then left
    assert sum(transfers_at(fake, lot_id)) == 2 * 800 * 180  # the others paid, as before
