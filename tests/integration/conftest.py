"""Fixtures of the integration suite beyond the shared ones in tests/conftest.py."""

from __future__ import annotations

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from tests.lot_scenes import Scene
from tests.lots_builders import (
    CONSORTIUM_TERMS,
    a_cluster,
    bid_alone,
    open_lot,
    pooled_need,
    post_need,
)


@pytest.fixture
def scene(marketplace: Marketplace, clock: SettableClock) -> Scene:
    firms = a_cluster(marketplace, buyers=3, suppliers=4)
    lot_id = open_lot(marketplace, firms.buyers[0])
    lead, member = firms.suppliers[1], firms.suppliers[2]
    marketplace.join_lot(lead, lot_id)
    consortium = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                       shares={lead: 600, member: 400})
    marketplace.join_lot(firms.suppliers[3], lot_id)
    return Scene(
        marketplace, clock, firms, lot_id,
        pooled_need=pooled_need(marketplace, firms.buyers[1], lot_id, 800),
        open_need=post_need(marketplace, firms.buyers[2], 500),
        bid=bid_alone(marketplace, firms.suppliers[0], lot_id),
        consortium_bid=consortium)
