"""Supplier matching: for a need in the buyer's words, the suppliers that fit, best first, and
why, including suppliers from other industries.

Two ways in, one ranking. The vocabulary: the need's words are read for processes, materials,
certifications and industries (``find_terms``), and suppliers holding those terms, or terms of
the same family, are read from the terms index. The words: the need's search tokens are
looked up in the full-text index (FTS5 on SQLite, a GIN-indexed tsvector on PostgreSQL). The
union, bounded, is scored in Python (``ranking``), so both databases rank alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events import reading
from marketplace.commands.needs import NeedNotFoundError
from marketplace.domain import Prefecture, RuleViolationError
from marketplace.domain.capabilities import VOCABULARIES, Kind, find_terms
from marketplace.readmodels import ranking
from marketplace.readmodels.candidates import by_vocabulary, complete, text_hits, weigh_tokens
from marketplace.readmodels.lot_tables import needs
from marketplace.readmodels.ranking import MatchReason, Need
from marketplace.readmodels.search_text import tokens
from marketplace.readmodels.supplier_profiles import terms_of
from marketplace.readmodels.tables import organisations

MAX_QUERY_LENGTH = 2000
MAX_LIMIT = 100
#: The bound on the candidates scored in full: the best by vocabulary fit and distance, and
#: the best full-text hits by the database's own rank.
SHORTLIST = 100
TEXT_HITS = 50
#: At most this many profiles' postings are read from the full-text index per query.
POSTINGS = 1000


class MatchQueryEmptyError(RuleViolationError):
    """A search for suppliers says what is needed."""


class MatchQueryTooLongError(RuleViolationError):
    """A need is described in a paragraph, not a document."""


@dataclass(frozen=True)
class MatchQuery:
    text: str
    """What is needed, in the buyer's words, Japanese or English."""
    prefecture: str | None = None
    """The delivery prefecture (any form ``Prefecture.parse`` reads), for distance."""
    processes: frozenset[str] = frozenset()
    """Vocabulary terms (codes or names); the text's own are added."""
    materials: frozenset[str] = frozenset()
    certifications: frozenset[str] = frozenset()
    """Required: suppliers without every one of them are left out."""
    exclude: frozenset[UUID] = frozenset()
    limit: int = 20


@dataclass(frozen=True)
class SupplierMatch:
    organisation_id: UUID
    name_ja: str | None
    name_en: str | None
    prefecture: str
    distance_km: float | None
    score: float
    reasons: tuple[MatchReason, ...]


class SupplierMatching:
    """Ranks suppliers' published profiles against a need."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def match(self, query: MatchQuery) -> list[SupplierMatch]:
        """The suppliers that fit the query, best first, at most ``query.limit``."""
        need = analyse(query)
        limit = max(1, min(query.limit, MAX_LIMIT))
        with reading(self.engine) as connection:
            idf, searched = weigh_tokens(connection, need.tokens, POSTINGS)
            hits = [i for i in text_hits(connection, searched, TEXT_HITS)
                    if i not in query.exclude]
            candidates = by_vocabulary(connection, need, query.exclude, limit=SHORTLIST,
                                       including=hits)
            names = complete(connection, need, candidates, [*candidates, *hits])
            ranked = sorted(((ranking.parts(need, candidates[i], idf), i) for i in names),
                            key=lambda item: (-ranking.score(need, item[0]), str(item[1])))
            best = [(found, i) for found, i in ranked if ranking.score(need, found) > 0][:limit]
            for i, terms in terms_of(connection, [i for _, i in best]).items():
                candidates[i].terms = {kind: set(codes) for kind, codes in terms.items()}
        return [SupplierMatch(
            organisation_id=i, name_ja=names[i][0], name_en=names[i][1],
            prefecture=candidates[i].prefecture,
            distance_km=ranking.distance_km(need, candidates[i]),
            score=round(ranking.score(need, found), 4),
            reasons=ranking.reasons(need, candidates[i], found)) for found, i in best]

    def for_need(self, buyer_id: UUID, need_id: UUID, *, limit: int = 20) -> list[SupplierMatch]:
        """Suppliers for one of the buyer's own needs (others' needs are private: not found)."""
        return self.match(self.query_for_need(buyer_id, need_id, limit=limit))

    def query_for_need(self, buyer_id: UUID, need_id: UUID, *, limit: int = 20) -> MatchQuery:
        """The query a need makes: its item in words, delivered to its prefecture."""
        with reading(self.engine) as connection:
            row = connection.execute(
                sa.select(needs.c.category, needs.c.specification, needs.c.delivery_prefecture)
                .where(needs.c.id == need_id, needs.c.buyer_id == buyer_id)).first()
        if row is None:
            raise NeedNotFoundError(f"no need of yours has id {need_id}")
        return MatchQuery(text=f"{row.category} {row.specification}",
                          prefecture=row.delivery_prefecture, exclude=frozenset({buyer_id}),
                          limit=limit)

    def text_search(self, text: str, *, limit: int = 20) -> list[UUID]:
        """Suppliers by the full-text index alone, best first by the database's rank: the
        keyword search that ``match`` goes beyond."""
        with reading(self.engine) as connection:
            _, searched = weigh_tokens(connection, frozenset(tokens(text)), POSTINGS)
            hits = text_hits(connection, searched, limit)
            suppliers = set(connection.execute(
                sa.select(organisations.c.id)
                .where(organisations.c.id.in_(hits), organisations.c.is_supplier)).scalars())
        return [i for i in hits if i in suppliers]


def analyse(query: MatchQuery) -> Need:
    """The need behind a query: its terms (given and found in its text) and its tokens."""
    text = query.text or ""
    if len(text) > MAX_QUERY_LENGTH:
        raise MatchQueryTooLongError(
            f"the need has {len(text)} characters; describe it in at most {MAX_QUERY_LENGTH}")
    mentioned = find_terms(text)
    required = frozenset(VOCABULARIES[Kind.CERTIFICATION].parse_all(query.certifications))
    need = Need(
        processes=mentioned.processes | set(
            VOCABULARIES[Kind.PROCESS].parse_all(query.processes)),
        materials=mentioned.materials | set(
            VOCABULARIES[Kind.MATERIAL].parse_all(query.materials)),
        certifications=mentioned.certifications | required, required=required,
        industries=mentioned.industries, tokens=frozenset(tokens(text)),
        prefecture=Prefecture.parse(query.prefecture) if query.prefecture else None)
    if not (need.processes or need.materials or need.certifications or need.tokens):
        raise MatchQueryEmptyError(
            "say what you need, in words (q) or as processes, materials or certifications; "
            "e.g. q=プレス加工 SPCC or q=vacuum packaging")
    return need


__all__ = ["MatchQuery", "MatchQueryEmptyError", "MatchQueryTooLongError", "MatchReason",
           "SupplierMatch", "SupplierMatching", "analyse"]
