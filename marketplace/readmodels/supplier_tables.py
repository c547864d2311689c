"""The read-model tables of supplier profiles, and the full-text index kept beside them.

The full-text index is not in ``metadata``: it is a different kind of object on each
database, created by migration 0005 and kept in step with ``supplier_profiles.search_text``
by the database itself, so every write and every replay of that table updates it too.

- SQLite: the FTS5 table ``supplier_search`` (external content: ``supplier_profiles``, rowid
  ``search_key``), filled by triggers on ``supplier_profiles``.
- PostgreSQL: the generated column ``supplier_profiles.search_vector`` (a tsvector of the
  tokens) with a GIN index.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from marketplace.readmodels.tables import UTCDateTime, metadata

supplier_profiles = sa.Table(
    "supplier_profiles", metadata,
    sa.Column("organisation_id", sa.Uuid,
              sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("search_key", sa.BigInteger, nullable=False, unique=True),
    sa.Column("capacity", sa.Text),
    sa.Column("description_ja", sa.Text),
    sa.Column("description_en", sa.Text),
    sa.Column("search_text", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
"""``search_key``: the ledger position of the first publication, a stable integer key for the
full-text index; ``search_text``: the tokens the index holds (see ``search_text.document``)."""

supplier_profile_terms = sa.Table(
    "supplier_profile_terms", metadata,
    sa.Column("organisation_id", sa.Uuid,
              sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Index(None, "kind", "code", "organisation_id"),
)
"""One row per vocabulary term of a profile: kind is process, material, certification or
industry. The index makes "who does press working" one range read."""

supplier_token_counts = sa.Table(
    "supplier_token_counts", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("documents", sa.Integer, nullable=False),
)
"""How many profiles hold each search token: the same on both databases, it weighs the
tokens (rare ones count more) and keeps the common ones out of the full-text query. The
empty token, which every profile holds, counts the profiles."""

SEARCH_TABLE = "supplier_search"
SEARCH_VECTOR = "search_vector"
SEARCH_VECTOR_INDEX = "ix_supplier_profiles_search_vector"


def is_search_index(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Whether a database object is part of the full-text index (outside ``metadata``)."""
    if type_ == "table":
        return name == SEARCH_TABLE or str(name).startswith(f"{SEARCH_TABLE}_")
    if type_ == "column":
        return name == SEARCH_VECTOR and parent_names.get("table_name") == "supplier_profiles"
    return type_ == "index" and name == SEARCH_VECTOR_INDEX
