"""The supplier profiles read model: the projector that writes it and the query that reads it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from events import Projectors, reading
from marketplace.domain import Organisation
from marketplace.domain.capabilities import VOCABULARIES, Kind
from marketplace.readmodels.search_text import document
from marketplace.readmodels.supplier_tables import (
    supplier_profile_terms,
    supplier_profiles,
    supplier_token_counts,
)
from marketplace.readmodels.tables import organisations

#: The profile's term lists: (profile field, kind of term).
TERM_FIELDS = (("processes", Kind.PROCESS), ("materials", Kind.MATERIAL),
               ("certifications", Kind.CERTIFICATION), ("industries", Kind.INDUSTRY))
TEXT_FIELDS = ("capacity", "description_ja", "description_en")


def register(projectors: Projectors) -> None:
    projectors.owns(supplier_profiles, supplier_profile_terms, supplier_token_counts)
    projectors.on(Organisation.SupplierProfilePublished)(_published)


def _published(connection: Connection, event: Organisation.SupplierProfilePublished,
               position: int) -> None:
    organisation_id, changes = event.originator_id, event.changes
    touch = {"version": event.originator_version, "position": position,
             "updated_at": event.timestamp}
    current = connection.execute(
        sa.select(*(supplier_profiles.c[name] for name in (*TEXT_FIELDS, "search_text")))
        .where(supplier_profiles.c.organisation_id == organisation_id)).mappings().first()
    texts = {**{name: current[name] for name in TEXT_FIELDS if current is not None},
             **{name: changes[name] for name in TEXT_FIELDS if name in changes}}
    # The full-text index holds the supplier's own words (descriptions, capacity note); its
    # vocabulary terms are matched as codes, so keyword search stays keyword search.
    search_text = document(*(texts.get(name) for name in TEXT_FIELDS))
    _count_tokens(connection, ["", *current["search_text"].split()] if current else [],
                  ["", *search_text.split()])
    values = {**texts, "search_text": search_text, **touch}
    if current is None:
        connection.execute(sa.insert(supplier_profiles).values(
            organisation_id=organisation_id, search_key=position, published_at=event.timestamp,
            **values))
    else:
        connection.execute(sa.update(supplier_profiles)
                           .where(supplier_profiles.c.organisation_id == organisation_id)
                           .values(**values))
    for field, kind in TERM_FIELDS:
        if field in changes:
            _replace_terms(connection, organisation_id, kind, changes[field])
    connection.execute(sa.update(organisations).where(organisations.c.id == organisation_id)
                       .values(**touch))


def _count_tokens(connection: Connection, before: list[str], after: list[str]) -> None:
    """Keeps each token's number of profiles: one more for the new, one fewer for the gone.
    The empty token, which every profile holds, counts the profiles."""
    gone = sorted(set(before) - set(after))
    changes = [{"token": token, "documents": 1} for token in sorted(set(after) - set(before))]
    changes += [{"token": token, "documents": -1} for token in gone]
    if not changes:
        return
    table = supplier_token_counts
    insert = (sqlite.insert(table) if connection.dialect.name == "sqlite"
              else postgresql.insert(table))
    connection.execute(insert.on_conflict_do_update(
        index_elements=[table.c.token],
        set_={"documents": table.c.documents + insert.excluded.documents}), changes)
    if gone:
        connection.execute(sa.delete(table).where(table.c.token.in_(gone),
                                                  table.c.documents == 0))


def _replace_terms(connection: Connection, organisation_id: UUID, kind: Kind,
                   codes: Iterable[str]) -> None:
    table = supplier_profile_terms
    connection.execute(sa.delete(table).where(table.c.organisation_id == organisation_id,
                                              table.c.kind == kind.value))
    rows = [{"organisation_id": organisation_id, "kind": kind.value, "code": code}
            for code in codes]
    if rows:
        connection.execute(sa.insert(table), rows)


@dataclass(frozen=True)
class TermView:
    """A vocabulary term as buyers read it."""

    code: str
    label_en: str
    label_ja: str

    @classmethod
    def of(cls, kind: Kind, code: str) -> TermView:
        term = VOCABULARIES[kind][code]
        return cls(code=term.code, label_en=term.label_en, label_ja=term.label_ja)


@dataclass(frozen=True)
class SupplierProfileView:
    organisation_id: UUID
    name_ja: str | None
    name_en: str | None
    prefecture: str
    processes: list[TermView]
    materials: list[TermView]
    certifications: list[TermView]
    industries: list[TermView]
    capacity: str | None
    description_ja: str | None
    description_en: str | None
    published_at: datetime
    updated_at: datetime


class SupplierProfileQueries:
    """Reads of the supplier profiles read model."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, organisation_id: UUID) -> SupplierProfileView | None:
        """The organisation's published supplier profile, or None if it has none."""
        with reading(self.engine) as connection:
            row = connection.execute(
                sa.select(supplier_profiles, organisations.c.name_ja, organisations.c.name_en,
                          organisations.c.prefecture)
                .join(organisations, organisations.c.id == supplier_profiles.c.organisation_id)
                .where(supplier_profiles.c.organisation_id == organisation_id)
            ).mappings().first()
            if row is None:
                return None
            terms = terms_of(connection, [organisation_id]).get(organisation_id, {})
        return _view(row, terms)


def terms_of(connection: Connection,
             ids: list[UUID]) -> dict[UUID, dict[Kind, list[str]]]:
    """Each organisation's profile terms by kind, codes sorted."""
    found: dict[UUID, dict[Kind, list[str]]] = {}
    if ids:
        for organisation_id, kind, code in connection.execute(
                sa.select(supplier_profile_terms.c.organisation_id, supplier_profile_terms.c.kind,
                          supplier_profile_terms.c.code)
                .where(supplier_profile_terms.c.organisation_id.in_(ids))
                .order_by(supplier_profile_terms.c.code)):
            found.setdefault(organisation_id, {}).setdefault(Kind(kind), []).append(code)
    return found


def _view(row: Any, terms: dict[Kind, list[str]]) -> SupplierProfileView:
    lists = {field: [TermView.of(kind, code) for code in terms.get(kind, [])]
             for field, kind in TERM_FIELDS}
    return SupplierProfileView(
        organisation_id=row["organisation_id"], name_ja=row["name_ja"], name_en=row["name_en"],
        prefecture=row["prefecture"], **lists, capacity=row["capacity"],
        description_ja=row["description_ja"], description_en=row["description_en"],
        published_at=row["published_at"], updated_at=row["updated_at"])
