"""The organisations read model: projectors that write it and queries that read it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events import Projectors, reading
from marketplace.domain import Organisation, Prefecture, Role
from marketplace.readmodels.tables import (
    api_tokens,
    organisation_capabilities,
    organisation_clusters,
    organisations,
)


def register(projectors: Projectors) -> None:
    projectors.owns(organisations, organisation_capabilities, organisation_clusters, api_tokens)
    projectors.on(Organisation.Registered)(_registered)
    projectors.on(Organisation.ProfileUpdated)(_profile_updated)
    projectors.on(Organisation.ApiTokenIssued)(_api_token_issued)
    projectors.on(Organisation.ApiTokenRevoked)(_api_token_revoked)


def _profile_columns(profile: dict[str, Any]) -> dict[str, Any]:
    """The organisations columns for the profile fields given (all, or only those changed)."""
    columns: dict[str, Any] = {name: profile[name] for name in ("name_ja", "name_en", "prefecture")
               if name in profile}
    if "roles" in profile:
        columns.update(is_buyer=Role.BUYER in profile["roles"],
                       is_supplier=Role.SUPPLIER in profile["roles"])
    return columns


#: The profile's lists, each kept in its own table: (profile field, table, column).
_LISTS = (("capabilities", organisation_capabilities, "tag"),
          ("clusters", organisation_clusters, "cluster"))


def _write_lists(connection: Connection, organisation_id: UUID, profile: dict[str, Any]) -> None:
    """Replaces the rows of each list present in ``profile`` (all, or only those changed)."""
    for field, table, column in _LISTS:
        if field not in profile:
            continue
        connection.execute(sa.delete(table).where(table.c.organisation_id == organisation_id))
        if profile[field]:
            connection.execute(sa.insert(table), [{"organisation_id": organisation_id,
                                                   column: value} for value in profile[field]])


def _touch(event: Any, position: int) -> dict[str, Any]:
    return {"version": event.originator_version, "position": position,
            "updated_at": event.timestamp}


def _registered(connection: Connection, event: Organisation.Registered, position: int) -> None:
    connection.execute(sa.insert(organisations).values(
        id=event.originator_id, registered_at=event.timestamp,
        **_profile_columns(event.__dict__), **_touch(event, position)))
    # Registered events recorded before clusters existed have none.
    _write_lists(connection, event.originator_id, {"clusters": [], **event.__dict__})


_updates: dict[frozenset[str], sa.Update] = {}


def _update_organisation(connection: Connection, organisation_id: UUID,
                         values: dict[str, Any]) -> None:
    # One prepared statement per set of changed columns: building and compiling a fresh
    # UPDATE for every event cost more than running it.
    columns = frozenset(values)
    statement = _updates.get(columns)
    if statement is None:
        statement = (sa.update(organisations)
                     .where(organisations.c.id == sa.bindparam("organisation_id"))
                     .values({name: sa.bindparam(name) for name in columns}))
        _updates[columns] = statement
    connection.execute(statement, {"organisation_id": organisation_id, **values})


def _profile_updated(connection: Connection, event: Organisation.ProfileUpdated,
                     position: int) -> None:
    _update_organisation(connection, event.originator_id,
                         {**_profile_columns(event.changes), **_touch(event, position)})
    _write_lists(connection, event.originator_id, event.changes)


def _api_token_issued(connection: Connection, event: Organisation.ApiTokenIssued,
                      position: int) -> None:
    connection.execute(sa.insert(api_tokens).values(
        token_hash=event.token_hash, token_id=event.token_id,
        organisation_id=event.originator_id, issued_at=event.timestamp,
        label=getattr(event, "label", None)))  # absent from events before labels existed
    _update_organisation(connection, event.originator_id, _touch(event, position))


def _api_token_revoked(connection: Connection, event: Organisation.ApiTokenRevoked,
                       position: int) -> None:
    connection.execute(sa.update(api_tokens).where(api_tokens.c.token_id == event.token_id)
                       .values(revoked_at=event.timestamp))
    _update_organisation(connection, event.originator_id, _touch(event, position))


def hash_api_token(token: str) -> str:
    """Tokens carry 256 random bits, so one SHA-256 suffices (no slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class OrganisationView:
    id: UUID
    name_ja: str | None
    name_en: str | None
    roles: list[str]
    prefecture: str
    prefecture_name_en: str
    prefecture_name_ja: str
    capabilities: list[str]
    clusters: list[str]
    version: int
    registered_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return self.name_ja or self.name_en or ""


@dataclass(frozen=True)
class ApiTokenView:
    """An API token as its organisation sees it: never the token, never its hash."""

    token_id: UUID
    label: str | None
    issued_at: datetime
    revoked_at: datetime | None


class OrganisationQueries:
    """Reads of the organisations read model."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, organisation_id: UUID) -> OrganisationView | None:
        found = self.search(ids=[organisation_id])
        return found[0] if found else None

    def search(self, *, role: Role | None = None, prefecture: Prefecture | None = None,
               capability: str | None = None, cluster: str | None = None,
               ids: list[UUID] | None = None, limit: int = 100,
               offset: int = 0) -> list[OrganisationView]:
        """Organisations ordered by name, filtered by role, prefecture, capability tag and
        cluster (tag and cluster in their normalised form)."""
        query = sa.select(organisations)
        if role is Role.BUYER:
            query = query.where(organisations.c.is_buyer)
        elif role is Role.SUPPLIER:
            query = query.where(organisations.c.is_supplier)
        if prefecture is not None:
            query = query.where(organisations.c.prefecture == prefecture.code)
        if capability is not None:
            query = query.where(organisations.c.id.in_(
                sa.select(organisation_capabilities.c.organisation_id)
                .where(organisation_capabilities.c.tag == capability)))
        if cluster is not None:
            query = query.where(organisations.c.id.in_(
                sa.select(organisation_clusters.c.organisation_id)
                .where(organisation_clusters.c.cluster == cluster)))
        if ids is not None:
            query = query.where(organisations.c.id.in_(ids))
        query = query.order_by(sa.func.coalesce(organisations.c.name_ja, organisations.c.name_en),
                               organisations.c.id).limit(limit).offset(offset)
        with reading(self.engine) as connection:
            rows = connection.execute(query).mappings().all()
            ids = [row["id"] for row in rows]
            lists = {field: _list_values(connection, table, column, ids)
                     for field, table, column in _LISTS}
        return [_view(row, **{field: values.get(row["id"], [])
                              for field, values in lists.items()}) for row in rows]

    def count(self) -> int:
        with reading(self.engine) as connection:
            return int(connection.execute(
                sa.select(sa.func.count()).select_from(organisations)).scalar_one())

    def organisation_for_token(self, token: str) -> UUID | None:
        """The organisation a live API token acts for, or None."""
        with reading(self.engine) as connection:
            return connection.execute(
                sa.select(api_tokens.c.organisation_id)
                .where(api_tokens.c.token_hash == hash_api_token(token),
                       api_tokens.c.revoked_at.is_(None))).scalar_one_or_none()


    def api_tokens(self, organisation_id: UUID) -> list[ApiTokenView]:
        """The organisation's API tokens, live and revoked, oldest first."""
        with reading(self.engine) as connection:
            rows = connection.execute(
                sa.select(api_tokens.c.token_id, api_tokens.c.label, api_tokens.c.issued_at,
                          api_tokens.c.revoked_at)
                .where(api_tokens.c.organisation_id == organisation_id)
                .order_by(api_tokens.c.issued_at, api_tokens.c.token_id)).all()
        return [ApiTokenView(*row) for row in rows]


def _list_values(connection: Connection, table: sa.Table, column: str,
                 ids: list[UUID]) -> dict[UUID, list[str]]:
    """One profile list (capabilities or clusters) of each organisation, sorted."""
    values: dict[UUID, list[str]] = {}
    if ids:
        for organisation_id, value in connection.execute(
                sa.select(table.c.organisation_id, table.c[column])
                .where(table.c.organisation_id.in_(ids)).order_by(table.c[column])):
            values.setdefault(organisation_id, []).append(value)
    return values


def _view(row: Any, capabilities: list[str], clusters: list[str]) -> OrganisationView:
    prefecture = Prefecture.parse(row["prefecture"])
    roles = [role for role, flag in ((Role.BUYER, row["is_buyer"]),
                                     (Role.SUPPLIER, row["is_supplier"])) if flag]
    return OrganisationView(
        id=row["id"], name_ja=row["name_ja"], name_en=row["name_en"],
        roles=[str(role) for role in roles], prefecture=prefecture.code,
        prefecture_name_en=prefecture.name_en, prefecture_name_ja=prefecture.name_ja,
        capabilities=capabilities, clusters=clusters, version=row["version"],
        registered_at=row["registered_at"], updated_at=row["updated_at"])
