"""Pass 2 of the verify (events/verify.py): every entry against its leaf, the leaves to the
signed roots and the stored nodes, every aggregate replayed; on as many processes as given.

The entries are read in position order beside the leaves in index order: the k-th entry must
be the k-th leaf's (so a deleted or inserted entry is named), re-encode and hash to it (so an
edited or moved one is), and decode and apply to its aggregate as a load would. The leaves
feed a Merkle frontier checked against each checkpoint's signed root and the stored nodes (so
a leaf rewritten with its entry is caught too).

Decoding and replaying are most of the cost and aggregates are independent, so with
``workers`` > 1 they are shared out by the last byte of their id (``owner_of``): every worker
reads every row and checks the pairing (a batch at a time; entry by entry only to name a
problem), but hashes, decodes and replays only its own aggregates' entries, and re-checks the
marked ones (verify re-solves the allocations there, in parallel); the first also builds the
tree from the stored leaves (events/verify_tree.py; each leaf checked against its entry by
some worker), so it replays fewer aggregates. The others are forks; each stops at its first
problem, or once another has found one at a lower position, and the lowest is reported, as a
single pass would. A fork is only safe where no other thread can hold a lock the child needs:
the CLI and the bench fork, the served app verifies in one process.
"""

from __future__ import annotations

import gc
import multiprocessing
import struct
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from events.entries import entry_hash
from events.integrity_tables import leaves
from events.ledger import LedgerApplication
from events.store import event_store_tables
from events.verify import (
    BATCH,
    Extent,
    Problem,
    Progress,
    VerificationFailed,
    as_uuid,
    extent,
    stored_bytes,
)
from events.verify_replay import Aggregates
from events.verify_tree import LeafTree

#: Which decoded events' positions a pass returns (verify asks for the allocations).
Mark = Callable[[Any], bool]
#: A further check of a marked event, made by the worker that replays it, as it goes by
#: (verify re-solves each allocation): raises ``VerificationFailed``. What it finds ranks
#: after any problem of the entries themselves, wherever they are.
Recheck = Callable[[int, Any], None]
NOWHERE = 2**63 - 1
#: Of two workers, the first (which also builds the tree) replays this part of the
#: aggregates (by the last byte of their id), the second the rest; likewise among more.
FIRST_SHARE = 0.45
QUIET_GC = (50_000, 20, 100)


@dataclass
class EntriesChecked:
    count: int = 0
    marked: list[int] = field(default_factory=list)
    rechecked: Problem | None = None
    """The first problem the recheck found, at the lowest position (None: none found)."""


def check_entries(app: LedgerApplication, progress: Progress | None = None, total: int = 0,
                  mark: Mark | None = None, scope: Extent | None = None,
                  workers: int = 1, recheck: Recheck | None = None) -> EntriesChecked:
    """The pass, on ``workers`` processes (see the module). Raises ``VerificationFailed``
    naming the problem at the lowest position."""
    scope = scope or extent(app)
    if workers <= 1:
        return _Pass(app, scope, 0, 1, mark, recheck=recheck).run(progress, total)
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
                    args=(app, scope, share, workers, mark, recheck, lowest, sending))
                child.start()
                sending.close()
                children.append((child, receiving))
            try:
                outcomes.append(_Pass(app, scope, 0, workers, mark, lowest,
                                      recheck).run(progress, total))
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
        raise VerificationFailed(min(problems, key=_where))
    checked = [o for o in outcomes if isinstance(o, EntriesChecked)]
    rechecked = [c.rechecked for c in checked if c.rechecked is not None]
    return EntriesChecked(checked[0].count, sorted(p for c in checked for p in c.marked),
                          min(rechecked, key=_where, default=None))


def _worker(app: LedgerApplication, scope: Extent, share: int, shares: int, mark: Mark | None,
            recheck: Recheck | None, lowest: Any, sending: Any) -> None:
    app.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    gc.set_threshold(*QUIET_GC)
    try:
        sending.send(_Pass(app, scope, share, shares, mark, lowest, recheck).run(None, 0))
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


def _where(problem: Problem) -> tuple[int, int]:
    return NOWHERE if problem.position is None else problem.position, problem.rank


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
                 mark: Mark | None, lowest: Any = None, recheck: Recheck | None = None) -> None:
        self.app, self.scope, self.share, self.shares, self.mark = app, scope, share, shares, mark
        self.lowest, self.recheck = lowest, recheck
        self.owners = [owner_of(last_byte, shares) for last_byte in range(256)]
        self.aggregates = Aggregates(app)
        self.checked = EntriesChecked()

    def run(self, progress: Progress | None, total: int) -> EntriesChecked:
        tree = LeafTree(self.app, self.scope) if self.share == 0 else None
        count, last_position = 0, 0
        for rows, leaf_rows in _batches(self.app, self.scope):
            if self.lowest is not None and rows and rows[0][0] > self.lowest.value:
                return self.checked  # another worker found a problem before this batch
            positions = [row[0] for row in rows]
            if _paired(positions, leaf_rows, count):
                stored_leaves = [leaf[2] if type(leaf[2]) is bytes else bytes(leaf[2])
                                 for leaf in leaf_rows]
                for row, stored in self._mine(rows, stored_leaves):
                    self._entry(row, stored)
            else:
                stored_leaves = self._one_by_one(rows, leaf_rows, count, last_position)
            if rows:
                count, last_position = count + len(rows), positions[-1]
            if tree is not None:
                tree.add(stored_leaves, positions, count, last_position)
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
            if self.recheck is not None and self.checked.rechecked is None:
                try:
                    self.recheck(position, event)
                except VerificationFailed as failure:  # reported if the entries all hold
                    self.checked.rechecked = failure.problem
                except Exception as error:  # a malformed record the re-solve trips on
                    self.checked.rechecked = Problem(position, (
                        f"the recorded allocation cannot be re-solved: "
                        f"{type(error).__name__}: {error}"))

    def _mine(self, rows: Sequence[Any], stored_leaves: list[bytes]
              ) -> Iterable[tuple[Any, bytes]]:
        """The batch's entries of this worker's share (the aggregates whose id's last byte
        ``owner_of`` gives to it), each with its stored leaf."""
        if self.shares == 1:
            return zip(rows, stored_leaves, strict=True)
        owners, share = self.owners, self.share
        try:
            mine = [owners[row[1][15]] == share for row in rows]  # ids as SQLite stores them
        except (TypeError, IndexError):
            mine = [_owner(row[1], self.shares) == share for row in rows]
        return [(row, stored) for row, stored, is_mine in zip(rows, stored_leaves, mine,
                                                               strict=True) if is_mine]

    def _one_by_one(self, rows: Sequence[Any], leaf_rows: Sequence[Any], count: int,
                    last_position: int) -> list[bytes]:
        """A batch whose entries and leaves do not pair off: each entry checked in turn, to
        name the first problem (an entry's own, or its pairing) at its position."""
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
            if self.shares == 1 or _owner(row[1], self.shares) == self.share:
                self._entry(row, stored)
            stored_leaves.append(stored)
            last_position = position
            count += 1
        if len(leaf_rows) > len(rows):  # a leaf after the last entry: the ledger ends early
            raise VerificationFailed(Problem(leaf_rows[len(rows)][1], (
                "the entry is missing (deleted): its leaf is stored, the ledger ends "
                "before it")))
        return stored_leaves


def owner_of(last_byte: int, shares: int) -> int:
    """Which of ``shares`` workers replays the aggregates whose id ends in ``last_byte``: the
    first, which also builds the tree, fewer of them (``FIRST_SHARE``), the others the rest."""
    cut = round(256 * FIRST_SHARE * 2 / shares) if shares > 1 else 256
    return 0 if last_byte < cut else 1 + (last_byte - cut) % (shares - 1)


def _owner(raw_id: Any, shares: int) -> int:
    try:
        last = raw_id[15] if type(raw_id) is bytes else as_uuid(raw_id).int & 0xFF
    except (TypeError, ValueError, IndexError):
        last = 0  # unreadable: the first worker reads it and names the problem
    return owner_of(int(last), shares)


def _paired(positions: list[int], leaf_rows: Sequence[Any], count: int) -> bool:
    """Whether each entry of the batch has the next leaf, recorded for its position (the
    leaf indexes are unique and in order, so the first and last settle the rest)."""
    n = len(positions)
    if len(leaf_rows) != n:
        return False
    return n == 0 or (leaf_rows[0][0] == count and leaf_rows[-1][0] == count + n - 1
                      and [leaf[1] for leaf in leaf_rows] == positions
                      and all(type(leaf[0]) is int for leaf in leaf_rows))  # SQLite: 2.5


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
