"""Lots with payments, for the tests of settling and paying out."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments import Status
from tests.fake_stripe import CARD_VISA
from tests.lots_builders import a_cluster, bid_alone, open_lot, pooled_need, post_need


def a_paid_lot(marketplace: Marketplace) -> tuple[UUID, list[UUID]]:
    """Two buyers served at ¥180 (800 and 700 kg) and one left out (its ¥150 is too low),
    all three holding their maximum on a card."""
    firms = a_cluster(marketplace, buyers=3, suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0],
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(marketplace, firms.buyers[0], lot_id, 800)
    pooled_need(marketplace, firms.buyers[1], lot_id, 700)
    low = post_need(marketplace, firms.buyers[2], 500, max_unit_price=150)
    marketplace.pool_need(firms.buyers[2], lot_id, low)
    bid_alone(marketplace, firms.suppliers[0], lot_id)
    for buyer in firms.buyers:
        held = marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
        assert held.status == Status.AUTHORISED
    return lot_id, firms.buyers
