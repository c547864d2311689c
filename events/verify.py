"""Verifying the ledger from its stored rows: hashes, checkpoints, and every aggregate replayed.

Two streaming passes, each in constant memory whatever the ledger's size:

1. ``check_hashes``: the entries in position order, each re-encoded and hashed, checked against
   its stored leaf (so an entry edited, deleted, inserted or moved is named by its position),
   and fed to a Merkle frontier whose root is compared, at each checkpoint's size, with the
   root that checkpoint signs (so a leaf rewritten with its entry is caught too).
2. ``check_aggregates``: the entries in (aggregate, version) order, decoded and applied to
   their aggregate one after another, as a load would, one aggregate in memory at a time.

A ``Problem`` names the first position where something does not hold and what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent
from sqlalchemy.engine import Connection

from events import merkle, tree
from events.checkpoints import Checkpoint, CheckpointError, Checkpoints
from events.entries import entry_hash
from events.integrity_tables import leaves
from events.ledger import LedgerApplication
from events.store import event_store_tables

#: Rows per statement of a streaming pass.
BATCH = 10_000
#: (phase, done, total): called after each batch.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Problem:
    position: int | None
    what: str

    def __str__(self) -> str:
        where = "the ledger" if self.position is None else f"position {self.position}"
        return f"{where}: {self.what}"


class VerificationFailed(Exception):
    """The verify stopped at a problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def entry_count(app: LedgerApplication) -> int:
    events = event_store_tables(app.name)["events"]
    with app.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def check_checkpoints(app: LedgerApplication, trusted_key: bytes | None) -> list[Checkpoint]:
    """Every checkpoint's signature (for the trusted key), origin and time; two checkpoints of
    one size must sign one root. Returns them in order of tree size."""
    found: list[Checkpoint] = []
    before_id: int | None = None
    while page := app.checkpoints.page(before_id=before_id, limit=1000):
        found.extend(page)
        before_id = page[-1].id
    found.sort(key=lambda c: (c.tree_size, c.id))
    previous: Checkpoint | None = None
    for checkpoint in found:
        label = f"checkpoint #{checkpoint.id} ({checkpoint.tree_size} entries)"
        try:
            checkpoint.check_signature(trusted_key)
        except CheckpointError as error:
            raise VerificationFailed(Problem(None, f"{label}: {error}")) from None
        if found[0].origin != checkpoint.origin:
            raise VerificationFailed(Problem(None, (
                f"{label} is of ledger {checkpoint.origin!r}, the others of "
                f"{found[0].origin!r}")))
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
    return found


def check_hashes(app: LedgerApplication, checkpoints: list[Checkpoint],
                 progress: Progress | None = None, total: int = 0) -> int:
    """Pass 1 (see the module); returns the number of entries."""
    events = event_store_tables(app.name)["events"]
    query = (sa.select(events.c.id, events.c.originator_id, events.c.originator_version,
                       events.c.topic, events.c.state, leaves.c.leaf_index, leaves.c.leaf_hash)
             .select_from(events.outerjoin(leaves, leaves.c.position == events.c.id))
             .where(events.c.id > sa.bindparam("after")).order_by(events.c.id).limit(BATCH))
    frontier = merkle.Frontier()
    due = iter(checkpoints)
    next_checkpoint = next(due, None)
    count = 0
    with app.engine.connect() as connection:
        after = 0
        while rows := connection.execute(query, {"after": after}).all():
            for position, aggregate_id, version, topic, state, leaf_index, stored in rows:
                if leaf_index is None:
                    raise VerificationFailed(Problem(position, (
                        "this entry has no leaf: it was inserted outside the ledger")))
                if leaf_index != count:
                    raise VerificationFailed(_gap(connection, count, leaf_index, position))
                try:
                    leaf = entry_hash(position, as_uuid(aggregate_id), version, topic,
                                      stored_bytes(state))
                except (TypeError, ValueError, OverflowError) as error:
                    raise VerificationFailed(Problem(position, (
                        f"the stored entry cannot be read: {error}"))) from None
                if leaf != bytes(stored):
                    raise VerificationFailed(Problem(position, (
                        f"the stored entry ({topic.rsplit('.', 1)[-1]} v{version} of "
                        f"{aggregate_id}) does not hash to its leaf: it was changed after "
                        "it was recorded")))
                frontier.append(leaf)
                count += 1
                while next_checkpoint is not None and next_checkpoint.tree_size == count:
                    if frontier.root() != next_checkpoint.root_hash:
                        raise VerificationFailed(Problem(position, (
                            f"the first {count} entries do not have the root signed by "
                            f"checkpoint #{next_checkpoint.id}: an entry at or before this "
                            "position differs from what was signed")))
                    next_checkpoint = next(due, None)
            after = rows[-1][0]
            if progress is not None:
                progress("hashes", count, total)
        stored_leaves = tree.leaf_count(connection)
        if stored_leaves > count:
            raise VerificationFailed(_missing_tail(connection, count, stored_leaves))
    if next_checkpoint is not None:
        raise VerificationFailed(Problem(None, (
            f"checkpoint #{next_checkpoint.id} signs {next_checkpoint.tree_size} entries but "
            f"the ledger holds {count}: entries after position {after} are missing "
            "(the ledger was truncated)")))
    return count


def _gap(connection: Connection, expected: int, found: int, position: int) -> Problem:
    if found > expected:
        missing = tree.position_of(connection, expected)
        return Problem(missing, (f"the entry with leaf {expected} is missing (deleted); the "
                                 f"next stored entry is at position {position}"))
    return Problem(position, (f"this entry has leaf {found} but follows {expected} entries: "
                              "entries were reordered"))


def _missing_tail(connection: Connection, count: int, stored: int) -> Problem:
    missing = tree.position_of(connection, count)
    return Problem(missing, (f"{stored - count} entries from here on are missing from the "
                             "ledger though their leaves are stored (deleted)"))


def check_aggregates(app: LedgerApplication, progress: Progress | None = None,
                     total: int = 0, on_event: Callable[[Any, int], None] | None = None
                     ) -> int:
    """Pass 2 (see the module); returns the number of aggregates. ``on_event`` is given each
    decoded event with its position, in (aggregate, version) order."""
    done = count = 0
    current: Any = None
    current_id: UUID | str | None = None
    for position, stored in _by_aggregate(app):
        if stored.originator_id != current_id:
            current, current_id = None, stored.originator_id
            count += 1
        try:
            event: Any = app.mapper.to_domain_event(stored)
            current = event.mutate(current)
        except Exception as error:  # any failure to decode or apply is the finding
            raise VerificationFailed(Problem(position, (
                f"version {stored.originator_version} of {stored.originator_id} does not "
                f"replay: {type(error).__name__}: {error}"))) from None
        if on_event is not None:
            on_event(event, position)
        done += 1
        if progress is not None and done % BATCH == 0:
            progress("aggregates", done, total)
    if progress is not None:
        progress("aggregates", done, total)
    return count


def _by_aggregate(app: LedgerApplication) -> Iterator[tuple[int, StoredEvent]]:
    events = event_store_tables(app.name)["events"]
    columns = (events.c.id, events.c.originator_id, events.c.originator_version,
               events.c.topic, events.c.state)
    first = sa.select(*columns).order_by(events.c.originator_id,
                                         events.c.originator_version).limit(BATCH)
    after = first.where(sa.or_(
        events.c.originator_id > sa.bindparam("aggregate"),
        sa.and_(events.c.originator_id == sa.bindparam("aggregate"),
                events.c.originator_version > sa.bindparam("version"))))
    with app.engine.connect() as connection:
        rows = connection.execute(first).all()
        while rows:
            for position, aggregate_id, version, topic, state in rows:
                yield position, StoredEvent(originator_id=as_uuid(aggregate_id),
                                            originator_version=version, topic=topic,
                                            state=stored_bytes(state))
            last = rows[-1]
            rows = connection.execute(after, {"aggregate": last[1], "version": last[2]}).all()


def stored_bytes(value: Any) -> bytes:
    """A stored state as bytes (a hand-edited SQLite row may hold text instead)."""
    return value.encode() if isinstance(value, str) else bytes(value)


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


__all__ = ["Checkpoints", "Problem", "Progress", "VerificationFailed", "check_aggregates",
           "check_checkpoints", "check_hashes", "entry_count"]
