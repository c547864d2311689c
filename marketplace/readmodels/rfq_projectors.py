"""Projectors of RFQs, their quotes and purchase orders, and of needs put into an RFQ."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events import Projectors
from marketplace.domain.need import Need
from marketplace.domain.rfq import LAPSED, Rfq
from marketplace.readmodels.lot_tables import needs
from marketplace.readmodels.rfq_tables import (
    RFQ_TABLES,
    purchase_orders,
    rfq_invitations,
    rfq_prefectures,
    rfq_questions,
    rfq_quotes,
    rfqs,
)


def register(projectors: Projectors) -> None:
    projectors.owns(*RFQ_TABLES)
    on = projectors.on
    on(Need.QuotesRequested)(lambda c, e, p: _update_need(c, e, p, status="rfq",
                                                          rfq_id=e.rfq_id))
    on(Need.RfqReleased)(lambda c, e, p: _update_need(c, e, p, status="open", rfq_id=None))
    on(Rfq.Issued)(_issued)
    on(Rfq.SuppliersInvited)(_suppliers_invited)
    on(Rfq.Amended)(_amended)
    on(Rfq.Cancelled)(lambda c, e, p: _update_rfq(c, e, p, status="cancelled",
                                                  cancel_reason=e.reason))
    on(Rfq.QuestionAsked)(_question_asked)
    on(Rfq.QuestionAnswered)(_question_answered)
    on(Rfq.QuoteSubmitted)(_quote_submitted)
    on(Rfq.QuoteRevised)(lambda c, e, p: _update_quote(
        c, e, p, lines=quote_lines_document(e.lines), terms_digest=e.terms_digest))
    on(Rfq.QuoteReconfirmed)(lambda c, e, p: _update_quote(c, e, p,
                                                           terms_digest=e.terms_digest))
    on(Rfq.QuoteWithdrawn)(lambda c, e, p: _update_quote(c, e, p, status="withdrawn"))
    on(Rfq.Closed)(_closed)
    on(Rfq.Awarded)(_awarded)
    on(Rfq.PurchaseOrderIssued)(_purchase_order_issued)


def _touch(event: Any, position: int) -> dict[str, Any]:
    return {"version": event.originator_version, "position": position,
            "updated_at": event.timestamp}


def _update_need(connection: Connection, event: Any, position: int, **values: Any) -> None:
    connection.execute(sa.update(needs).where(needs.c.id == event.originator_id)
                       .values(**values, **_touch(event, position)))


def _update_rfq(connection: Connection, event: Any, position: int, **values: Any) -> None:
    connection.execute(sa.update(rfqs).where(rfqs.c.id == event.originator_id)
                       .values(**values, **_touch(event, position)))


# -- JSON documents: decimals and dates as strings, so that they stay exact -------------------

def _terms_columns(terms: dict[str, Any], digest: str) -> dict[str, Any]:
    return {"title": terms["title"], "terms_digest": digest, "notes": terms["notes"],
            "required_certifications": list(terms["required_certifications"]),
            "lines": [{"number": line["number"], "need_id": str(line["need_id"]),
                       "category": line["category"], "specification": line["specification"],
                       "unit": line["unit"], "quantity": str(line["quantity"]),
                       "needed_by": line["needed_by"].isoformat(),
                       "delivery_prefecture": line["delivery_prefecture"]}
                      for line in terms["lines"]]}


def quote_lines_document(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"line": line["line"], "lead_time_days": line["lead_time_days"],
             "valid_until": line["valid_until"].isoformat(), "notes": line["notes"],
             "price_breaks": [{"from_quantity": str(b["from_quantity"]),
                               "unit_price": str(b["unit_price"])}
                              for b in line["price_breaks"]]} for line in lines]


def _awards_document(awards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"line": a["line"], "quote_id": str(a["quote_id"]),
             "supplier_id": str(a["supplier_id"]), "quantity": str(a["quantity"]),
             "unit_price": str(a["unit_price"]), "amount": str(a["amount"])} for a in awards]


# -- RFQs -------------------------------------------------------------------------------------

def _issued(connection: Connection, event: Rfq.Issued, position: int) -> None:
    open_to = event.open_to or {"cluster": None, "prefectures": []}
    connection.execute(sa.insert(rfqs).values(
        id=event.originator_id, buyer_id=event.buyer_id, currency=event.currency,
        closes_at=event.closes_at, status="open", cancel_reason=None,
        open_cluster=open_to["cluster"], awards=None, award_reason=None,
        issued_at=event.timestamp, closed_at=None, awarded_at=None,
        **_terms_columns(event.terms, event.terms_digest), **_touch(event, position)))
    if open_to["prefectures"]:
        connection.execute(sa.insert(rfq_prefectures), [
            {"rfq_id": event.originator_id, "prefecture": code}
            for code in open_to["prefectures"]])
    _invite(connection, event.originator_id, event.invited, event)


def _invite(connection: Connection, rfq_id: UUID, supplier_ids: list[UUID], event: Any) -> None:
    if supplier_ids:
        connection.execute(sa.insert(rfq_invitations), [
            {"rfq_id": rfq_id, "supplier_id": supplier_id, "invited_at": event.timestamp}
            for supplier_id in supplier_ids])


def _suppliers_invited(connection: Connection, event: Rfq.SuppliersInvited,
                       position: int) -> None:
    _invite(connection, event.originator_id, event.supplier_ids, event)
    _update_rfq(connection, event, position)


def _amended(connection: Connection, event: Rfq.Amended, position: int) -> None:
    if event.lapsed_quotes:
        connection.execute(sa.update(rfq_quotes).where(rfq_quotes.c.id.in_(event.lapsed_quotes))
                           .values(terms_digest=LAPSED))
    _update_rfq(connection, event, position, closes_at=event.closes_at,
                **_terms_columns(event.terms, event.terms_digest))


def _question_asked(connection: Connection, event: Rfq.QuestionAsked, position: int) -> None:
    connection.execute(sa.insert(rfq_questions).values(
        id=event.question_id, rfq_id=event.originator_id, supplier_id=event.supplier_id,
        text=event.text, answer=None, asked_at=event.timestamp, answered_at=None))
    # Not _update_rfq: the RFQ's version and time are seen by all; a question is not (yet).


def _question_answered(connection: Connection, event: Rfq.QuestionAnswered,
                       position: int) -> None:
    connection.execute(sa.update(rfq_questions).where(rfq_questions.c.id == event.question_id)
                       .values(answer=event.answer, answered_at=event.timestamp))
    _update_rfq(connection, event, position)


def _closed(connection: Connection, event: Rfq.Closed, position: int) -> None:
    if event.opened_quotes:
        connection.execute(sa.update(rfq_quotes).where(rfq_quotes.c.id.in_(event.opened_quotes))
                           .values(opened=True))
    _update_rfq(connection, event, position, status="closed", closed_at=event.timestamp)


def _awarded(connection: Connection, event: Rfq.Awarded, position: int) -> None:
    awarded = sorted({award["quote_id"] for award in event.awards}, key=str)
    live = sa.and_(rfq_quotes.c.rfq_id == event.originator_id, rfq_quotes.c.status == "live")
    connection.execute(sa.update(rfq_quotes).where(live, rfq_quotes.c.id.in_(awarded))
                       .values(outcome="awarded"))
    connection.execute(sa.update(rfq_quotes).where(live, rfq_quotes.c.id.not_in(awarded))
                       .values(outcome="not_awarded"))
    _update_rfq(connection, event, position, status="awarded", awarded_at=event.timestamp,
                awards=_awards_document(event.awards), award_reason=event.reason)


# -- quotes -----------------------------------------------------------------------------------

def _quote_submitted(connection: Connection, event: Rfq.QuoteSubmitted, position: int) -> None:
    connection.execute(sa.insert(rfq_quotes).values(
        id=event.quote_id, rfq_id=event.originator_id, supplier_id=event.supplier_id,
        terms_digest=event.terms_digest, lines=quote_lines_document(event.lines),
        status="live", opened=False, outcome=None, submitted_at=event.timestamp,
        updated_at=event.timestamp))
    # Sealed: a quote never touches the RFQ's row, whose version and time the buyer and the
    # other suppliers see, so they cannot count quotes or time them.


def _update_quote(connection: Connection, event: Any, position: int, **values: Any) -> None:
    connection.execute(sa.update(rfq_quotes).where(rfq_quotes.c.id == event.quote_id)
                       .values(**values, updated_at=event.timestamp))


# -- purchase orders --------------------------------------------------------------------------

def _purchase_order_issued(connection: Connection, event: Rfq.PurchaseOrderIssued,
                           position: int) -> None:
    """The order as the parties read it: each awarded line with what it asked for."""
    rfq = connection.execute(sa.select(rfqs.c.buyer_id, rfqs.c.currency, rfqs.c.lines)
                             .where(rfqs.c.id == event.originator_id)).one()
    asked = {line["number"]: line for line in rfq.lines}
    lines = [{**{k: v for k, v in asked[award["line"]].items() if k != "number"},
              **award} for award in _awards_document(event.lines)]
    connection.execute(sa.insert(purchase_orders).values(
        number=event.number, rfq_id=event.originator_id, buyer_id=rfq.buyer_id,
        supplier_id=event.supplier_id, currency=rfq.currency, lines=lines, total=event.total,
        position=position, issued_at=event.timestamp))
    _update_rfq(connection, event, position)
