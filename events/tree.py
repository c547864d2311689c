"""The ledger's Merkle tree in the database: leaves, stored subtrees, proofs.

Each entry's leaf hash is written with the entry (``append_leaves``, in the command's own
transaction), so an entry edited afterwards no longer matches its leaf. The perfect subtrees
above the leaves are stored as checkpoints extend the tree (``extend``), so that any proof
costs O(log n) point reads and a checkpoint after k more entries costs O(k) hashes, whatever
the size of the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events import merkle
from events.entries import entry_hash
from events.integrity_tables import leaves, tree_nodes

#: Rows read or written per statement when the tree grows.
BATCH = 5_000


#: Built once: a statement built per command costs more in SQLAlchemy than running it.
_LAST_LEAF = sa.select(sa.func.max(leaves.c.leaf_index))
_INSERT_LEAF = leaves.insert()


class TreeError(LookupError):
    """A node of the tree that should be stored is not (the tree was not built that far)."""


def append_leaves(connection: Connection, entries: Sequence[tuple[int, UUID, int, str, bytes]]
                  ) -> None:
    """Writes the leaves of new entries (position, aggregate id, version, topic, state),
    in position order, under the ledger's write lock."""
    if not entries:
        return
    last = connection.execute(_LAST_LEAF).scalar()
    start = -1 if last is None else int(last)
    connection.execute(_INSERT_LEAF, [
        {"leaf_index": start + offset, "position": entry[0], "leaf_hash": entry_hash(*entry)}
        for offset, entry in enumerate(entries, start=1)])


def leaf_count(connection: Connection) -> int:
    last = connection.execute(_LAST_LEAF).scalar()
    return 0 if last is None else int(last) + 1


def leaf_at(connection: Connection, position: int) -> tuple[int, bytes] | None:
    """(leaf index, leaf hash) of the entry at this ledger position."""
    row = connection.execute(sa.select(leaves.c.leaf_index, leaves.c.leaf_hash)
                             .where(leaves.c.position == position)).first()
    return None if row is None else (int(row[0]), bytes(row[1]))


def position_of(connection: Connection, leaf_index: int) -> int | None:
    return connection.execute(sa.select(leaves.c.position)
                              .where(leaves.c.leaf_index == leaf_index)).scalar()


def lookup(connection: Connection) -> merkle.NodeLookup:
    """Stored subtree hashes by (level, index): level 0 from the leaves, above from the nodes."""
    leaf_query = sa.select(leaves.c.leaf_hash).where(
        leaves.c.leaf_index == sa.bindparam("index"))
    node_query = sa.select(tree_nodes.c.node_hash).where(
        tree_nodes.c.level == sa.bindparam("level"),
        tree_nodes.c.node_index == sa.bindparam("index"))

    def node(level: int, index: int) -> bytes:
        if level == 0:
            value = connection.execute(leaf_query, {"index": index}).scalar()
        else:
            value = connection.execute(node_query, {"level": level, "index": index}).scalar()
        if value is None:
            raise TreeError(f"the ledger tree has no stored node ({level}, {index}); "
                            "make a checkpoint first")
        return bytes(value)
    return node


def extend(connection: Connection, built: int, size: int) -> bytes:
    """Stores the subtrees completed between a tree of ``built`` leaves and one of ``size``,
    and returns the root of the latter."""
    if not 0 <= built <= size:
        raise ValueError(f"cannot extend a tree of {built} leaves to {size}")
    pending: list[dict[str, Any]] = []

    def store(level: int, first: int, nodes: list[bytes]) -> None:
        pending.extend({"level": level, "node_index": first + offset, "node_hash": node}
                       for offset, node in enumerate(nodes))
        if len(pending) >= BATCH:
            flush()

    def flush() -> None:
        if pending:
            connection.execute(tree_nodes.insert(), pending)
            pending.clear()

    frontier = merkle.Frontier.at(built, lookup(connection), on_nodes=store)
    for leaf in leaf_hashes(connection, built, size):
        frontier.append(leaf)
    flush()
    if frontier.size != size:
        raise TreeError(f"the ledger holds {frontier.size} leaves, not {size}")
    return frontier.root()


def leaf_hashes(connection: Connection, start: int, stop: int) -> Iterator[bytes]:
    """The leaf hashes of indexes [start, stop), read in batches."""
    while start < stop:
        rows = connection.execute(
            sa.select(leaves.c.leaf_hash)
            .where(leaves.c.leaf_index >= start, leaves.c.leaf_index < min(stop, start + BATCH))
            .order_by(leaves.c.leaf_index)).all()
        if not rows:
            return
        for row in rows:
            yield bytes(row[0])
        start += len(rows)


def inclusion_proof(connection: Connection, leaf_index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(lookup(connection), leaf_index, size)


def consistency_proof(connection: Connection, first: int, second: int) -> list[bytes]:
    return merkle.consistency_proof(lookup(connection), first, second)


def root_at(connection: Connection, size: int) -> bytes:
    """The root of the first ``size`` leaves, from stored subtrees (O(log n) reads)."""
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.subtree_hash(lookup(connection), 0, size)
