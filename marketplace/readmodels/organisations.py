"""The organisations read model: projectors that write it and queries that read it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events import Projectors
from marketplace.domain import Organisation, Prefecture, Role
from marketplace.readmodels.tables import api_tokens, organisation_capabilities, organisations


def register(projectors: Projectors) -> None:
    projectors.owns(organisations, organisation_capabilities, api_tokens)
    projectors.on(Organisation.Registered)(_registered)
    projectors.on(Organisation.ProfileUpdated)(_profile_updated)
    projectors.on(Organisation.ApiTokenIssued)(_api_token_issued)


def _profile_columns(profile: dict[str, Any]) -> dict[str, Any]:
    """The organisations columns for the profile fields given (all, or only those changed)."""
    columns: dict[str, Any] = {name: profile[name] for name in ("name_ja", "name_en", "prefecture")
               if name in profile}
    if "roles" in profile:
        columns.update(is_buyer=Role.BUYER in profile["roles"],
                       is_supplier=Role.SUPPLIER in profile["roles"])
    return columns


def _write_capabilities(connection: Connection, organisation_id: UUID, tags: list[str]) -> None:
    connection.execute(sa.delete(organisation_capabilities)
                    .where(organisation_capabilities.c.organisation_id == organisation_id))
    if tags:
        connection.execute(sa.insert(organisation_capabilities),
                        [{"organisation_id": organisation_id, "tag": tag} for tag in tags])


def _touch(event: Any, position: int) -> dict[str, Any]:
    return {"version": event.originator_version, "position": position,
            "updated_at": event.timestamp}


def _registered(connection: Connection, event: Organisation.Registered, position: int) -> None:
    connection.execute(sa.insert(organisations).values(
        id=event.originator_id, registered_at=event.timestamp,
        **_profile_columns(event.__dict__), **_touch(event, position)))
    _write_capabilities(connection, event.originator_id, event.capabilities)


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
    if "capabilities" in event.changes:
        _write_capabilities(connection, event.originator_id, event.changes["capabilities"])


def _api_token_issued(connection: Connection, event: Organisation.ApiTokenIssued,
                      position: int) -> None:
    connection.execute(sa.insert(api_tokens).values(
        token_hash=event.token_hash, token_id=event.token_id,
        organisation_id=event.originator_id, issued_at=event.timestamp))
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
    version: int
    registered_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return self.name_ja or self.name_en or ""


class OrganisationQueries:
    """Reads of the organisations read model."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, organisation_id: UUID) -> OrganisationView | None:
        found = self.search(ids=[organisation_id])
        return found[0] if found else None

    def search(self, *, role: Role | None = None, prefecture: Prefecture | None = None,
               capability: str | None = None, ids: list[UUID] | None = None,
               limit: int = 100, offset: int = 0) -> list[OrganisationView]:
        """Organisations ordered by name, filtered by role, prefecture and capability tag."""
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
        if ids is not None:
            query = query.where(organisations.c.id.in_(ids))
        query = query.order_by(sa.func.coalesce(organisations.c.name_ja, organisations.c.name_en),
                               organisations.c.id).limit(limit).offset(offset)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
            tags: dict[UUID, list[str]] = {row["id"]: [] for row in rows}
            if tags:
                for organisation_id, tag in connection.execute(
                        sa.select(organisation_capabilities.c.organisation_id,
                                  organisation_capabilities.c.tag)
                        .where(organisation_capabilities.c.organisation_id.in_(list(tags)))
                        .order_by(organisation_capabilities.c.tag)):
                    tags[organisation_id].append(tag)
        return [_view(row, tags[row["id"]]) for row in rows]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(
                sa.select(sa.func.count()).select_from(organisations)).scalar_one())

    def organisation_for_token(self, token: str) -> UUID | None:
        """The organisation a live API token acts for, or None."""
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(api_tokens.c.organisation_id)
                .where(api_tokens.c.token_hash == hash_api_token(token),
                       api_tokens.c.revoked_at.is_(None))).scalar_one_or_none()


def _view(row: Any, capabilities: list[str]) -> OrganisationView:
    prefecture = Prefecture.parse(row["prefecture"])
    roles = [role for role, flag in ((Role.BUYER, row["is_buyer"]),
                                     (Role.SUPPLIER, row["is_supplier"])) if flag]
    return OrganisationView(
        id=row["id"], name_ja=row["name_ja"], name_en=row["name_en"],
        roles=[str(role) for role in roles], prefecture=prefecture.code,
        prefecture_name_en=prefecture.name_en, prefecture_name_ja=prefecture.name_ja,
        capabilities=capabilities, version=row["version"], registered_at=row["registered_at"],
        updated_at=row["updated_at"])
