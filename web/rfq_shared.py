"""What the RFQ and quote pages share: the RFQ as the member may see it, names in the page's
language, and the RFQ page itself (re-rendered with a form's message when a POST fails).

Visibility is the query's: ``RfqQueries.detail`` returns None to anyone outside the buyer and
the RFQ's audience, and the pages answer 404 to them, whatever they asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.exceptions import PermissionDeniedException
from litestar.response import Template

from marketplace.accounts import Member, MemberRole
from marketplace.application import Marketplace
from marketplace.domain import Prefecture
from marketplace.domain.capabilities import CERTIFICATIONS
from marketplace.domain.prefectures import UnknownPrefectureError
from marketplace.domain.sealed_round import SETTLE
from marketplace.readmodels.matching import MAX_QUERY_LENGTH, MatchQuery, SupplierMatch
from marketplace.readmodels.rfq_views import RfqDetail, RfqView
from web.auth import marketplace_of, require_member
from web.i18n import language_of
from web.render import page, t
from web.rfqs_api import rfq_not_found

#: How many matched suppliers the buyer is offered to invite.
MATCHES_SHOWN = 20


def visible_rfq(request: Request[Any, Any, Any], rfq_id: UUID) -> tuple[Member, RfqDetail]:
    """The RFQ as the member's organisation sees it: 404 outside its buyer and audience; 403
    when the member lacks the role its organisation plays in it (buyer or supplier)."""
    member = require_member(request)
    marketplace = marketplace_of(request)
    detail = marketplace.rfqs.detail(member.organisation_id, rfq_id, now=marketplace.clock())
    if detail is None:
        raise rfq_not_found(rfq_id)
    needed = MemberRole.BUYER if detail.role == "buyer" else MemberRole.SUPPLIER
    if not member.has(needed):
        raise PermissionDeniedException(t(
            request, "This page is for members with the %(role)s role; ask your "
            "organisation's admin.", role=t(request, needed.title())))
    return member, detail


def require_buyer(request: Request[Any, Any, Any], detail: RfqDetail) -> None:
    if detail.role != "buyer":
        raise PermissionDeniedException(t(
            request, "Only the buyer that issued this RFQ may do this."))


def require_supplier(request: Request[Any, Any, Any], detail: RfqDetail) -> None:
    if detail.role != "supplier":
        raise PermissionDeniedException(t(request, "A buyer does not quote its own RFQ."))


def name_in(language: str, name_ja: str | None, name_en: str | None) -> str:
    """An organisation's name in the page's language, else in the other one."""
    first, second = (name_en, name_ja) if language == "en" else (name_ja, name_en)
    return first or second or ""


def names(request: Request[Any, Any, Any], ids: Iterable[UUID]) -> dict[UUID, str]:
    """The organisations' names in the page's language."""
    organisations, language = marketplace_of(request).organisations, language_of(request)
    found = {}
    for organisation_id in dict.fromkeys(ids):
        view = organisations.get(organisation_id)
        found[organisation_id] = name_in(language, view.name_ja, view.name_en) if view else ""
    return found


def labels(request: Request[Any, Any, Any]) -> dict[str, Callable[[str], str]]:
    """Template helpers: a prefecture's and a certification's name in the page's language."""
    english = language_of(request) == "en"

    def prefecture(code: str) -> str:
        try:
            found = Prefecture.parse(code)
        except UnknownPrefectureError:
            return code
        return found.name_en if english else found.name_ja

    def certification(code: str) -> str:
        if code not in CERTIFICATIONS:
            return code
        term = CERTIFICATIONS[code]
        return term.label_en if english else term.label_ja

    return {"prefecture_name": prefecture, "certification_name": certification}


def reason_text(request: Request[Any, Any, Any], match: SupplierMatch) -> list[str]:
    """Why a supplier matches, in the page's language."""
    english = language_of(request) == "en"
    return [reason.text_en if english else reason.text_ja for reason in match.reasons]


def matches_for(marketplace: Marketplace, buyer_id: UUID, rfq: RfqView,
                invited: Iterable[UUID]) -> list[SupplierMatch]:
    """Suppliers that fit the RFQ's lines, best first, leaving out the buyer and the invited
    (the query ``GET /api/v1/rfqs/{id}/matches`` makes)."""
    text = " ".join([rfq.title, *(f"{line.category} {line.specification}"
                                  for line in rfq.lines)])
    return marketplace.matching.match(MatchQuery(
        text=text[:MAX_QUERY_LENGTH], prefecture=rfq.lines[0].delivery_prefecture,
        certifications=frozenset(rfq.required_certifications),
        exclude=frozenset({buyer_id, *invited}), limit=MATCHES_SHOWN))


def rfq_page(request: Request[Any, Any, Any], rfq_id: UUID, *,
             errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
             status_code: int = 200) -> Template:
    """The RFQ page for the buyer or a supplier of its audience; ``errors`` by form (invite,
    answer-<question id>, cancel, ask, quote) with the values the member had typed."""
    member, detail = visible_rfq(request, rfq_id)
    marketplace = marketplace_of(request)
    rfq, now = detail.rfq, marketplace.clock()
    orders = [o for o in marketplace.rfqs.purchase_orders(member.organisation_id)
              if o.rfq_id == rfq_id]
    context: dict[str, Any] = {
        "detail": detail, "rfq": rfq, "errors": errors or {}, "values": values or {},
        "orders": orders, "is_buyer": detail.role == "buyer", **labels(request)}
    if detail.role == "buyer":
        invited = detail.invited or []
        panel_only = request.headers.get("hx-request") == "true"  # the status panel alone
        matches = (matches_for(marketplace, rfq.buyer_id, rfq, invited)
                   if rfq.status == "open" and not panel_only else [])
        quotes_open = rfq.status == "awarded" or rfq.closed_at is not None or (
            rfq.status == "closed" and now >= rfq.closes_at + SETTLE)
        opened = marketplace.rfqs.quotes(rfq.buyer_id, rfq_id, now=now) if quotes_open else []
        context.update(
            invited=invited, matches=[(m, reason_text(request, m)) for m in matches],
            quotes_open=quotes_open, opens_at=rfq.closes_at + SETTLE,
            opened_count=len(opened or []),
            names=names(request, [*invited, *(m.organisation_id for m in matches),
                                  *(a.supplier_id for a in detail.awarded_lines),
                                  *(o.supplier_id for o in orders)]))
    else:
        context.update(buyer_name=names(request, [rfq.buyer_id])[rfq.buyer_id], quotes_open=True,
                       my_lines={line.line: line for line in detail.my_quote.lines}
                       if detail.my_quote else {})
    return page(request, "rfqs/detail.html", context, fragment="rfqs/_status.html",
                status_code=status_code)

