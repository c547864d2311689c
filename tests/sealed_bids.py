"""Builders for the tests of sealed bid commitments: a lot with bids of every kind, its close,
and an intruder's edits of stored entries after the fact."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import sqlalchemy as sa

from events import SettableClock, engine_for
from events.entries import entry_hash
from events.integrity_tables import leaves
from events.store import event_store_tables
from marketplace.application import Marketplace
from marketplace.audit.lot_entries import LotEntry, lot_entries
from marketplace.domain.lot import Lot
from tests.lots_builders import (
    BID_TERMS,
    CONSORTIUM_TERMS,
    OPEN_FOR,
    Cluster,
    a_cluster,
    bid_alone,
    open_lot,
    pooled_need,
)


@dataclass(frozen=True)
class LotWithBids:
    """A bid alone then revised, a consortium whose member accepted, a bid withdrawn."""

    marketplace: Marketplace
    firms: Cluster
    lot_id: UUID
    revised: UUID
    consortium: UUID
    withdrawn: UUID

    def entry(self, kind: type, number: int = 0) -> LotEntry:
        """The lot's ``number``-th stored entry of this event class."""
        return lot_entries(self.marketplace, self.lot_id, (kind,))[number]


def a_lot_with_bids(marketplace: Marketplace) -> LotWithBids:
    firms = a_cluster(marketplace, buyers=3, suppliers=4)
    lot_id = open_lot(marketplace, firms.buyers[0])
    pooled_need(marketplace, firms.buyers[1], lot_id, 800)
    pooled_need(marketplace, firms.buyers[2], lot_id, 700)
    revised = bid_alone(marketplace, firms.suppliers[0], lot_id, delivery_costs={"Gunma": "5.50"})
    marketplace.revise_bid(firms.suppliers[0], lot_id, revised,
                           **{**BID_TERMS, "capacity": 1800})
    lead, member = firms.suppliers[1], firms.suppliers[2]
    marketplace.join_lot(lead, lot_id)
    consortium = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                       shares={lead: 600, member: 400})
    marketplace.accept_consortium_share(member, lot_id, consortium)
    withdrawn = bid_alone(marketplace, firms.suppliers[3], lot_id)
    marketplace.withdraw_bid(firms.suppliers[3], lot_id, withdrawn)
    return LotWithBids(marketplace, firms, lot_id, revised, consortium, withdrawn)


def close_on_time(marketplace: Marketplace, clock: SettableClock, lot_id: UUID) -> None:
    """The served app's round: a checkpoint "before lot close", the close, the clearing."""
    clock.advance(OPEN_FOR + timedelta(hours=1))
    assert lot_id in marketplace.close_due_lots()


def edit_stored_state(url: str, position: int, old: str, new: str) -> None:
    """What an intruder with the database does: rewrite an entry's stored bytes in place."""
    statement = ("UPDATE ledger_events SET state = replace(state, :old, :new) WHERE id = :p"
                 if url.startswith("sqlite") else
                 "UPDATE ledger_events SET state = convert_to(replace(convert_from(state, "
                 "'UTF8'), :old, :new), 'UTF8') WHERE id = :p")
    with engine_for(url).begin() as connection:
        changed = connection.execute(sa.text(statement), {"old": old, "new": new, "p": position})
        assert changed.rowcount == 1


def store_as_before_commitments(marketplace: Marketplace, entry: LotEntry) -> None:
    """Rewrites a bid entry as the code before commitments stored it (no ``commitment``, no
    ``salt``), leaf hash included, as if it had always been so."""
    state = json.loads(entry.state)
    del state["commitment"], state["salt"]
    old_form = json.dumps(state, separators=(",", ":")).encode()
    events = event_store_tables(marketplace.name)["events"]
    with marketplace.engine.begin() as connection:
        connection.execute(sa.update(events).where(events.c.id == entry.position)
                           .values(state=old_form))
        connection.execute(sa.update(leaves).where(leaves.c.position == entry.position).values(
            leaf_hash=entry_hash(entry.position, entry.lot_id, entry.version, entry.topic,
                                 old_form)))


def closed_entry(marketplace: Marketplace, lot_id: UUID) -> LotEntry:
    return lot_entries(marketplace, lot_id, (Lot.Closed,))[0]
