"""Reading members: one query for a member with its organisation's name and time zone."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.members import DEFAULT_TIME_ZONE, Member, decode_roles
from marketplace.accounts.tables import members, organisation_settings
from marketplace.readmodels.tables import organisations


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def member_query(*extra: Any) -> sa.Select[Any]:
    return (sa.select(members, sa.func.coalesce(organisation_settings.c.time_zone,
                                                sa.literal(DEFAULT_TIME_ZONE)).label("time_zone"),
                      organisations.c.name_ja.label("organisation_name_ja"),
                      organisations.c.name_en.label("organisation_name_en"), *extra)
            .outerjoin(organisation_settings,
                       organisation_settings.c.organisation_id == members.c.organisation_id)
            .outerjoin(organisations, organisations.c.id == members.c.organisation_id))


def member_from_row(row: Any, zone: str) -> Member:
    names = row._mapping
    organisation_name = (names.get("organisation_name_ja") or names.get("organisation_name_en")
                         or "")
    return Member(row.id, row.organisation_id, row.email, row.display_name,
                  decode_roles(row.roles), zone, organisation_name)
