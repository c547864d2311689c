"""The tables that make the ledger verifiable (alembic creates them, migration 0008).

``ledger_leaves`` holds each entry's leaf hash, written in the same transaction as the entry;
``ledger_tree_nodes`` the hashes of the tree's perfect subtrees above the leaves, written as
checkpoints extend the tree (they make every proof O(log n) reads); ``ledger_checkpoints``
the signed tree heads. None is a read model: a replay never touches them.
"""

from __future__ import annotations

import sqlalchemy as sa

integrity_metadata = sa.MetaData()
INSTANT = sa.DateTime(timezone=True)

leaves = sa.Table(
    "ledger_leaves", integrity_metadata,
    sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("position", sa.BigInteger, nullable=False, unique=True),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
)

tree_nodes = sa.Table(
    "ledger_tree_nodes", integrity_metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("node_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("node_hash", sa.LargeBinary(32), nullable=False),
)

checkpoints = sa.Table(
    "ledger_checkpoints", integrity_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("origin", sa.String(100), nullable=False),
    sa.Column("tree_size", sa.BigInteger, nullable=False, index=True),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("made_at", INSTANT, nullable=False),
    sa.Column("public_key", sa.LargeBinary(32), nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
)
