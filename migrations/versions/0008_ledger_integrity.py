"""Ledger integrity: a leaf hash per entry, the stored subtrees, signed checkpoints.

The leaves of the entries already recorded are computed here, in position order, so that a
ledger begun before this migration is verifiable from its first entry.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy_utils.types.uuid import UUIDType

from events.entries import entry_hash

INSTANT = sa.DateTime(timezone=True)
BATCH = 5_000

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    leaves = op.create_table(
        "ledger_leaves",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name="pk_ledger_leaves"),
        sa.UniqueConstraint("position", name="uq_ledger_leaves_position"),
    )
    op.create_table(
        "ledger_tree_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("node_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("node_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name="pk_ledger_tree_nodes"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("made_at", INSTANT, nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_checkpoints"),
    )
    op.create_index("ix_ledger_checkpoints_tree_size", "ledger_checkpoints", ["tree_size"])
    _backfill_leaves(leaves)


def _backfill_leaves(leaves: sa.Table) -> None:
    connection = op.get_bind()
    events = sa.table("ledger_events", sa.column("id"),
                      sa.column("originator_id", UUIDType(binary=True)),
                      sa.column("originator_version"), sa.column("topic"),
                      sa.column("state", sa.LargeBinary()))
    last, index = 0, 0
    while True:
        rows = connection.execute(
            sa.select(events.c.id, events.c.originator_id, events.c.originator_version,
                      events.c.topic, events.c.state)
            .where(events.c.id > last).order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(leaves.insert(), [
            {"leaf_index": index + offset, "position": row[0],
             "leaf_hash": entry_hash(row[0], row[1], row[2], row[3], bytes(row[4]))}
            for offset, row in enumerate(rows)])
        index += len(rows)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_ledger_checkpoints_tree_size", table_name="ledger_checkpoints")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_tree_nodes")
    op.drop_table("ledger_leaves")
