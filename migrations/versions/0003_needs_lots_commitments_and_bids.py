"""Needs, lots, commitments and bids: the read models of pooled procurement; idempotency keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Read-model column types, spelled as the database sees them (see marketplace/readmodels).
INSTANT = sa.DateTime(timezone=True)
DECIMAL = sa.String(length=40)  # DecimalText: exact decimals as text

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organiser_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("specification", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("closes_at", INSTANT, nullable=False),
        sa.Column("cluster", sa.String(length=60), nullable=True),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("pooled_quantity", DECIMAL, nullable=False),
        sa.Column("buyer_count", sa.Integer(), nullable=False),
        sa.Column("supplier_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", INSTANT, nullable=False),
        sa.Column("closed_at", INSTANT, nullable=True),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lots"),
    )
    op.create_index("ix_lots_category", "lots", ["category"])
    op.create_index("ix_lots_closes_at", "lots", ["closes_at"])
    op.create_index("ix_lots_cluster", "lots", ["cluster"])
    op.create_index("ix_lots_organiser_id", "lots", ["organiser_id"])

    op.create_table(
        "needs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("specification", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column("delivery_prefecture", sa.String(length=5), nullable=False),
        sa.Column("max_unit_price", DECIMAL, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("posted_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_needs"),
    )
    op.create_index("ix_needs_buyer_id", "needs", ["buyer_id"])
    op.create_index("ix_needs_lot_id", "needs", ["lot_id"])

    op.create_table(
        "bids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("is_consortium", sa.Boolean(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("capacity", DECIMAL, nullable=False),
        sa.Column("minimum_quantity", DECIMAL, nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("counts", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("placed_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"],
                                name="fk_bids_lot_id_lots", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_bids"),
    )
    op.create_index("ix_bids_lead_id", "bids", ["lead_id"])
    op.create_index("ix_bids_lot_id", "bids", ["lot_id"])

    op.create_table(
        "lot_commitments",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("max_unit_price", DECIMAL, nullable=True),
        sa.Column("committed_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"],
                                name="fk_lot_commitments_lot_id_lots", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lot_id", "need_id", name="pk_lot_commitments"),
    )
    op.create_index("ix_lot_commitments_buyer_id", "lot_commitments", ["buyer_id"])
    op.create_index("ix_lot_commitments_need_id", "lot_commitments", ["need_id"])

    op.create_table(
        "lot_prefectures",
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("prefecture", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"],
                                name="fk_lot_prefectures_lot_id_lots", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lot_id", "prefecture", name="pk_lot_prefectures"),
    )
    op.create_index("ix_lot_prefectures_prefecture", "lot_prefectures", ["prefecture"])

    op.create_table(
        "lot_suppliers",
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"],
                                name="fk_lot_suppliers_lot_id_lots", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lot_id", "supplier_id", name="pk_lot_suppliers"),
    )
    op.create_index("ix_lot_suppliers_supplier_id", "lot_suppliers", ["supplier_id"])

    op.create_table(
        "bid_members",
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("share", DECIMAL, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"],
                                name="fk_bid_members_bid_id_bids", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bid_id", "organisation_id", name="pk_bid_members"),
    )
    op.create_index("ix_bid_members_organisation_id", "bid_members", ["organisation_id"])

    # Not a read model: the answers to keyed API requests (see marketplace/readmodels).
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=36), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key_hash", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("bid_members")
    op.drop_table("lot_suppliers")
    op.drop_table("lot_prefectures")
    op.drop_table("lot_commitments")
    op.drop_table("bids")
    op.drop_table("needs")
    op.drop_table("lots")
