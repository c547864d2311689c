"""Reads of RFQs, sealed quotes and purchase orders, each as one organisation may see them.

An RFQ is seen by its buyer and its audience: the invited suppliers, the suppliers eligible
for an RFQ open to a cluster or prefectures, and those who quoted it. Quotes are sealed: a
supplier sees only its own; the buyer sees none before the deadline (not even how many) and
the quotes on the current terms after it; no supplier ever sees a rival's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events import reading
from marketplace.domain import rfq_rules as rules
from marketplace.domain.sealed_round import JST, SETTLE, jst
from marketplace.readmodels.eligibility_sql import admits, has_prefectures
from marketplace.readmodels.rfq_comparison import Comparison, OpenedQuote, compare
from marketplace.readmodels.rfq_tables import (
    purchase_orders,
    rfq_invitations,
    rfq_prefectures,
    rfq_questions,
    rfq_quotes,
    rfqs,
)
from marketplace.readmodels.rfq_views import (
    PurchaseOrderView,
    QuestionView,
    QuoteView,
    RfqDetail,
    RfqSummary,
    Role,
    awarded_line_views,
    line_views,
    purchase_order_view,
    quote_view,
    rfq_view,
    status_at,
)
from marketplace.readmodels.tables import organisation_clusters, organisations


@dataclass(frozen=True)
class _Member:
    """The organisation a read is for, with what decides whether an open RFQ admits it."""

    id: UUID
    prefecture: str
    clusters: list[str]
    is_supplier: bool


class RfqQueries:
    """Reads of the RFQ read model, filtered by what the viewer may see."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def for_organisation(self, organisation_id: UUID, *, now: datetime,
                         role: Role | None = None, status: str | None = None
                         ) -> list[RfqSummary]:
        """RFQs I issued and RFQs I may quote, soonest deadline first; ``status`` judged at
        ``now`` (open, closed, cancelled, awarded)."""
        with reading(self.engine) as connection:
            member = _member(connection, organisation_id)
            if member is None:
                return []
            mine, audience = rfqs.c.buyer_id == member.id, _audience(member)
            if role == "buyer":
                where = mine
            elif role == "supplier":
                where = sa.and_(~mine, audience)
            else:
                where = sa.or_(mine, audience)
            query = sa.select(rfqs).where(where, _status_is(status, now))
            rows = connection.execute(query.order_by(rfqs.c.closes_at, rfqs.c.id)
                                      ).mappings().all()
            statuses = _supplier_statuses(connection, member.id, rows, now)
        return [RfqSummary(
            id=row["id"], buyer_id=row["buyer_id"], title=row["title"],
            currency=row["currency"], closes_at=row["closes_at"], status=status_at(row, now),
            line_count=len(row["lines"]),
            role="buyer" if row["buyer_id"] == member.id else "supplier",
            my_status=statuses.get(row["id"]), issued_at=row["issued_at"],
            updated_at=row["updated_at"]) for row in rows]

    def detail(self, viewer_id: UUID, rfq_id: UUID, *, now: datetime) -> RfqDetail | None:
        """The RFQ with its questions and the viewer's own quote; None if it may not see it."""
        with reading(self.engine) as connection:
            row = _visible_rfq(connection, viewer_id, rfq_id)
            if row is None:
                return None
            is_buyer = row["buyer_id"] == viewer_id
            view = rfq_view(row, _prefectures(connection, rfq_id), now)
            asked = {line.line: line for line in view.lines}
            own = [quote_view(q, asked, row["terms_digest"]) for q in connection.execute(
                sa.select(rfq_quotes).where(rfq_quotes.c.rfq_id == rfq_id,
                                            rfq_quotes.c.supplier_id == viewer_id,
                                            rfq_quotes.c.status == "live")).mappings()]
            invited = None if not is_buyer else list(connection.execute(
                sa.select(rfq_invitations.c.supplier_id).where(
                    rfq_invitations.c.rfq_id == rfq_id).order_by(
                    rfq_invitations.c.invited_at, rfq_invitations.c.supplier_id)).scalars())
            questions = _questions(connection, rfq_id, viewer_id, everything=is_buyer)
            statuses = {} if is_buyer else _supplier_statuses(connection, viewer_id, [row], now)
        awarded = awarded_line_views(row["awards"])
        if not is_buyer and not own:
            view = replace(view, award_reason=None)  # it often names the winner: quoters only
        return RfqDetail(
            rfq=view, role="buyer" if is_buyer else "supplier",
            my_status=statuses.get(rfq_id), invited=invited, questions=questions,
            my_quote=own[0] if own else None,
            awarded_lines=[a for a in awarded if is_buyer or a.supplier_id == viewer_id])

    def quotes(self, viewer_id: UUID, rfq_id: UUID, *, now: datetime) -> list[QuoteView] | None:
        """Sealed: a supplier its own quotes (withdrawn ones too); the buyer none until they
        open at the deadline (see ``_quotes_open``), then those on the current terms. None if
        the viewer may not see the RFQ."""
        with reading(self.engine) as connection:
            row = _visible_rfq(connection, viewer_id, rfq_id)
            if row is None:
                return None
            if row["buyer_id"] != viewer_id:
                whose = rfq_quotes.c.supplier_id == viewer_id
            elif not _quotes_open(row, now):
                return []
            else:
                whose = _opened(row)
            asked = {line.line: line for line in line_views(row["lines"])}
            return [quote_view(q, asked, row["terms_digest"]) for q in connection.execute(
                sa.select(rfq_quotes).where(rfq_quotes.c.rfq_id == rfq_id, whose)
                .order_by(rfq_quotes.c.submitted_at, rfq_quotes.c.id)).mappings()]

    def comparison(self, buyer_id: UUID, rfq_id: UUID, *, now: datetime) -> Comparison | None:
        """The buyer's matrix of the opened quotes; None if it may not see the RFQ at all."""
        with reading(self.engine) as connection:
            row = _visible_rfq(connection, buyer_id, rfq_id)
            if row is None:
                return None
            if row["buyer_id"] != buyer_id:
                raise rules.NotRfqBuyerError("only the buyer that issued this RFQ compares quotes")
            if row["status"] == "cancelled":
                raise rules.RfqCancelledError(
                    f"this RFQ was cancelled ({row['cancel_reason']}); its quotes never open")
            if not _quotes_open(row, now):
                raise rules.RfqNotClosedError(
                    f"quotes open at the deadline, {jst(row['closes_at'])}; compare them then"
                    if now < row["closes_at"] else
                    "quotes received just before the deadline are still being recorded; "
                    f"compare them from {jst(row['closes_at'] + SETTLE)}")
            opened = [OpenedQuote(q.id, q.supplier_id, q.name_ja, q.name_en, q.lines)
                      for q in connection.execute(
                          sa.select(rfq_quotes.c.id, rfq_quotes.c.supplier_id, rfq_quotes.c.lines,
                                    organisations.c.name_ja, organisations.c.name_en)
                          .join(organisations, organisations.c.id == rfq_quotes.c.supplier_id)
                          .where(rfq_quotes.c.rfq_id == rfq_id, _opened(row)))]
        return compare(rfq_id, row["currency"], row["closes_at"], line_views(row["lines"]),
                       opened, today=now.astimezone(JST).date())

    def purchase_orders(self, organisation_id: UUID) -> list[PurchaseOrderView]:
        """Orders I placed as a buyer or received as a supplier, most recent first."""
        return self._orders(sa.or_(purchase_orders.c.buyer_id == organisation_id,
                                   purchase_orders.c.supplier_id == organisation_id))

    def purchase_order(self, organisation_id: UUID, number: str) -> PurchaseOrderView | None:
        """One order, if I am its buyer or its supplier (else None)."""
        found = self._orders(sa.and_(purchase_orders.c.number == number, sa.or_(
            purchase_orders.c.buyer_id == organisation_id,
            purchase_orders.c.supplier_id == organisation_id)))
        return found[0] if found else None

    def due(self, now: datetime) -> list[UUID]:
        """Open RFQs past their deadline whose close is not yet recorded."""
        with reading(self.engine) as connection:
            return list(connection.execute(
                sa.select(rfqs.c.id).where(rfqs.c.status == "open", rfqs.c.closes_at <= now)
                .order_by(rfqs.c.closes_at, rfqs.c.id)).scalars())

    def _orders(self, where: sa.ColumnElement[bool]) -> list[PurchaseOrderView]:
        query = (sa.select(purchase_orders, rfqs.c.title)
                 .join(rfqs, rfqs.c.id == purchase_orders.c.rfq_id).where(where)
                 .order_by(purchase_orders.c.issued_at.desc(), purchase_orders.c.number))
        with reading(self.engine) as connection:
            return [purchase_order_view(row) for row in connection.execute(query).mappings()]


def _member(connection: Connection, organisation_id: UUID) -> _Member | None:
    row = connection.execute(sa.select(organisations.c.prefecture, organisations.c.is_supplier)
                             .where(organisations.c.id == organisation_id)).one_or_none()
    if row is None:
        return None
    clusters = connection.execute(
        sa.select(organisation_clusters.c.cluster)
        .where(organisation_clusters.c.organisation_id == organisation_id)).scalars()
    return _Member(organisation_id, row.prefecture, sorted(clusters), row.is_supplier)


def _audience(member: _Member) -> sa.ColumnElement[bool]:
    """Invited, quoted, or a supplier eligible for an RFQ open to a cluster or prefectures
    (the domain's ``Rfq.admits``, in SQL)."""
    invited = sa.exists().where(rfq_invitations.c.rfq_id == rfqs.c.id,
                                rfq_invitations.c.supplier_id == member.id)
    quoted = sa.exists().where(rfq_quotes.c.rfq_id == rfqs.c.id,
                               rfq_quotes.c.supplier_id == member.id)
    if not member.is_supplier:
        return sa.or_(invited, quoted)
    open_to_some = sa.or_(rfqs.c.open_cluster.is_not(None),
                          has_prefectures(rfqs.c.id, rfq_prefectures.c.rfq_id))
    eligible = sa.and_(open_to_some, admits(
        cluster=rfqs.c.open_cluster, round_id=rfqs.c.id, listed_for=rfq_prefectures.c.rfq_id,
        listed=rfq_prefectures.c.prefecture, prefecture=member.prefecture,
        clusters=member.clusters))
    return sa.or_(invited, quoted, eligible)


def _visible_rfq(connection: Connection, viewer_id: UUID, rfq_id: UUID) -> Any:
    member = _member(connection, viewer_id)
    if member is None:
        return None
    return connection.execute(sa.select(rfqs).where(
        rfqs.c.id == rfq_id, sa.or_(rfqs.c.buyer_id == viewer_id, _audience(member)))
    ).mappings().one_or_none()


def _status_is(status: str | None, now: datetime) -> sa.ColumnElement[bool]:
    if status is None:
        return sa.true()
    if status == "open":
        return sa.and_(rfqs.c.status == "open", rfqs.c.closes_at > now)
    if status == "closed":
        return sa.or_(rfqs.c.status == "closed",
                      sa.and_(rfqs.c.status == "open", rfqs.c.closes_at <= now))
    return rfqs.c.status == status


def _quotes_open(row: Any, now: datetime) -> bool:
    """Whether the buyer sees the quotes: once the close is recorded, or ``SETTLE`` after the
    deadline (quotes received just before it may still be being recorded until then)."""
    return row["status"] in ("closed", "awarded") or (
        row["status"] == "open" and now >= row["closes_at"] + SETTLE)


def _opened(row: Any) -> sa.ColumnElement[bool]:
    """The quotes that open at the deadline: live, on the current terms (after the deadline
    the terms can no longer change, so these are the ones ``Rfq.Closed`` records)."""
    return sa.and_(rfq_quotes.c.status == "live",
                   rfq_quotes.c.terms_digest == row["terms_digest"])


def _prefectures(connection: Connection, rfq_id: UUID) -> list[str]:
    return list(connection.execute(
        sa.select(rfq_prefectures.c.prefecture).where(rfq_prefectures.c.rfq_id == rfq_id)
        .order_by(rfq_prefectures.c.prefecture)).scalars())


def _questions(connection: Connection, rfq_id: UUID, viewer_id: UUID, *,
               everything: bool) -> list[QuestionView]:
    query = sa.select(rfq_questions).where(rfq_questions.c.rfq_id == rfq_id)
    if not everything:
        query = query.where(sa.or_(rfq_questions.c.answer.is_not(None),
                                   rfq_questions.c.supplier_id == viewer_id))
    rows = connection.execute(query.order_by(rfq_questions.c.asked_at, rfq_questions.c.id))
    return [QuestionView(id=q["id"], text=q["text"], answer=q["answer"], asked_at=q["asked_at"],
                         answered_at=q["answered_at"], mine=q["supplier_id"] == viewer_id)
            for q in rows.mappings()]


def _supplier_statuses(connection: Connection, supplier_id: UUID, rows: Any,
                       now: datetime) -> dict[UUID, str]:
    """My standing on each RFQ I do not own: from my live quote, else my invitation."""
    theirs = {row["id"]: row for row in rows if row["buyer_id"] != supplier_id}
    if not theirs:
        return {}
    quotes = {q.rfq_id: q for q in connection.execute(
        sa.select(rfq_quotes.c.rfq_id, rfq_quotes.c.terms_digest, rfq_quotes.c.outcome)
        .where(rfq_quotes.c.rfq_id.in_(list(theirs)), rfq_quotes.c.supplier_id == supplier_id,
               rfq_quotes.c.status == "live"))}
    invited = set(connection.execute(
        sa.select(rfq_invitations.c.rfq_id).where(rfq_invitations.c.rfq_id.in_(list(theirs)),
                                                  rfq_invitations.c.supplier_id == supplier_id)
    ).scalars())
    statuses = {}
    for rfq_id, row in theirs.items():
        quote = quotes.get(rfq_id)
        if quote is None:
            statuses[rfq_id] = "invited" if rfq_id in invited else "eligible"
        elif quote.outcome is not None:
            statuses[rfq_id] = quote.outcome
        elif quote.terms_digest == row["terms_digest"]:
            statuses[rfq_id] = "quoted"
        elif status_at(row, now) == "open":
            statuses[rfq_id] = "awaiting_reconfirmation"
        else:
            statuses[rfq_id] = "not_opened"
    return statuses
