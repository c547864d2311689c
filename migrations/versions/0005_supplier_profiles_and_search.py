"""Supplier profiles, their vocabulary terms, and the full-text index for matching.

The full-text index is a different object on each database (see
marketplace/readmodels/supplier_tables.py), kept outside the compared metadata:
SQLite: an FTS5 table over ``supplier_profiles.search_text``, kept in step by triggers;
PostgreSQL: a generated tsvector column with a GIN index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

INSTANT = sa.DateTime(timezone=True)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tokens are cut in Python (marketplace/readmodels/search_text.py) and joined by spaces:
# FTS5's ascii tokenizer splits on the spaces only, and array_to_tsvector takes them as they
# are, so both databases index exactly the same tokens.
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE supplier_search USING fts5(search_text, content='supplier_profiles', "
    "content_rowid='search_key', tokenize='ascii', detail='none')",
    "CREATE TRIGGER supplier_search_insert AFTER INSERT ON supplier_profiles BEGIN "
    "INSERT INTO supplier_search(rowid, search_text) VALUES (new.search_key, new.search_text); "
    "END",
    "CREATE TRIGGER supplier_search_delete AFTER DELETE ON supplier_profiles BEGIN "
    "INSERT INTO supplier_search(supplier_search, rowid, search_text) "
    "VALUES ('delete', old.search_key, old.search_text); END",
    "CREATE TRIGGER supplier_search_update AFTER UPDATE OF search_key, search_text "
    "ON supplier_profiles BEGIN "
    "INSERT INTO supplier_search(supplier_search, rowid, search_text) "
    "VALUES ('delete', old.search_key, old.search_text); "
    "INSERT INTO supplier_search(rowid, search_text) VALUES (new.search_key, new.search_text); "
    "END",
)
POSTGRESQL_SEARCH = (
    "ALTER TABLE supplier_profiles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(search_text, ' '))) STORED",
    # Without fastupdate every publication updates the index at once: profiles change
    # rarely and are searched often, and a long pending list slows every search (and turns
    # the planner to scanning the table) until a vacuum merges it.
    "CREATE INDEX ix_supplier_profiles_search_vector ON supplier_profiles "
    "USING gin (search_vector) WITH (fastupdate = off)",
)


def upgrade() -> None:
    op.create_table(
        "supplier_profiles",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("search_key", sa.BigInteger(), nullable=False),
        sa.Column("capacity", sa.Text(), nullable=True),
        sa.Column("description_ja", sa.Text(), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("published_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name="fk_supplier_profiles_organisation_id_organisations"),
        sa.PrimaryKeyConstraint("organisation_id", name="pk_supplier_profiles"),
        sa.UniqueConstraint("search_key", name="uq_supplier_profiles_search_key"),
    )
    op.create_table(
        "supplier_profile_terms",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE",
                                name="fk_supplier_profile_terms_organisation_id_organisations"),
        sa.PrimaryKeyConstraint("organisation_id", "kind", "code",
                                name="pk_supplier_profile_terms"),
    )
    op.create_index("ix_supplier_profile_terms_kind_code_organisation_id",
                    "supplier_profile_terms", ["kind", "code", "organisation_id"])
    op.create_table(
        "supplier_token_counts",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_supplier_token_counts"),
    )
    statements = SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER supplier_search_{trigger}")
        op.execute("DROP TABLE supplier_search")
    op.drop_table("supplier_token_counts")
    op.drop_table("supplier_profile_terms")
    op.drop_table("supplier_profiles")
