"""RFQs, their invitations, questions and sealed quotes; purchase orders; needs in an RFQ.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

INSTANT = sa.DateTime(timezone=True)
DECIMAL = sa.String(length=40)  # DecimalText: exact decimals as text

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("needs") as needs:
        needs.add_column(sa.Column("rfq_id", sa.Uuid(), nullable=True))
        needs.create_index("ix_needs_rfq_id", ["rfq_id"])

    op.create_table(
        "rfqs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("closes_at", INSTANT, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("terms_digest", sa.String(length=80), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("required_certifications", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("open_cluster", sa.String(length=60), nullable=True),
        sa.Column("awards", sa.JSON(), nullable=True),
        sa.Column("award_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", INSTANT, nullable=False),
        sa.Column("closed_at", INSTANT, nullable=True),
        sa.Column("awarded_at", INSTANT, nullable=True),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rfqs"),
    )
    op.create_index("ix_rfqs_buyer_id", "rfqs", ["buyer_id"])
    op.create_index("ix_rfqs_closes_at", "rfqs", ["closes_at"])
    op.create_index("ix_rfqs_open_cluster", "rfqs", ["open_cluster"])

    op.create_table(
        "rfq_prefectures",
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("prefecture", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"],
                                name="fk_rfq_prefectures_rfq_id_rfqs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rfq_id", "prefecture", name="pk_rfq_prefectures"),
    )
    op.create_index("ix_rfq_prefectures_prefecture", "rfq_prefectures", ["prefecture"])

    op.create_table(
        "rfq_invitations",
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("invited_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"],
                                name="fk_rfq_invitations_rfq_id_rfqs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rfq_id", "supplier_id", name="pk_rfq_invitations"),
    )
    op.create_index("ix_rfq_invitations_supplier_id", "rfq_invitations", ["supplier_id"])

    op.create_table(
        "rfq_questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("asked_at", INSTANT, nullable=False),
        sa.Column("answered_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"],
                                name="fk_rfq_questions_rfq_id_rfqs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_rfq_questions"),
    )
    op.create_index("ix_rfq_questions_rfq_id", "rfq_questions", ["rfq_id"])

    op.create_table(
        "rfq_quotes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("terms_digest", sa.String(length=80), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("submitted_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"],
                                name="fk_rfq_quotes_rfq_id_rfqs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_rfq_quotes"),
    )
    op.create_index("ix_rfq_quotes_rfq_id", "rfq_quotes", ["rfq_id"])
    op.create_index("ix_rfq_quotes_supplier_id", "rfq_quotes", ["supplier_id"])

    op.create_table(
        "purchase_orders",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("total", DECIMAL, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"],
                                name="fk_purchase_orders_rfq_id_rfqs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("number", name="pk_purchase_orders"),
    )
    op.create_index("ix_purchase_orders_buyer_id", "purchase_orders", ["buyer_id"])
    op.create_index("ix_purchase_orders_rfq_id", "purchase_orders", ["rfq_id"])
    op.create_index("ix_purchase_orders_supplier_id", "purchase_orders", ["supplier_id"])


def downgrade() -> None:
    op.drop_table("purchase_orders")
    op.drop_table("rfq_quotes")
    op.drop_table("rfq_questions")
    op.drop_table("rfq_invitations")
    op.drop_table("rfq_prefectures")
    op.drop_table("rfqs")
    with op.batch_alter_table("needs") as needs:
        needs.drop_index("ix_needs_rfq_id")
        needs.drop_column("rfq_id")
