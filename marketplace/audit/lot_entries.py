"""A lot's entries on the ledger as stored: position, version, topic and the stored bytes,
read with one indexed query by the lot's id, decoded only when asked; and which of them are a
member's own commitments (its pooled needs, its bids), for the receipts it may keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from events import LedgerApplication, reading
from events.integrity_tables import leaves
from events.store import event_store_tables
from events.verify import stored_bytes
from marketplace.domain.lot import Lot

BID_EVENTS: tuple[type[Any], ...] = (Lot.BidPlaced, Lot.BidRevised)
#: Leaves read per statement.
BATCH = 500


class UnreadableEntryError(ValueError):
    """A stored ledger entry can no longer be read as the event it claims to be."""


class LotEntry:
    """One stored entry of a lot; ``event`` decodes it (once) with the ledger's own mapper."""

    def __init__(self, app: LedgerApplication, lot_id: UUID, position: int, version: int,
                 topic: str, state: bytes) -> None:
        self._app, self.lot_id = app, lot_id
        self.position, self.version, self.topic, self.state = position, version, topic, state

    @cached_property
    def event(self) -> Any:
        try:
            return self._app.mapper.to_domain_event(StoredEvent(
                originator_id=self.lot_id, originator_version=self.version, topic=self.topic,
                state=self.state))
        except Exception as error:  # whatever a damaged row makes the decoder raise
            raise UnreadableEntryError(
                f"the entry at position {self.position} cannot be read: {error}") from None

    def is_a(self, *kinds: type[Any]) -> bool:
        return self.topic in {get_topic(kind) for kind in kinds}

    def mentions(self, organisation_id: UUID) -> bool:
        """Whether the stored bytes name the organisation (as the transcoder writes an id,
        hex or hyphenated): a cheap sieve before decoding, never the answer by itself."""
        return (organisation_id.hex.encode() in self.state
                or str(organisation_id).encode() in self.state)


def lot_entries(app: LedgerApplication, lot_id: UUID,
                kinds: Iterable[type[Any]]) -> list[LotEntry]:
    """The lot's entries of these event classes, in the lot's order."""
    events = event_store_tables(app.name)["events"]
    topics = sorted({get_topic(kind) for kind in kinds})
    query = (sa.select(events.c.id, events.c.originator_version, events.c.topic,
                       events.c.state)
             .where(events.c.originator_id == lot_id, events.c.topic.in_(topics))
             .order_by(events.c.originator_version))
    with reading(app.engine) as connection:
        rows = connection.execute(query).all()
    return [LotEntry(app, lot_id, int(row[0]), int(row[1]), str(row[2]), stored_bytes(row[3]))
            for row in rows]


def leaves_at(app: LedgerApplication, positions: Sequence[int]) -> dict[int, tuple[int, bytes]]:
    """(leaf index, leaf hash) by ledger position, for those positions that have a leaf."""
    found: dict[int, tuple[int, bytes]] = {}
    wanted = sorted(set(positions))
    with reading(app.engine) as connection:
        for start in range(0, len(wanted), BATCH):
            rows = connection.execute(
                sa.select(leaves.c.position, leaves.c.leaf_index, leaves.c.leaf_hash)
                .where(leaves.c.position.in_(wanted[start:start + BATCH])))
            found.update({int(row[0]): (int(row[1]), bytes(row[2])) for row in rows})
    return found


@dataclass(frozen=True)
class OwnEntries:
    """Where a member's own commitments in a lot stand on the ledger: the entries it is party
    to, as the ledger's receipts count parties (a need's buyer; a bid's lead and the members
    its terms name)."""

    pooled: dict[UUID, int]
    """Need id → position of its latest pooling into the lot."""
    bids: dict[UUID, int]
    """Bid id → position of its latest terms (placed or revised) the member is party to."""
    positions: frozenset[int]
    """Every such entry, earlier terms included."""


def own_entries(entries: Iterable[LotEntry], organisation_id: UUID) -> OwnEntries:
    """The organisation's own pooled needs and bids among a lot's entries (its NeedPooled and
    bid entries, in order)."""
    pooled: dict[UUID, int] = {}
    bids: dict[UUID, int] = {}
    led: set[UUID] = set()
    positions: set[int] = set()
    for entry in entries:
        if entry.is_a(Lot.NeedPooled) and not entry.mentions(organisation_id):
            continue  # another buyer's: not even decoded
        if not entry.is_a(Lot.NeedPooled, *BID_EVENTS) or not _readable(entry):
            continue
        event = entry.event
        if entry.is_a(Lot.NeedPooled):
            if event.buyer_id == organisation_id:
                pooled[event.need_id] = entry.position
                positions.add(entry.position)
            continue
        if getattr(event, "supplier_id", None) == organisation_id:
            led.add(event.bid_id)
        named = {share.get("organisation_id") for share in event.shares}
        if event.bid_id in led or organisation_id in named:
            bids[event.bid_id] = entry.position
            positions.add(entry.position)
    return OwnEntries(pooled, bids, frozenset(positions))


def _readable(entry: LotEntry) -> bool:
    try:
        entry.event  # noqa: B018 (decoded here, once, and kept)
    except UnreadableEntryError:
        return False
    return True


__all__ = ["BID_EVENTS", "LotEntry", "OwnEntries", "UnreadableEntryError", "leaves_at",
           "lot_entries", "own_entries"]
