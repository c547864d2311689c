"""Verifying the ledger from its stored rows: checkpoints, hashes, every aggregate replayed.

Streaming passes, each in constant memory whatever the size of the ledger:

1. ``check_checkpoints``: every signature (for the trusted key), one origin, one root per
   size, times rising with size.
2. ``check_entries``: the entries in position order beside the stored leaves in index order:
   the k-th entry must be the k-th leaf's (so a deleted or inserted entry is named), re-encode
   and hash to it (so an edited or moved one is), and decode and apply to its aggregate as a
   load would. The leaves feed a Merkle frontier whose root is compared, at each checkpoint's
   size, with the root it signs (so a leaf rewritten with its entry is caught too). One pass
   for all of it, since reading and decoding are most of the cost.

The first problem met is at the lowest position: a ``Problem`` names it, and what is wrong.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent

from events import merkle
from events.checkpoints import Checkpoint, CheckpointError, Trusted, checkpoint_of
from events.entries import entry_hash
from events.integrity_tables import checkpoints as checkpoints_table
from events.integrity_tables import leaves, tree_nodes
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


def check_entries(app: LedgerApplication, progress: Progress | None = None, total: int = 0,
                  on_event: Callable[[Any, int], None] | None = None,
                  scope: Extent | None = None) -> int:
    """Pass 2 (see the module); ``on_event`` is given each decoded event with its position.
    Returns the number of entries."""
    scope = scope or extent(app)
    nodes = _StoredNodes(app, scope.built)
    frontier = merkle.Frontier(on_nodes=nodes.computed)
    due = (c for c in checkpoints_in_order(app, scope.last_checkpoint) if c.tree_size > 0)
    next_checkpoint = next(due, None)
    aggregates = _Aggregates(app)
    count, last_position = 0, 0
    for rows, leaf_rows in _batches(app, scope):
        hashed: list[bytes] = []
        for k, (position, raw_id, version, topic, state) in enumerate(rows):
            leaf = leaf_rows[k] if k < len(leaf_rows) else None
            if leaf is None or leaf[1] > position:
                raise VerificationFailed(Problem(position, (
                    "this entry has no leaf: it was inserted outside the ledger")))
            leaf_index, leaf_position, stored = leaf
            if leaf_index != count:
                raise VerificationFailed(Problem(position, (
                    f"the entry and leaf after position {last_position} are missing "
                    f"(deleted): this entry's leaf is {leaf_index}, not {count}")))
            if leaf_position < position:
                raise VerificationFailed(Problem(leaf_position, (
                    f"the entry is missing (deleted); the next entry is at {position}")))
            if type(state) is not bytes:
                state = stored_bytes(state)
            try:
                aggregate_id = aggregates.uuid(raw_id)
                hashed_leaf = entry_hash(position, aggregate_id, version, topic, state)
            except (TypeError, ValueError, OverflowError, struct.error) as error:
                raise VerificationFailed(Problem(position, (
                    f"the stored entry cannot be read: {error}"))) from None
            if hashed_leaf != bytes(stored):
                raise VerificationFailed(Problem(position, (
                    f"the stored entry ({topic.rsplit('.', 1)[-1]} v{version} of "
                    f"{aggregate_id}) does not hash to its leaf: it was changed after it was "
                    "recorded")))
            event = aggregates.apply(position, raw_id, aggregate_id, version, topic, state)
            if on_event is not None:
                on_event(event, position)
            hashed.append(hashed_leaf)
            last_position = position
            count += 1
        if len(leaf_rows) > len(rows):  # a leaf after the last entry: the ledger ends early
            raise VerificationFailed(Problem(leaf_rows[len(rows)][1], (
                "the entry is missing (deleted): its leaf is stored, the ledger ends "
                "before it")))
        positions = [row[0] for row in rows]
        start = count - len(hashed)
        if (hashed and len(hashed) & (len(hashed) - 1) == 0 and start % len(hashed) == 0
                and (next_checkpoint is None or next_checkpoint.tree_size > count)):
            frontier.append_perfect(hashed)  # a whole aligned batch: hashed at once
        else:
            for leaf_hash, position in zip(hashed, positions, strict=True):
                frontier.append(leaf_hash)
                while (next_checkpoint is not None
                       and next_checkpoint.tree_size == frontier.size):
                    _check_root(frontier, next_checkpoint, position)
                    next_checkpoint = next(due, None)
        while next_checkpoint is not None and next_checkpoint.tree_size == count:
            _check_root(frontier, next_checkpoint, last_position)
            next_checkpoint = next(due, None)
        nodes.check(start, positions)
        if progress is not None:
            progress("entries", count, total)
    if next_checkpoint is not None:
        raise VerificationFailed(Problem(None, (
            f"checkpoint #{next_checkpoint.id} signs {next_checkpoint.tree_size} entries but "
            f"the ledger holds {count}: entries after position {last_position} are missing "
            "(the ledger was truncated)")))
    return count


def _check_root(frontier: merkle.Frontier, checkpoint: Checkpoint, position: int) -> None:
    if frontier.root() != checkpoint.root_hash:
        raise VerificationFailed(Problem(position, (
            f"the first {checkpoint.tree_size} entries do not have the root signed by "
            f"checkpoint #{checkpoint.id}: an entry at or before this position differs "
            "from what was signed")))


class _StoredNodes:
    """Checks the stored subtree hashes (what receipts and later checkpoints are made from)
    against those the entries' leaves give, batch by batch, with one range read per level."""

    def __init__(self, app: LedgerApplication, built: int) -> None:
        self.app, self.built = app, built
        #: Per level, runs of computed nodes: (index of the first, their hashes).
        self.pending: dict[int, list[tuple[int, list[bytes]]]] = {}
        mark = "?" if app.engine.dialect.name == "sqlite" else "%s"
        self.sql = (f"SELECT node_index, node_hash FROM {tree_nodes.name} "  # noqa: S608
                    f"WHERE level = {mark} AND node_index >= {mark} AND node_index <= {mark} "
                    "ORDER BY node_index")

    def computed(self, level: int, first: int, nodes: list[bytes]) -> None:
        stored = (self.built >> level) - first  # those a checkpoint's tree already covered
        if stored > 0:
            self.pending.setdefault(level, []).append((first, nodes[:stored]))

    def check(self, batch_start: int, positions: list[int]) -> None:
        if not self.pending:
            return
        with self.app.engine.connect() as connection:
            cursor = connection.connection.cursor()
            try:
                for level, runs in sorted(self.pending.items()):
                    low = runs[0][0]
                    high = runs[-1][0] + len(runs[-1][1]) - 1
                    cursor.execute(self.sql, (level, low, high))
                    stored = {index: bytes(node) for index, node in cursor.fetchall()}
                    for first, nodes in runs:
                        for offset, node in enumerate(nodes):
                            if stored.get(first + offset) != node:
                                self._differs(level, first + offset, batch_start, positions)
            finally:
                cursor.close()
        self.pending.clear()

    @staticmethod
    def _differs(level: int, index: int, batch_start: int, positions: list[int]) -> None:
        last_leaf = ((index + 1) << level) - 1 - batch_start
        position = positions[last_leaf] if 0 <= last_leaf < len(positions) else None
        raise VerificationFailed(Problem(position, (
            f"the stored tree node (level {level}, index {index}) is not the hash of the "
            "entries under it: receipts and checkpoints made from it would not check")))


def _batches(app: LedgerApplication, scope: Extent
             ) -> Iterator[tuple[Sequence[Any], Sequence[Any]]]:
    """The entries in position order beside the leaves in index order, in batches: the k-th
    entry with the k-th leaf (two sequential reads, no join), as far as the verify's extent:
    (position, raw aggregate id, version, topic, state) beside (leaf index, position, hash).

    Read with the driver's own cursor: SQLAlchemy's row objects cost as much as the hashing.
    """
    events = event_store_tables(app.name)["events"].name
    mark = "?" if app.engine.dialect.name == "sqlite" else "%s"
    # Names from our own table definitions, values bound: nothing from outside is spliced.
    event_sql = (f"SELECT id, originator_id, originator_version, topic, state "  # noqa: S608
                 f"FROM {events} WHERE id > {mark} AND id <= {mark} ORDER BY id "
                 f"LIMIT {BATCH}")
    leaf_sql = (f"SELECT leaf_index, position, leaf_hash FROM {leaves.name} "  # noqa: S608
                f"WHERE leaf_index >= {mark} AND leaf_index < {mark} ORDER BY leaf_index "
                f"LIMIT {BATCH}")
    after, start = 0, 0
    with app.engine.connect() as connection:
        cursor = connection.connection.cursor()
        try:
            while True:
                cursor.execute(event_sql, (after, scope.last_position))
                rows = cursor.fetchall()
                cursor.execute(leaf_sql, (start, scope.leaves))
                leaf_rows = cursor.fetchall()
                if not rows and not leaf_rows:
                    return
                yield rows, leaf_rows
                if rows:
                    after = rows[-1][0]
                if leaf_rows:
                    start = leaf_rows[-1][0] + 1
        finally:
            cursor.close()


class _Aggregates:
    """The aggregates being replayed, the most recently used few thousand kept in memory.

    An aggregate's events arrive in position order among everyone else's; one pushed out of
    memory is rebuilt from its own earlier events when it next appears (they were checked
    when they went by), so memory stays bounded whatever the ledger holds.
    """

    KEEP = 4096

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app
        #: By the id as stored (16 bytes on SQLite): (its UUID, the aggregate so far).
        self.kept: dict[Any, tuple[UUID, Any]] = {}  # in order of use, oldest first

    def uuid(self, raw_id: Any) -> UUID:
        """The UUID of a stored id, made once per aggregate kept (it costs more than a hash)."""
        found = self.kept.get(raw_id)
        return found[0] if found is not None else as_uuid(raw_id)

    def apply(self, position: int, raw_id: Any, aggregate_id: UUID, version: int, topic: str,
              state: bytes) -> Any:
        try:
            event: Any = self.app.mapper.to_domain_event(StoredEvent(
                originator_id=aggregate_id, originator_version=version, topic=topic,
                state=state))
            kept = self.kept.pop(raw_id, None)
            current = None if kept is None else kept[1]
            if current is None and version > 1:
                current = self._rebuild(aggregate_id, version - 1)
            self.kept[raw_id] = (aggregate_id, event.mutate(current))
        except VerificationFailed:
            raise
        except Exception as error:  # any failure to decode or apply is the finding
            raise VerificationFailed(Problem(position, (
                f"version {version} of {aggregate_id} does not replay: "
                f"{type(error).__name__}: {error}"))) from None
        if len(self.kept) > self.KEEP:
            del self.kept[next(iter(self.kept))]
        return event

    def _rebuild(self, aggregate_id: UUID, version: int) -> Any:
        current: Any = None
        for stored in self.app.recorder.select_events(aggregate_id, lte=version):
            event: Any = self.app.mapper.to_domain_event(stored)
            current = event.mutate(current)
        return current


def stored_bytes(value: Any) -> bytes:
    """A stored state as bytes (a hand-edited SQLite row may hold text instead)."""
    return value.encode() if isinstance(value, str) else bytes(value)


def as_uuid(value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, bytes) and len(value) == 16:
        return UUID(bytes=value)
    return UUID(str(value))


__all__ = ["Extent", "Problem", "Progress", "VerificationFailed", "check_checkpoints",
           "check_entries", "checkpoints_in_order", "extent"]
