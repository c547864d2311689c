"""Which ledger entries are sealed now: a lot's bids, an RFQ's quotes, until the round closes.

A sealed offer is a promise made to every competitor: nobody sees it before its round closes,
auditors included. Its entry shows its type, time and round, and that it is sealed; never its
data, nor who made it (but to the offerors themselves). The round's recorded close opens it;
a round cancelled before its close keeps its offers sealed for good, as the lot's and RFQ's
own pages, the timeline and the export do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from marketplace.readmodels.ledger_index import ledger_index
from marketplace.readmodels.lot_tables import lots
from marketplace.readmodels.rfq_tables import rfqs

#: The entries of offers and of the answers to them, sealed until their round closes.
SEALED_EVENT_TYPES = frozenset({
    "Lot.BidPlaced", "Lot.BidRevised", "Lot.BidWithdrawn",
    "Lot.ConsortiumShareAccepted", "Lot.ConsortiumShareDeclined",
    "Rfq.QuoteSubmitted", "Rfq.QuoteRevised", "Rfq.QuoteReconfirmed", "Rfq.QuoteWithdrawn",
})
#: The entry that closes each kind of round, and the index column naming the round.
CLOSES = {"Lot": ("Lot.Closed", ledger_index.c.lot_id),
          "Rfq": ("Rfq.Closed", ledger_index.c.rfq_id)}


@dataclass(frozen=True)
class Seal:
    """Why an entry's content is hidden: the round it belongs to has not closed."""

    round_type: str
    """``Lot`` or ``Rfq``."""
    round_id: UUID
    closes_at: datetime | None
    """When the round is due to close (None if its read model is missing)."""
    cancelled: bool
    """The round was cancelled before it closed: its offers stay sealed."""


@dataclass(frozen=True)
class EntryKey:
    """What the sealing of an entry depends on."""

    position: int
    event_type: str
    aggregate_type: str
    aggregate_id: UUID


def sealed_clause() -> sa.ColumnElement[bool]:
    """True for the rows of ``ledger_index`` whose content is sealed now (for queries that
    must not match sealed entries by what they hide, such as who made them)."""
    closing = ledger_index.alias("closing")
    conditions = []
    for round_type, (close_type, column) in CLOSES.items():
        closed = sa.exists().where(closing.c.event_type == close_type,
                                   closing.c[column.name] == column)
        conditions.append(sa.and_(ledger_index.c.aggregate_type == round_type, ~closed))
    return sa.and_(ledger_index.c.event_type.in_(sorted(SEALED_EVENT_TYPES)),
                   sa.or_(*conditions))


def seals(connection: Connection, entries: Iterable[EntryKey]) -> dict[int, Seal]:
    """The seal of each of these entries whose content is sealed now, by position."""
    candidates = [entry for entry in entries if entry.event_type in SEALED_EVENT_TYPES
                  and entry.aggregate_type in CLOSES]
    if not candidates:
        return {}
    rounds = {entry.aggregate_id for entry in candidates}
    closed = set(connection.execute(
        sa.select(sa.func.coalesce(ledger_index.c.lot_id, ledger_index.c.rfq_id)).where(
            sa.or_(*(sa.and_(ledger_index.c.event_type == close_type, column.in_(rounds))
                     for close_type, column in CLOSES.values())))).scalars())
    open_rounds = rounds - {UUID(str(found)) for found in closed}
    states = _round_states(connection, open_rounds)
    return {entry.position: Seal(entry.aggregate_type, entry.aggregate_id,
                                 *states.get(entry.aggregate_id, (None, False)))
            for entry in candidates if entry.aggregate_id in open_rounds}


def _round_states(connection: Connection, ids: set[UUID]) -> dict[UUID, tuple[Any, bool]]:
    """Each round's close time and whether it was cancelled, from the lots and RFQs."""
    if not ids:
        return {}
    found: dict[UUID, tuple[Any, bool]] = {}
    for table in (lots, rfqs):
        for row in connection.execute(sa.select(table.c.id, table.c.closes_at, table.c.status)
                                      .where(table.c.id.in_(ids))):
            found[row.id] = (row.closes_at, row.status == "cancelled")
    return found
