"""The served app records the close of a lot soon after its close time, on its own."""

import time
from collections.abc import Callable
from datetime import timedelta

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain.lot import Lot
from tests.lots_builders import a_cluster, bid_alone, open_lot, pooled_need, viewer
from tests.servers import serving
from web.app import create_app


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_lot_past_its_close_time_is_closed_on_the_ledger_without_anyone_asking(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms = a_cluster(marketplace)
    lot_id = open_lot(marketplace, firms.buyers[0])
    pooled_need(marketplace, firms.buyers[1], lot_id, 700)
    bid = bid_alone(marketplace, firms.suppliers[0], lot_id)
    me = viewer(marketplace, firms.buyers[0])

    with serving(create_app(marketplace=marketplace, close_lots_every=0.05)):
        time.sleep(0.2)
        still_open = marketplace.lots.detail(me, lot_id, now=clock())
        clock.advance(timedelta(days=7))

        def closed() -> bool:
            detail = marketplace.lots.detail(me, lot_id, now=clock())
            return detail is not None and detail.lot.closed_at is not None
        recorded = wait_for(closed)

    assert still_open is not None
    assert still_open.lot.status == "open"
    assert recorded
    last = list(marketplace.events.get(lot_id))[-1]
    assert isinstance(last, Lot.Closed)
    assert last.counted_bids == [bid]
    assert last.pooled_quantity == 700
