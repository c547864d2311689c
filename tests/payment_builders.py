"""Lots with payments, for the tests of settling and paying out."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments import Status
from tests.fake_stripe import CARD_VISA
from tests.lots_builders import (
    CONSORTIUM_TERMS,
    a_cluster,
    bid_alone,
    open_lot,
    pooled_need,
    post_need,
)


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


def a_consortium_lot(marketplace: Marketplace) -> tuple[UUID, UUID, UUID]:
    """A lot about to close, its buyer's card held, won by a consortium of two suppliers."""
    firms = a_cluster(marketplace, buyers=1, suppliers=2)
    lot_id = open_lot(marketplace, firms.buyers[0],
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(marketplace, firms.buyers[0], lot_id, 800)
    lead, member = firms.suppliers
    marketplace.join_lot(lead, lot_id)
    bid = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                shares={lead: 600, member: 400})
    marketplace.accept_consortium_share(member, lot_id, bid)
    marketplace.pay_for_commitment(firms.buyers[0], lot_id, payment_method=CARD_VISA)
    return lot_id, lead, member
