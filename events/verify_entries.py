"""Pass 2 of the verify (events/verify.py): every entry against its leaf, the leaves to the
signed roots and the stored nodes, every aggregate replayed; on as many processes as given.

The entries are read in position order beside the leaves in index order: the k-th entry must
be the k-th leaf's (so a deleted or inserted entry is named), re-encode and hash to it (so an
edited or moved one is), and decode and apply to its aggregate as a load would. The leaves
feed a Merkle frontier checked against each checkpoint's signed root and the stored nodes (so
a leaf rewritten with its entry is caught too).

Decoding and replaying are most of the cost and aggregates are independent, so with
``workers`` > 1 they are shared out by the last byte of their id: every worker reads every row
and checks the pairing (cheap), but hashes, decodes and replays only its own aggregates'
entries; the first also builds the tree from the stored leaves (each checked against its
entry by some worker). The others are forks; each stops at its first problem, or once another
has found one at a lower position, and the lowest is reported, as a single pass would. A fork
is only safe where no other thread can hold a lock the child needs: the CLI and the bench
fork, the served app verifies in one process.
"""

from __future__ import annotations

import gc
import multiprocessing
import struct
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from events import merkle
from events.checkpoints import Checkpoint
from events.entries import entry_hash
from events.integrity_tables import leaves, tree_nodes
from events.ledger import LedgerApplication
from events.store import event_store_tables
from events.verify import (
    BATCH,
    Extent,
    Problem,
    Progress,
    VerificationFailed,
    as_uuid,
    checkpoints_in_order,
    extent,
    stored_bytes,
)
from events.verify_replay import Aggregates

#: Which decoded events' positions a pass returns (verify asks for the allocations).
Mark = Callable[[Any], bool]
NOWHERE = 2**63 - 1
QUIET_GC = (50_000, 20, 100)


@dataclass
class EntriesChecked:
    count: int = 0
    marked: list[int] = field(default_factory=list)


def check_entries(app: LedgerApplication, progress: Progress | None = None, total: int = 0,
                  mark: Mark | None = None, scope: Extent | None = None,
                  workers: int = 1) -> EntriesChecked:
    """The pass, on ``workers`` processes (see the module). Raises ``VerificationFailed``
    naming the problem at the lowest position."""
    scope = scope or extent(app)
    if workers <= 1:
        return _Pass(app, scope, 0, 1, mark).run(progress, total)
    context = multiprocessing.get_context("fork")
    lowest = context.Value("q", NOWHERE)  # the lowest position of a problem found so far
    children: list[tuple[Any, Any]] = []
    outcomes: list[EntriesChecked | Problem] = []
    with _steady_gc():
        try:
            for share in range(1, workers):
                receiving, sending = context.Pipe(duplex=False)
                child = context.Process(
                    target=_worker, name=f"verify-worker-{share}", daemon=True,
                    args=(app, scope, share, workers, mark, lowest, sending))
                child.start()
                sending.close()
                children.append((child, receiving))
            try:
                outcomes.append(_Pass(app, scope, 0, workers, mark, lowest).run(progress,
                                                                                  total))
            except VerificationFailed as failure:
                outcomes.append(failure.problem)
                _lower(lowest, failure.problem)
            for child, receiving in children:
                outcomes.append(_outcome(child, receiving))
        finally:
            for child, receiving in children:  # none outlives the verify, whatever happened
                receiving.close()
                if child.is_alive():
                    child.terminate()
                child.join()
    problems = [o for o in outcomes if isinstance(o, Problem)]
    if problems:
        raise VerificationFailed(min(problems, key=lambda p: (
            NOWHERE if p.position is None else p.position, p.rank)))
    checked = [o for o in outcomes if isinstance(o, EntriesChecked)]
    return EntriesChecked(checked[0].count, sorted(p for c in checked for p in c.marked))


def _worker(app: LedgerApplication, scope: Extent, share: int, shares: int, mark: Mark | None,
            lowest: Any, sending: Any) -> None:
    app.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    gc.set_threshold(*QUIET_GC)
    try:
        sending.send(_Pass(app, scope, share, shares, mark, lowest).run(None, 0))
    except VerificationFailed as failure:
        _lower(lowest, failure.problem)
        sending.send(failure.problem)
    except BaseException:
        sending.send(traceback.format_exc())
    finally:
        sending.close()


class VerifyWorkerError(Exception):
    """A worker of the verify failed for a reason of its own (not a finding about the
    ledger): the verify proves nothing; run it again, with ``--workers 1`` if it recurs."""


def _outcome(child: Any, receiving: Any) -> EntriesChecked | Problem:
    try:
        outcome = receiving.recv()
    except EOFError:
        child.join()
        outcome = f"it exited with code {child.exitcode} before reporting"
    if isinstance(outcome, str):
        last = outcome.strip().splitlines()[-1]
        raise VerifyWorkerError(f"a verify worker failed ({last}); nothing was concluded: run "
                                "the verify again, with --workers 1 if this recurs")
    return cast("EntriesChecked | Problem", outcome)


def _lower(lowest: Any, problem: Problem) -> None:
    if problem.position is not None:
        with lowest.get_lock():
            lowest.value = min(lowest.value, problem.position)


@contextmanager
def _steady_gc() -> Iterator[None]:
    """The collector quieter (every 50,000 allocations, not 700) while aggregates pile up, and
    what was loaded before frozen (neither scanned nor copied into the forks)."""
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(*QUIET_GC)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


class _Pass:
    """One worker's pass: every row's pairing, its share's entries, the tree if it is the
    first (share 0)."""

    def __init__(self, app: LedgerApplication, scope: Extent, share: int, shares: int,
                 mark: Mark | None, lowest: Any = None) -> None:
        self.app, self.scope, self.share, self.shares, self.mark = app, scope, share, shares, mark
        self.lowest = lowest
        self.aggregates = Aggregates(app)
        self.checked = EntriesChecked()

    def run(self, progress: Progress | None, total: int) -> EntriesChecked:
        tree = _Tree(self.app, self.scope) if self.share == 0 else None
        count, last_position = 0, 0
        for rows, leaf_rows in _batches(self.app, self.scope):
            if self.lowest is not None and rows and rows[0][0] > self.lowest.value:
                return self.checked  # another worker found a problem before this batch
            stored_leaves: list[bytes] = []
            for k, row in enumerate(rows):
                position = row[0]
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
                stored = bytes(stored)
                if self.shares == 1 or self._share_of(row[1]) == self.share:
                    self._entry(row, stored)
                stored_leaves.append(stored)
                last_position = position
                count += 1
            if len(leaf_rows) > len(rows):  # a leaf after the last entry: the ledger ends early
                raise VerificationFailed(Problem(leaf_rows[len(rows)][1], (
                    "the entry is missing (deleted): its leaf is stored, the ledger ends "
                    "before it")))
            if tree is not None:
                tree.add(stored_leaves, [row[0] for row in rows], count, last_position)
            if progress is not None:
                progress("entries", count, total)
        if tree is not None:
            tree.finish(count, last_position)
        self.checked.count = count
        return self.checked

    def _entry(self, row: Sequence[Any], stored: bytes) -> None:
        position, raw_id, version, topic, state = row
        if type(state) is not bytes:
            state = stored_bytes(state)
        try:
            aggregate_id = self.aggregates.uuid(raw_id)
            hashed = entry_hash(position, aggregate_id, version, topic, state)
        except (TypeError, ValueError, OverflowError, struct.error) as error:
            raise VerificationFailed(Problem(position, (
                f"the stored entry cannot be read: {error}"))) from None
        if hashed != stored:
            raise VerificationFailed(Problem(position, (
                f"the stored entry ({topic.rsplit('.', 1)[-1]} v{version} of "
                f"{aggregate_id}) does not hash to its leaf: it was changed after it was "
                "recorded")))
        event = self.aggregates.apply(position, raw_id, aggregate_id, version, topic, state)
        if self.mark is not None and self.mark(event):
            self.checked.marked.append(position)

    def _share_of(self, raw_id: Any) -> int:
        try:
            last = raw_id[15] if type(raw_id) is bytes else as_uuid(raw_id).int & 0xFF
        except (TypeError, ValueError, IndexError):
            last = 0  # unreadable: share 0 reads it and names the problem
        return int(last) % self.shares


class _Tree:
    """The leaves to the roots the checkpoints sign, and to the stored nodes."""

    def __init__(self, app: LedgerApplication, scope: Extent) -> None:
        self.nodes = _StoredNodes(app, scope.built)
        self.frontier = merkle.Frontier(on_nodes=self.nodes.computed)
        self.due = (c for c in checkpoints_in_order(app, scope.last_checkpoint)
                    if c.tree_size > 0)
        self.next_checkpoint = next(self.due, None)

    def add(self, hashed: list[bytes], positions: list[int], count: int,
            last_position: int) -> None:
        frontier, start = self.frontier, count - len(hashed)
        if (hashed and len(hashed) & (len(hashed) - 1) == 0 and start % len(hashed) == 0
                and (self.next_checkpoint is None or self.next_checkpoint.tree_size > count)):
            frontier.append_perfect(hashed)  # a whole aligned batch: hashed at once
        else:
            for leaf_hash, position in zip(hashed, positions, strict=True):
                frontier.append(leaf_hash)
                self._check_due(frontier.size, position)
        self._check_due(count, last_position)
        self.nodes.check(start, positions)

    def finish(self, count: int, last_position: int) -> None:
        if self.next_checkpoint is not None:
            raise VerificationFailed(Problem(None, (
                f"checkpoint #{self.next_checkpoint.id} signs {self.next_checkpoint.tree_size} "
                f"entries but the ledger holds {count}: entries after position "
                f"{last_position} are missing (the ledger was truncated)")))

    def _check_due(self, size: int, position: int) -> None:
        while self.next_checkpoint is not None and self.next_checkpoint.tree_size == size:
            _check_root(self.frontier, self.next_checkpoint, position)
            self.next_checkpoint = next(self.due, None)


def _check_root(frontier: merkle.Frontier, checkpoint: Checkpoint, position: int) -> None:
    if frontier.root() != checkpoint.root_hash:
        raise VerificationFailed(Problem(position, (
            f"the first {checkpoint.tree_size} entries do not have the root signed by "
            f"checkpoint #{checkpoint.id}: an entry at or before this position differs "
            "from what was signed"), rank=1))


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
            "entries under it: receipts and checkpoints made from it would not check"),
            rank=1))


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
