"""Fifty firms at once on one lot: nothing lost, nothing doubled, the close decides cleanly.

Writers are serialised (SQLite BEGIN IMMEDIATE, PostgreSQL an exclusive lock on the ledger),
so every command either commits whole or fails whole; these tests hold the application to
that under real contention, on both databases.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from events import ConflictError, SettableClock
from marketplace.application import Marketplace
from marketplace.domain import lot_rules as rules
from marketplace.domain.lot import Lot
from marketplace.readmodels.lot_tables import bids, lot_commitments, lot_suppliers, lots, needs
from tests.helpers import ledger_length
from tests.lots_builders import BID_TERMS, open_lot, post_need, register

BUYERS = SUPPLIERS = 25
ROUNDS = 3
REVISED_CAPACITY = Decimal(2500)
EVENTS = {"pool": 2, "join": 1, "bid": 1, "revise": 1}
"""What each accepted command records: pooling records on the lot and on the need."""


@dataclass(frozen=True)
class Outcome:
    kind: str
    actor: UUID
    subject: Any
    """The need pooled; for a bid, the bid's id once placed."""
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Crowd:
    """Threads that wait at one barrier, then each run their commands as fast as they can."""

    def __init__(self, size: int) -> None:
        self.barrier = threading.Barrier(size, timeout=60)
        self.outcomes: list[Outcome] = []
        self.threads: list[threading.Thread] = []

    def add(self, work: Callable[[], None]) -> None:
        def run() -> None:
            self.barrier.wait()
            work()
        self.threads.append(threading.Thread(target=run))

    def attempt(self, kind: str, actor: UUID, subject: Any, command: Callable[[], Any]) -> Any:
        try:
            result = command()
        except Exception as error:  # every failure is reported, none is swallowed
            self.outcomes.append(Outcome(kind, actor, subject, error))
            return None
        self.outcomes.append(Outcome(kind, actor, subject if result is None else result))
        return result

    def run(self) -> list[Outcome]:
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in self.threads), "a thread hung"
        return self.outcomes

    def succeeded(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind and o.ok]


def firms(marketplace: Marketplace) -> tuple[list[UUID], list[UUID]]:
    return ([register(marketplace, "buyer", name=f"Buyer {n}") for n in range(BUYERS)],
            [register(marketplace, "supplier", name=f"Supplier {n}") for n in range(SUPPLIERS)])


def buyer_pools(marketplace: Marketplace, crowd: Crowd, buyer: UUID, lot_id: UUID,
                need_id: UUID) -> None:
    crowd.add(lambda: crowd.attempt("pool", buyer, need_id, lambda: marketplace.pool_need(
        buyer, lot_id, need_id)))


def supplier_bids(marketplace: Marketplace, crowd: Crowd, supplier: UUID, lot_id: UUID, *,
                  revise: bool) -> None:
    def work() -> None:
        crowd.attempt("join", supplier, lot_id, lambda: marketplace.join_lot(supplier, lot_id))
        bid_id = crowd.attempt("bid", supplier, None, lambda: marketplace.place_bid(
            supplier, lot_id, **BID_TERMS))
        if revise and bid_id is not None:
            crowd.attempt("revise", supplier, bid_id, lambda: marketplace.revise_bid(
                supplier, lot_id, bid_id, **{**BID_TERMS, "capacity": REVISED_CAPACITY}))
    crowd.add(work)


def lot_rows(marketplace: Marketplace, lot_id: UUID) -> dict[str, Any]:
    with marketplace.engine.connect() as connection:
        return {
            "lot": connection.execute(sa.select(lots).where(lots.c.id == lot_id)).one(),
            "commitments": connection.execute(sa.select(lot_commitments).where(
                lot_commitments.c.lot_id == lot_id)).all(),
            "suppliers": connection.execute(sa.select(lot_suppliers.c.supplier_id).where(
                lot_suppliers.c.lot_id == lot_id)).scalars().all(),
            "bids": connection.execute(sa.select(bids).where(bids.c.lot_id == lot_id)).all(),
            "needs": {row.id: row for row in connection.execute(sa.select(needs))},
        }


def events_of(marketplace: Marketplace, lot_id: UUID) -> list[Any]:
    return list(marketplace.events.get(lot_id))


# -- fifty at once --------------------------------------------------------------------------


def test_fifty_firms_pooling_and_bidding_at_once_lose_nothing_and_double_nothing(
        marketplace: Marketplace, migrated_url: str) -> None:
    buyers, suppliers = firms(marketplace)

    for _round in range(ROUNDS):
        lot_id = open_lot(marketplace, buyers[0])
        wanted = {buyer: post_need(marketplace, buyer, 100 + n)
                  for n, buyer in enumerate(buyers)}
        ledger_before = ledger_length(migrated_url)
        crowd = Crowd(BUYERS + SUPPLIERS)
        for buyer, need_id in wanted.items():
            buyer_pools(marketplace, crowd, buyer, lot_id, need_id)
        for n, supplier in enumerate(suppliers):
            supplier_bids(marketplace, crowd, supplier, lot_id, revise=n % 3 == 0)

        outcomes = crowd.run()

        failures = [o.error for o in outcomes if not o.ok]
        assert all(isinstance(error, ConflictError) for error in failures), failures
        accepted = Counter(o.kind for o in outcomes if o.ok)
        assert ledger_length(migrated_url) - ledger_before == sum(
            EVENTS[kind] * count for kind, count in accepted.items())

        # Nothing lost: every accepted command is in the read model...
        rows = lot_rows(marketplace, lot_id)
        pooled = {o.subject for o in crowd.succeeded("pool")}
        placed = {o.subject for o in crowd.succeeded("bid")}
        revised = {o.subject for o in crowd.succeeded("revise")}
        assert sorted(c.need_id for c in rows["commitments"]) == sorted(pooled)
        assert rows["lot"].pooled_quantity == sum(
            (Decimal(100 + n) for n, b in enumerate(buyers) if wanted[b] in pooled), Decimal(0))
        assert rows["lot"].buyer_count == len(pooled)
        assert all(rows["needs"][need_id].status == "pooled" for need_id in pooled)
        assert sorted(rows["suppliers"]) == sorted(o.actor for o in crowd.succeeded("join"))
        assert rows["lot"].supplier_count == len(rows["suppliers"])
        assert {row.id for row in rows["bids"]} == placed
        assert all(row.capacity == (REVISED_CAPACITY if row.id in revised else 2000)
                   for row in rows["bids"])

        # ...and on the ledger exactly once; nothing doubled.
        events = events_of(marketplace, lot_id)
        pooled_events = [e.need_id for e in events if isinstance(e, Lot.NeedPooled)]
        bid_events = [e.supplier_id for e in events if isinstance(e, Lot.BidPlaced)]
        assert sorted(pooled_events) == sorted(pooled)
        assert Counter(bid_events) == Counter(o.actor for o in crowd.succeeded("bid"))
        assert max(Counter(row.lead_id for row in rows["bids"]).values()) == 1
        assert sum(isinstance(e, Lot.BidRevised) for e in events) == len(revised)


# -- a race with the close ------------------------------------------------------------------


def test_commands_racing_the_close_are_each_either_in_the_close_or_rejected_never_both(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str) -> None:
    buyers, suppliers = firms(marketplace)
    closes_at = clock.now + timedelta(hours=1)
    lot_id = open_lot(marketplace, buyers[0], closes_at=closes_at)
    wanted = {buyer: post_need(marketplace, buyer, 100) for buyer in buyers}
    ledger_before = ledger_length(migrated_url)
    crowd = Crowd(BUYERS + SUPPLIERS + 1)
    struck = threading.Event()
    late = set(buyers[::2])  # these send their commands as the clock strikes
    for buyer, need_id in wanted.items():
        if buyer in late:
            crowd.add(lambda buyer=buyer, need_id=need_id: (struck.wait(60), crowd.attempt(
                "pool", buyer, need_id, lambda: marketplace.pool_need(buyer, lot_id, need_id))))
        else:
            buyer_pools(marketplace, crowd, buyer, lot_id, need_id)
    for supplier in suppliers:
        supplier_bids(marketplace, crowd, supplier, lot_id, revise=False)
    closed: list[list[UUID]] = []

    def the_clock_strikes() -> None:
        # Let some commands through first, so that the close falls amid the crowd.
        while len(crowd.outcomes) < (BUYERS + SUPPLIERS) // 4:
            threading.Event().wait(0.001)
        clock.now = closes_at
        struck.set()
        closed.append(marketplace.close_due_lots())
    crowd.add(the_clock_strikes)

    outcomes = crowd.run()

    rejected = [o for o in outcomes if not o.ok]
    assert all(isinstance(o.error, rules.LotClosedError | ConflictError) for o in rejected), [
        o.error for o in rejected]
    assert closed == [[lot_id]]
    pooled = {o.subject for o in crowd.succeeded("pool")}
    turned_away = {o.subject for o in rejected if o.kind == "pool"}
    assert pooled | turned_away == set(wanted.values())  # never lost
    assert not pooled & turned_away  # never both
    assert pooled, "the close came before every command; nothing raced it"
    assert {wanted[buyer] for buyer in late} <= turned_away  # received at the close instant

    events = events_of(marketplace, lot_id)
    close, clearing = events[-2:]
    assert isinstance(close, Lot.Closed)
    assert isinstance(clearing, Lot.Allocated)
    assert sum(isinstance(e, Lot.Closed) for e in events) == 1
    assert {e.need_id for e in events if isinstance(e, Lot.NeedPooled)} == pooled
    assert (close.pooled_quantity, close.buyer_count) == (100 * len(pooled), len(pooled))
    assert set(close.counted_bids) == {o.subject for o in crowd.succeeded("bid")}
    assert all(e.timestamp < closes_at for e in events[:-2])

    rows = lot_rows(marketplace, lot_id)
    assert {c.need_id for c in rows["commitments"]} == pooled
    assert all(rows["needs"][need_id].status == "open" for need_id in turned_away)
    assert rows["lot"].status == "closed"
    accepted = Counter(o.kind for o in outcomes if o.ok)
    assert ledger_length(migrated_url) - ledger_before == 2 + sum(  # the close, the clearing
        EVENTS[kind] * count for kind, count in accepted.items())
