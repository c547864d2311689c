"""The ledger as JSON Lines: one line per event, in ledger order, for an auditor's own tools.

Each line is an object with ``position``, ``time``, ``aggregate_id``, ``aggregate_type``,
``version``, ``type``, ``topic``, ``data`` and ``leaf_hash`` (docs/export.md). The events are
read in batches of ledger positions and written as they are decoded, so a ledger of any length
is exported in the same memory; the export stops at the position the ledger had when it began,
so events recorded meanwhile are left for the next export rather than half included.

Sealed offers stay sealed. An export is an auditor's tool over the whole ledger, but the file
it makes leaves the marketplace and its access control, and a lot's bids (an RFQ's quotes) are
a promise made to every competitor: no one sees them before the round closes. So while a lot
or an RFQ has no recorded close at the export's last position, the ``data`` of its bids and
quotes, and of consortium members' answers to them, are replaced by ``{"sealed": true}`` and
the offer's id: not what is offered, not who offers it. The line keeps the entry's position,
time and leaf hash, so the same entry, revealed in an export made after the close, is proven
to be the one that was on the ledger, sealed, before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from events import LedgerApplication, event_store_tables, reading
from events.checkpoints import rfc3339
from events.integrity_tables import leaves
from marketplace.domain.lot import Lot
from marketplace.domain.rfq import Rfq

#: Events whose content is sealed until their round closes, and the id each one keeps.
SEALED: dict[type[Any], str] = {
    Lot.BidPlaced: "bid_id", Lot.BidRevised: "bid_id",
    Lot.ConsortiumShareAccepted: "bid_id", Lot.ConsortiumShareDeclined: "bid_id",
    Rfq.QuoteSubmitted: "quote_id", Rfq.QuoteRevised: "quote_id",
}
#: The events that close a round and so reveal its sealed offers.
CLOSES: tuple[type[Any], ...] = (Lot.Closed, Rfq.Closed)
#: What every event carries and the line already says: it is left out of ``data``.
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})

Progress = Callable[[int], None]


@dataclass(frozen=True)
class LedgerRow:
    """One stored event and its leaf hash (None if the ledger has no leaf for it)."""

    position: int
    stored: StoredEvent
    leaf_hash: bytes | None


def ledger_rows(app: LedgerApplication, *, end: int, after: int = 0, batch_size: int = 1000,
                topics: tuple[str, ...] = (),
                originator_id: UUID | None = None) -> Iterator[LedgerRow]:
    """The stored events after position ``after`` up to ``end``, in ledger order, read
    ``batch_size`` at a time (each batch one query, on from the last position read); only
    ``topics`` if given, only one aggregate's if ``originator_id`` is given."""
    events = event_store_tables(app.name)["events"]
    query = (sa.select(events.c.id, events.c.originator_id, events.c.originator_version,
                       events.c.topic, events.c.state, leaves.c.leaf_hash)
             .select_from(events.outerjoin(leaves, leaves.c.position == events.c.id))
             .where(events.c.id <= end).order_by(events.c.id).limit(batch_size))
    if topics:
        query = query.where(events.c.topic.in_(topics))
    if originator_id is not None:
        query = query.where(events.c.originator_id == originator_id)
    while True:
        with reading(app.engine) as connection:
            rows = connection.execute(query.where(events.c.id > after)).all()
        for row in rows:
            yield LedgerRow(
                position=int(row.id),
                stored=StoredEvent(originator_id=row.originator_id,
                                   originator_version=row.originator_version,
                                   topic=row.topic, state=bytes(row.state)),
                leaf_hash=None if row.leaf_hash is None else bytes(row.leaf_hash))
        if len(rows) < batch_size:
            return
        after = int(rows[-1].id)


def count_events(app: LedgerApplication, *, end: int, topics: tuple[str, ...] = ()) -> int:
    events = event_store_tables(app.name)["events"]
    query = sa.select(sa.func.count()).select_from(events).where(events.c.id <= end)
    if topics:
        query = query.where(events.c.topic.in_(topics))
    with reading(app.engine) as connection:
        return int(connection.execute(query).scalar_one())


def closed_rounds(app: LedgerApplication, *, end: int) -> frozenset[UUID]:
    """The lots and RFQs whose close is recorded at or before position ``end``."""
    events = event_store_tables(app.name)["events"]
    query = sa.select(events.c.originator_id).where(
        events.c.id <= end, events.c.topic.in_([get_topic(c) for c in CLOSES]))
    with reading(app.engine) as connection:
        return frozenset(UUID(str(found)) for found in connection.execute(query).scalars())


def write_jsonl(app: LedgerApplication, output: IO[bytes], *, end: int,
                batch_size: int = 1000, progress: Progress | None = None) -> int:
    """Writes one line per event up to position ``end``; returns how many."""
    revealed = closed_rounds(app, end=end)
    written = 0
    for row in ledger_rows(app, end=end, batch_size=batch_size):
        output.write(jsonl_line(app, row, revealed))
        written += 1
        if progress is not None and (written % batch_size == 0):
            progress(written)
    if progress is not None:
        progress(written)
    return written


def jsonl_line(app: LedgerApplication, row: LedgerRow, revealed: frozenset[UUID]) -> bytes:
    event: Any = app.mapper.to_domain_event(row.stored)
    aggregate_id = UUID(str(row.stored.originator_id))
    kind = type(event).__qualname__
    line = {
        "position": row.position,
        "time": rfc3339(event.timestamp),
        "aggregate_id": str(aggregate_id),
        "aggregate_type": kind.rpartition(".")[0] or kind,
        "version": row.stored.originator_version,
        "type": kind,
        "topic": row.stored.topic,
        "data": event_data(event, sealed=aggregate_id not in revealed),
        "leaf_hash": None if row.leaf_hash is None else row.leaf_hash.hex(),
    }
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=as_json)
            + "\n").encode()


def event_data(event: Any, *, sealed: bool) -> dict[str, Any]:
    """The event's own fields; a sealed offer's id alone while its round is open."""
    kept = SEALED.get(type(event))
    if sealed and kept is not None:
        return {"sealed": True, kept: getattr(event, kept)}
    return {name: value for name, value in vars(event).items() if name not in ENVELOPE}


def as_json(value: Any) -> Any:
    """Decimals as their exact text, UUIDs as text, instants in RFC 3339 UTC, dates ISO."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported as JSON")
