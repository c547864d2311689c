"""Reading matching's candidates: suppliers by their vocabulary terms, and by their words.

The vocabulary fit is computed by the database (one grouped read of the terms index, the
same CASE arithmetic as ``ranking.term_fit``) so that only the shortlist comes back, however
many suppliers share a common term. The words go through the full-text index: FTS5 on
SQLite, the GIN-indexed tsvector on PostgreSQL, both over the same tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from marketplace.domain import PREFECTURES
from marketplace.domain.capabilities import VOCABULARIES, Kind
from marketplace.readmodels import ranking
from marketplace.readmodels.ranking import Candidate, Need
from marketplace.readmodels.search_text import postgresql_tsquery, sqlite_match
from marketplace.readmodels.supplier_tables import (
    supplier_profile_terms,
    supplier_profiles,
    supplier_token_counts,
)
from marketplace.readmodels.tables import organisations

KINDS = (Kind.PROCESS, Kind.MATERIAL, Kind.CERTIFICATION)


def by_vocabulary(connection: Connection, need: Need, exclude: Iterable[UUID], *, limit: int,
                  including: list[UUID]) -> dict[UUID, Candidate]:
    """Suppliers holding a wanted process or material or a term related to one, with their
    fit per kind: the best ``limit`` by fit and distance, and any of those ``including``
    (the full-text hits, whose fit the ranking needs too)."""
    # One index range per kind (a union, not an OR: given statistics, SQLite would rather
    # scan the whole table in organisation order than read two ranges and group them).
    terms = supplier_profile_terms
    fits: dict[Kind, list[Any]] = {}
    ranges: dict[Kind, sa.Select[Any]] = {}
    for kind in KINDS:
        codes: set[str] = set()
        for code in sorted(need.wanted(kind)):
            groups = ranking.fit_groups(VOCABULARIES[kind], code)
            codes.update(*(group for group, _ in groups))
            fits.setdefault(kind, []).append(groups)
        if codes:
            ranges[kind] = (sa.select(terms.c.organisation_id, terms.c.kind, terms.c.code)
                            .where(terms.c.kind == kind.value, terms.c.code.in_(sorted(codes))))
    if not ranges:
        return {}
    # A certification alone makes no candidate (most firms hold ISO 9001): unless the need
    # names nothing else, its rows are read only for the suppliers found by the others.
    branches = [ranges[kind] for kind in (Kind.PROCESS, Kind.MATERIAL) if kind in ranges]
    if not branches:
        branches = [ranges[Kind.CERTIFICATION]]
    elif Kind.CERTIFICATION in ranges:
        found = sa.union_all(*branches).subquery()
        branches.append(ranges[Kind.CERTIFICATION].where(
            terms.c.organisation_id.in_(sa.select(found.c.organisation_id))))
    rows = sa.union_all(*branches).subquery()
    grouped = sa.select(rows.c.organisation_id, *(
        sa.func.max(sa.case(*((sa.and_(rows.c.kind == kind.value,
                                       rows.c.code.in_(sorted(group))), value)
                              for group, value in groups), else_=0.0)).label(f"{kind.value}_{n}")
        for kind in fits for n, groups in enumerate(fits[kind])
    )).group_by(rows.c.organisation_id).subquery()
    kind_fits = {kind: _mean([grouped.c[f"{kind.value}_{n}"] for n in range(len(columns))])
                 for kind, columns in fits.items()}
    query = (sa.select(grouped.c.organisation_id, organisations.c.prefecture,
                       *(fit.label(kind.value) for kind, fit in kind_fits.items()))
             .join(organisations, organisations.c.id == grouped.c.organisation_id)
             .where(organisations.c.is_supplier))
    query = _eligible(query, grouped.c.organisation_id, need, exclude)
    base = sum((ranking.WEIGHTS[kind.value] * fit for kind, fit in kind_fits.items()),
               _proximity(need))
    hit = sa.case((grouped.c.organisation_id.in_(including), 1), else_=0) if including \
        else sa.literal(0)
    query = query.order_by(hit.desc(), base.desc(), grouped.c.organisation_id)
    query = query.limit(limit + len(including))
    return {row.organisation_id: Candidate(row.prefecture, fits={
        kind: float(getattr(row, kind.value)) for kind in kind_fits})
        for row in connection.execute(query)}


def complete(connection: Connection, need: Need, candidates: dict[UUID, Candidate],
             ids: list[UUID]) -> dict[UUID, tuple[str | None, str | None]]:
    """Reads the names and shared tokens of the shortlist (adding full-text hits that hold
    no wanted term); leaves out non-suppliers and those lacking a required certification."""
    query = (sa.select(supplier_profiles.c.organisation_id, supplier_profiles.c.search_text,
                       organisations.c.prefecture, organisations.c.name_ja,
                       organisations.c.name_en)
             .join(organisations, organisations.c.id == supplier_profiles.c.organisation_id)
             .where(supplier_profiles.c.organisation_id.in_(ids), organisations.c.is_supplier))
    names = {}
    for row in connection.execute(_eligible(query, supplier_profiles.c.organisation_id, need, ())):
        candidate = candidates.setdefault(row.organisation_id, Candidate(row.prefecture))
        candidate.tokens = frozenset(row.search_text.split()) & need.tokens
        names[row.organisation_id] = (row.name_ja, row.name_en)
    return names


def weigh_tokens(connection: Connection,
                 query_tokens: frozenset[str], postings: int) -> tuple[dict[str, float], list[str]]:
    """Each token's weight (idf), and the rarest tokens, as many as fit in a budget of
    ``postings`` profiles, to ask the full-text index for: the common ones would only make
    it rank every profile."""
    if not query_tokens:
        return {}, []
    counts = dict(connection.execute(
        sa.select(supplier_token_counts.c.token, supplier_token_counts.c.documents)
        .where(supplier_token_counts.c.token.in_(["", *sorted(query_tokens)]))).tuples().all())
    profiles = counts.pop("", 0)  # the empty token counts the profiles
    searched, total = [], 0
    for token in sorted(counts, key=lambda token: (counts[token], token)):
        total += counts[token]
        if total > postings:
            break
        searched.append(token)
    return {token: ranking.idf(counts.get(token, 0), profiles) for token in query_tokens}, searched


def text_hits(connection: Connection, query_tokens: list[str], limit: int) -> list[UUID]:
    """Profiles holding any of the tokens, best first by the database's own rank."""
    if not query_tokens:
        return []
    ordered = sorted(query_tokens)
    if connection.dialect.name == "sqlite":
        keys = list(connection.execute(sa.text(
            "SELECT rowid FROM supplier_search WHERE supplier_search MATCH :query "
            "ORDER BY rank LIMIT :limit"),
            {"query": sqlite_match(ordered), "limit": limit}).scalars())
        rows = connection.execute(
            sa.select(supplier_profiles.c.search_key, supplier_profiles.c.organisation_id)
            .where(supplier_profiles.c.search_key.in_(keys)))
        by_key: dict[int, UUID] = {key: organisation_id for key, organisation_id in rows}
        return [by_key[key] for key in keys if key in by_key]
    return list(connection.execute(sa.text(
        "SELECT organisation_id FROM supplier_profiles "
        "WHERE search_vector @@ CAST(:query AS tsquery) "
        "ORDER BY ts_rank(search_vector, CAST(:query AS tsquery)) DESC, search_key "
        "LIMIT :limit").columns(organisation_id=sa.Uuid),
        {"query": postgresql_tsquery(ordered), "limit": limit}).scalars())


def _eligible(query: sa.Select[Any], organisation_id: sa.ColumnElement[UUID], need: Need,
              exclude: Iterable[UUID]) -> sa.Select[Any]:
    excluded = sorted(exclude, key=str)
    if excluded:
        query = query.where(organisation_id.not_in(excluded))
    terms = supplier_profile_terms
    for code in sorted(need.required):
        # One semi-join per certification, not GROUP BY ... HAVING count(*) = n, whose result
        # size PostgreSQL cannot estimate (it guessed 1 row, and looped over thousands).
        query = query.where(organisation_id.in_(
            sa.select(terms.c.organisation_id)
            .where(terms.c.kind == Kind.CERTIFICATION.value, terms.c.code == code)))
    return query


def _mean(columns: list[Any]) -> Any:
    total = columns[0]
    for column in columns[1:]:
        total = total + column
    return total / len(columns) if len(columns) > 1 else total


def _proximity(need: Need) -> sa.ColumnElement[float]:
    if need.prefecture is None:
        return sa.literal(0.0)
    return ranking.WEIGHTS["distance"] * sa.case(
        {p.code: ranking.proximity(need, p.code) for p in PREFECTURES},
        value=organisations.c.prefecture, else_=0.0)
