"""Organisations' clusters, and labels on API tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_clusters",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("cluster", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name="fk_organisation_clusters_organisation_id_organisations"),
        sa.PrimaryKeyConstraint("organisation_id", "cluster", name="pk_organisation_clusters"),
    )
    op.create_index("ix_organisation_clusters_cluster", "organisation_clusters", ["cluster"])
    op.add_column("api_tokens", sa.Column("label", sa.String(length=80), nullable=True))


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place, as PostgreSQL does.
    op.drop_column("api_tokens", "label")
    op.drop_index("ix_organisation_clusters_cluster", table_name="organisation_clusters")
    op.drop_table("organisation_clusters")
