"""The ledger's event store, and the organisations read model.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy_utils.types.uuid import UUIDType

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# eventsourcing-sqlalchemy's column types: 64-bit ids (INTEGER on SQLite for rowid
# autoincrement), and UUIDs as 16 bytes on SQLite, native UUID on PostgreSQL.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_events",
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("originator_id", UUIDType(binary=True), nullable=False),
        sa.Column("originator_version", BIGINT, nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ledger_events_aggregate_idx", "ledger_events",
                    ["originator_id", "originator_version"], unique=True)
    op.create_table(
        "ledger_snapshots",
        sa.Column("originator_id", UUIDType(binary=True), nullable=False),
        sa.Column("originator_version", BIGINT, nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("originator_id", "originator_version"),
    )
    op.create_table(
        "ledger_tracking",
        sa.Column("application_name", sa.String(length=32), nullable=False),
        sa.Column("notification_id", BIGINT, nullable=True),
        sa.PrimaryKeyConstraint("application_name"),
    )

    op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name_ja", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("is_buyer", sa.Boolean(), nullable=False),
        sa.Column("is_supplier", sa.Boolean(), nullable=False),
        sa.Column("prefecture", sa.String(length=5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )
    op.create_index("ix_organisations_prefecture", "organisations", ["prefecture"])
    op.create_table(
        "organisation_capabilities",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name="fk_organisation_capabilities_organisation_id_organisations"),
        sa.PrimaryKeyConstraint("organisation_id", "tag", name="pk_organisation_capabilities"),
    )
    op.create_index("ix_organisation_capabilities_tag", "organisation_capabilities", ["tag"])
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", INSTANT, nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name="fk_api_tokens_organisation_id_organisations"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_api_tokens"),
        sa.UniqueConstraint("token_id", name="uq_api_tokens_token_id"),
    )
    op.create_index("ix_api_tokens_organisation_id", "api_tokens", ["organisation_id"])


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_table("organisation_capabilities")
    op.drop_table("organisations")
    op.drop_table("ledger_tracking")
    op.drop_table("ledger_snapshots")
    op.drop_table("ledger_events")
