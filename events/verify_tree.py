"""The tree part of pass 2 of the verify (events/verify_entries.py): the stored leaves, in
order, to the roots the checkpoints sign and to the stored nodes (so that a leaf rewritten
with its entry is caught too, and a receipt made from a bad node is not)."""

from __future__ import annotations

from events import merkle
from events.checkpoints import Checkpoint
from events.integrity_tables import tree_nodes
from events.ledger import LedgerApplication
from events.verify import Extent, Problem, VerificationFailed, checkpoints_in_order


class LeafTree:
    """The leaves to the roots the checkpoints sign, and to the stored nodes."""

    def __init__(self, app: LedgerApplication, scope: Extent) -> None:
        self.nodes = StoredNodes(app, scope.built)
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


class StoredNodes:
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
