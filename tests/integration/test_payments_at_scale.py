"""A thousand lots paid through Stripe while a fifth of its answers are lost after the call
took effect: every buyer charged once, exactly what the allocation says, every supplier
paid once, exactly its share."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments import Status
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import API_KEY, CARD_VISA, running_fake_stripe
from tests.lots_builders import a_cluster, bid_alone, open_lot, pooled_need

LOTS = 1000


@pytest.mark.timeout(900)  # some 7,000 calls over HTTP: minutes, more on a busy machine
@pytest.mark.usefixtures("instant_retries")
def test_a_thousand_lots_with_a_fifth_of_answers_lost_move_each_amount_once(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms = a_cluster(marketplace, buyers=2, suppliers=1)
    closes_at = clock() + HOLD_WINDOW - timedelta(hours=1)
    with running_fake_stripe() as fake:
        marketplace.payments = StripePayments(API_KEY, api_base=fake.base_url,
                                              network_retries=3)
        fake.drop_after_success(rate=0.2, seed=2026)
        lots = []
        for _ in range(LOTS):
            lot_id = open_lot(marketplace, firms.buyers[0], closes_at=closes_at)
            pooled_need(marketplace, firms.buyers[0], lot_id, 800)
            pooled_need(marketplace, firms.buyers[1], lot_id, 700)
            bid_alone(marketplace, firms.suppliers[0], lot_id)
            for buyer in firms.buyers:
                marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
            lots.append(lot_id)
        clock.advance(HOLD_WINDOW)

        assert sorted(marketplace.close_due_lots(), key=str) == sorted(lots, key=str)

        client = fake.client()
        intents = list(client.v1.payment_intents.list(params={"limit": 100})
                       .auto_paging_iter())
        transfers = list(client.v1.transfers.list(params={"limit": 100}).auto_paging_iter())
        dropped = fake.dropped
    assert dropped > LOTS  # a fifth of some 6,000 calls
    per_lot_intents = Counter(i.metadata["kyodo_lot"] for i in intents)
    assert set(per_lot_intents.values()) == {2}
    assert len(per_lot_intents) == LOTS
    assert Counter(i.amount_received for i in intents) == {800 * 180: LOTS, 700 * 180: LOTS}
    paid_out: dict[str, int] = defaultdict(int)
    for transfer in transfers:
        paid_out[transfer.transfer_group] += transfer.amount
    assert paid_out == {f"lot_{lot_id}": 1500 * 180 for lot_id in lots}
    for lot_id in lots[:: LOTS // 20]:  # and the ledger says the same
        statement = marketplace.payout_statement(firms.suppliers[0], lot_id)
        assert statement is not None
        assert statement.paid == statement.gross == 1500 * 180
        assert {p.status for p in marketplace.payments_of_lot(lot_id) if p.known} <= {
            Status.AUTHORISED, Status.CAPTURED, Status.TRANSFERRED}
