"""Verifying the ledger from its stored rows: checkpoints, hashes, every aggregate replayed.

Streaming passes, each in constant memory whatever the size of the ledger:

1. ``check_checkpoints``: every signature (for the trusted key), one origin, one root per
   size, times rising with size.
2. ``check_entries`` (events/verify_entries.py): every entry against its leaf, the leaves to
   the roots the checkpoints sign and to the stored nodes, every aggregate replayed.

The first problem met is at the lowest position: a ``Problem`` names it, and what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from events import merkle
from events.checkpoints import Checkpoint, CheckpointError, Trusted, checkpoint_of
from events.integrity_tables import checkpoints as checkpoints_table
from events.integrity_tables import leaves
from events.ledger import LedgerApplication
from events.store import event_store_tables

#: Rows per statement of a streaming pass (a power of two: see ``check_tree``).
BATCH = 8192
#: (phase, done, total): called after each batch.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Problem:
    position: int | None
    what: str
    rank: int = 0
    """Of two problems at one position, the lower rank is reported: an entry's own before
    the tree's (as one pass finds them)."""

    def __str__(self) -> str:
        where = "the ledger" if self.position is None else f"position {self.position}"
        return f"{where}: {self.what}"


class VerificationFailed(Exception):
    """The verify stopped at a problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Extent:
    """The ledger as it stood when the verify began, read in one statement (one snapshot):
    entries and checkpoints added while it runs are left for the next verify."""

    entries: int
    last_position: int
    leaves: int
    last_checkpoint: int
    built: int
    """The size of the tree the stored nodes cover: the largest checkpoint's."""


def extent(app: LedgerApplication) -> Extent:
    events = event_store_tables(app.name)["events"]
    query = sa.select(
        sa.select(sa.func.count()).select_from(events).scalar_subquery(),
        sa.select(sa.func.max(events.c.id)).scalar_subquery(),
        sa.select(sa.func.max(leaves.c.leaf_index)).scalar_subquery(),
        sa.select(sa.func.max(checkpoints_table.c.id)).scalar_subquery(),
        sa.select(sa.func.max(checkpoints_table.c.tree_size)).scalar_subquery())
    with app.engine.connect() as connection:
        entries, last_position, last_leaf, last_checkpoint, built = connection.execute(
            query).one()
    return Extent(int(entries or 0), int(last_position or 0),
                  0 if last_leaf is None else int(last_leaf) + 1,
                  int(last_checkpoint or 0), int(built or 0))


def checkpoints_in_order(app: LedgerApplication, last_id: int | None = None
                         ) -> Iterator[Checkpoint]:
    """Every checkpoint by (tree size, id), read in pages (those with id ≤ ``last_id``)."""
    query = (sa.select(checkpoints_table)
             .where(sa.tuple_(checkpoints_table.c.tree_size, checkpoints_table.c.id)
                    > sa.tuple_(sa.bindparam("size"), sa.bindparam("id")))
             .order_by(checkpoints_table.c.tree_size, checkpoints_table.c.id).limit(1000))
    if last_id is not None:
        query = query.where(checkpoints_table.c.id <= last_id)
    size, checkpoint_id = -1, -1
    with app.engine.connect() as connection:
        while rows := connection.execute(query, {"size": size, "id": checkpoint_id}).all():
            for row in rows:
                yield checkpoint_of(row)
            size, checkpoint_id = rows[-1].tree_size, rows[-1].id


def check_checkpoints(app: LedgerApplication, trusted_key: Trusted,
                      scope: Extent | None = None) -> int:
    """Pass 1 (see the module); returns the number of checkpoints."""
    scope = scope or extent(app)
    previous: Checkpoint | None = None
    origin: str | None = None
    count = 0
    for checkpoint in checkpoints_in_order(app, scope.last_checkpoint):
        count += 1
        label = f"checkpoint #{checkpoint.id} ({checkpoint.tree_size} entries)"
        try:
            checkpoint.check_signature(trusted_key)
        except CheckpointError as error:
            raise VerificationFailed(Problem(None, f"{label}: {error}")) from None
        origin = origin or checkpoint.origin
        if checkpoint.origin != origin:
            raise VerificationFailed(Problem(None, (
                f"{label} is of ledger {checkpoint.origin!r}, the others of {origin!r}")))
        if checkpoint.tree_size == 0 and checkpoint.root_hash != merkle.EMPTY_ROOT:
            raise VerificationFailed(Problem(None, (
                f"{label} signs a root for no entries other than SHA-256 of nothing")))
        if previous is not None:
            if (previous.tree_size == checkpoint.tree_size
                    and previous.root_hash != checkpoint.root_hash):
                raise VerificationFailed(Problem(None, (
                    f"checkpoints #{previous.id} and #{checkpoint.id} sign two different roots "
                    f"for the same {checkpoint.tree_size} entries")))
            if checkpoint.made_at < previous.made_at:
                raise VerificationFailed(Problem(None, (
                    f"{label} is dated before #{previous.id}, which covers fewer entries")))
        previous = checkpoint
    return count


def stored_bytes(value: Any) -> bytes:
    """A stored state as bytes (a hand-edited SQLite row may hold text instead)."""
    return value.encode() if isinstance(value, str) else bytes(value)


def as_uuid(value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, bytes) and len(value) == 16:
        return UUID(bytes=value)
    return UUID(str(value))


__all__ = ["BATCH", "Extent", "Problem", "Progress", "VerificationFailed", "as_uuid",
           "check_checkpoints", "checkpoints_in_order", "extent", "stored_bytes"]
