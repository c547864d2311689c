"""Allocations of closed lots; lots' supplier limit; bids' delivery costs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

INSTANT = sa.DateTime(timezone=True)
DECIMAL = sa.String(length=40)  # DecimalText: exact decimals as text

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lots", sa.Column("max_suppliers", sa.Integer(), nullable=True))
    op.add_column("lots", sa.Column("allocated_at", INSTANT, nullable=True))
    op.add_column("bids", sa.Column("delivery_costs", sa.JSON(), nullable=True))
    op.create_table(
        "lot_allocations",
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("input_digest", sa.String(length=80), nullable=False),
        sa.Column("served_quantity", DECIMAL, nullable=False),
        sa.Column("total_cost", DECIMAL, nullable=False),
        sa.Column("pool_unit_price", DECIMAL, nullable=True),
        sa.Column("total_saving", DECIMAL, nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("allocated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"],
                                name="fk_lot_allocations_lot_id_lots", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lot_id", name="pk_lot_allocations"),
    )


def downgrade() -> None:
    op.drop_table("lot_allocations")
    op.drop_column("bids", "delivery_costs")
    op.drop_column("lots", "allocated_at")
    op.drop_column("lots", "max_suppliers")
