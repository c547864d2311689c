"""The accounts tables: people, their memberships, invitations, sessions and failed logins.

Not read models and not on the ledger: a password hash or a session is no commitment, and the
ledger is exported to auditors. Replay never touches these tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.readmodels.tables import UTCDateTime, metadata

members = sa.Table(
    "members", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("organisation_id", sa.Uuid, nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("roles", sa.String(64), nullable=False),
    sa.Column("joined_at", UTCDateTime, nullable=False),
)

organisation_settings = sa.Table(
    "organisation_settings", metadata,
    sa.Column("organisation_id", sa.Uuid, primary_key=True),
    sa.Column("time_zone", sa.String(64), nullable=False),
)

invitations = sa.Table(
    "invitations", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("organisation_id", sa.Uuid, nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("roles", sa.String(64), nullable=False),
    sa.Column("invited_by", sa.Uuid, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("accepted_at", UTCDateTime),
)

web_sessions = sa.Table(
    "web_sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.Uuid, sa.ForeignKey("members.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
)

login_failures = sa.Table(
    "login_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("failed_at", UTCDateTime, nullable=False),
    sa.Index(None, "email", "failed_at"),
    sa.Index(None, "address", "failed_at"),
)
