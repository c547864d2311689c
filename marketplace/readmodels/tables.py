"""The read-model tables: written only by projectors, rebuilt from the ledger by replay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An instant stored in UTC and read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant: datetime = value
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


organisations = sa.Table(
    "organisations", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name_ja", sa.Text),
    sa.Column("name_en", sa.Text),
    sa.Column("is_buyer", sa.Boolean, nullable=False),
    sa.Column("is_supplier", sa.Boolean, nullable=False),
    sa.Column("prefecture", sa.String(5), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("registered_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

organisation_capabilities = sa.Table(
    "organisation_capabilities", metadata,
    sa.Column("organisation_id", sa.Uuid,
              sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", sa.String(40), primary_key=True),
    sa.Index(None, "tag"),
)

organisation_clusters = sa.Table(
    "organisation_clusters", metadata,
    sa.Column("organisation_id", sa.Uuid,
              sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("cluster", sa.String(60), primary_key=True),
    sa.Index(None, "cluster"),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("token_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("organisation_id", sa.Uuid,
              sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("label", sa.String(80)),
)
