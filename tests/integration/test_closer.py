"""The served app records the close and clearing of a lot soon after its close time, on its own."""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain.lot import Lot
from marketplace.domain.sealed_round import SETTLE
from tests.lots_builders import a_cluster, bid_alone, open_lot, pooled_need, post_need, viewer
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
        clock.advance(timedelta(days=7) + SETTLE)

        def closed() -> bool:
            detail = marketplace.lots.detail(me, lot_id, now=clock())
            return detail is not None and detail.lot.closed_at is not None
        recorded = wait_for(closed)

    assert still_open is not None
    assert still_open.lot.status == "open"
    assert recorded
    close, clearing = list(marketplace.events.get(lot_id))[-2:]
    assert isinstance(close, Lot.Closed)
    assert close.counted_bids == [bid]
    assert close.pooled_quantity == 700
    assert isinstance(clearing, Lot.Allocated)
    assert clearing.result["input_digest"] == clearing.input_digest
    assert [b["quantity"] for b in clearing.input["buyers"]] == ["700"]


def test_a_command_received_before_the_close_but_decided_after_it_is_in_the_closed_lot(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms = a_cluster(marketplace)
    lot_id = open_lot(marketplace, firms.buyers[0])
    need_id = post_need(marketplace, firms.buyers[1], 400)
    clock.advance(timedelta(days=7) - timedelta(microseconds=1))
    lock_held, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with marketplace.transaction():
            lock_held.set()
            release.wait(10)
    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    lock_held.wait(10)
    pooling = threading.Thread(target=marketplace.pool_need,
                               args=(firms.buyers[1], lot_id, need_id))
    pooling.start()  # received now, a microsecond before the close; waits for the lock
    time.sleep(0.2)
    clock.advance(timedelta(seconds=5))
    release.set()
    holder.join(10)
    pooling.join(10)
    unsettled = marketplace.close_due_lots(SETTLE)
    clock.advance(SETTLE)

    closed = marketplace.close_due_lots(SETTLE)

    assert unsettled == []
    assert closed == [lot_id]
    close = list(marketplace.events.get(lot_id))[-2]
    assert isinstance(close, Lot.Closed)
    assert close.pooled_quantity == 400
