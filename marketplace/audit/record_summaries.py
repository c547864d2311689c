"""The timeline's summary of each event of an RFQ, a need and an organisation. Quotes are
summarised without who made them until the RFQ's deadline has passed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marketplace.audit.lot_summaries import cancelled
from marketplace.audit.summary_text import (
    Describer,
    Summary,
    SummaryContext,
    message,
    quantity,
    yen,
)
from marketplace.domain.sealed_round import jst


def _rfq_issued(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("issued by %(buyer)s: %(title)s, %(lines)s line(s), deadline "
                           "%(closes_at)s"), {
        "buyer": s.names(e.buyer_id), "title": e.terms["title"],
        "lines": str(len(e.terms["lines"])), "closes_at": jst(e.closes_at)})


def _invited(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("invited %(suppliers)s"), {"suppliers": s.names.all(e.supplier_ids)})


def _amended(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("terms amended, deadline %(closes_at)s"),
                   {"closes_at": jst(e.closes_at)})


def _question_asked(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("%(supplier)s asked a question"), {"supplier": s.names(e.supplier_id)})


def _question_answered(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("a question was answered"))


def _quote_submitted(s: SummaryContext, e: Any) -> Summary:
    s.leads[e.quote_id] = e.supplier_id
    if not s.revealed:
        return Summary(message("a quote was submitted (sealed until the deadline)"))
    return Summary(message("%(supplier)s quoted on %(lines)s line(s)"), {
        "supplier": s.names(e.supplier_id), "lines": str(len(e.lines))})


def _quote_revised(s: SummaryContext, e: Any) -> Summary:
    if not s.revealed:
        return Summary(message("a quote was revised (sealed until the deadline)"))
    return Summary(message("%(supplier)s revised its quote"), {"supplier": s.lead(e.quote_id)})


def _quote_reconfirmed(s: SummaryContext, e: Any) -> Summary:
    if not s.revealed:
        return Summary(message("a quote was re-confirmed (sealed until the deadline)"))
    return Summary(message("%(supplier)s re-confirmed its quote"),
                   {"supplier": s.lead(e.quote_id)})


def _quote_withdrawn(s: SummaryContext, e: Any) -> Summary:
    if not s.revealed:
        return Summary(message("a quote was withdrawn (sealed until the deadline)"))
    return Summary(message("%(supplier)s withdrew its quote"), {"supplier": s.lead(e.quote_id)})


def _rfq_closed(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("deadline passed: %(quotes)s quote(s) opened"),
                   {"quotes": str(len(e.opened_quotes))})


def _awarded(s: SummaryContext, e: Any) -> Summary:
    suppliers = dict.fromkeys(line["supplier_id"] for line in e.awards)
    total = sum((Decimal(str(line["amount"])) for line in e.awards), Decimal(0))
    return Summary(message("awarded to %(suppliers)s, total %(total)s: %(reason)s"), {
        "suppliers": s.names.all(suppliers), "total": yen(total), "reason": e.reason})


def _purchase_order(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("purchase order %(number)s to %(supplier)s, total %(total)s"), {
        "number": e.number, "supplier": s.names(e.supplier_id), "total": yen(e.total)})


# ---- needs and organisations ---------------------------------------------------------------

def _need_posted(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("posted by %(buyer)s: %(quantity)s %(unit)s of %(item)s, needed by "
                           "%(needed_by)s"), {
        "buyer": s.names(e.buyer_id), "quantity": quantity(e.quantity), "unit": e.unit,
        "item": f"{e.category}, {e.specification}", "needed_by": e.needed_by.isoformat()})


def _changed_fields(message: str) -> Describer:
    def describe(s: SummaryContext, e: Any) -> Summary:
        return Summary(message, {"fields": ", ".join(sorted(e.changes))})
    return describe


def _fixed(message: str) -> Describer:
    def describe(s: SummaryContext, e: Any) -> Summary:
        return Summary(message)
    return describe


def _about(message: str, attribute: str) -> Describer:
    """A need's move into or out of a lot or an RFQ, named by its id."""
    def describe(s: SummaryContext, e: Any) -> Summary:
        return Summary(message, {"id": str(getattr(e, attribute))})
    return describe


def _registered(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("registered: %(name)s (%(roles)s), %(prefecture)s"), {
        "name": e.name_ja or e.name_en or "", "roles": ", ".join(e.roles),
        "prefecture": e.prefecture})


def _token_issued(s: SummaryContext, e: Any) -> Summary:
    # Never the token's hash: it is what a leaked database would be searched for.
    label = getattr(e, "label", None)
    if label:
        return Summary(message("API token issued: %(label)s"), {"label": label})
    return Summary(message("API token issued"))


RECORD_EVENTS: dict[str, Describer] = {
    "Rfq.Issued": _rfq_issued, "Rfq.SuppliersInvited": _invited, "Rfq.Amended": _amended,
    "Rfq.Cancelled": cancelled, "Rfq.QuestionAsked": _question_asked,
    "Rfq.QuestionAnswered": _question_answered, "Rfq.QuoteSubmitted": _quote_submitted,
    "Rfq.QuoteRevised": _quote_revised, "Rfq.QuoteReconfirmed": _quote_reconfirmed,
    "Rfq.QuoteWithdrawn": _quote_withdrawn, "Rfq.Closed": _rfq_closed,
    "Rfq.Awarded": _awarded, "Rfq.PurchaseOrderIssued": _purchase_order,
    "Need.Posted": _need_posted, "Need.Revised": _changed_fields(message("revised: %(fields)s")),
    "Need.Withdrawn": _fixed(message("withdrawn")),
    "Need.Pooled": _about(message("pooled into lot %(id)s"), "lot_id"),
    "Need.Unpooled": _about(message("taken out of lot %(id)s"), "lot_id"),
    "Need.QuotesRequested": _about(message("put into RFQ %(id)s"), "rfq_id"),
    "Need.RfqReleased": _about(message("released from RFQ %(id)s"), "rfq_id"),
    "Organisation.Registered": _registered,
    "Organisation.ProfileUpdated": _changed_fields(message("profile updated: %(fields)s")),
    "Organisation.ApiTokenIssued": _token_issued,
    "Organisation.ApiTokenRevoked": _fixed(message("API token revoked")),
    "Organisation.SupplierProfilePublished": _changed_fields(
        message("supplier profile published: %(fields)s")),
}
