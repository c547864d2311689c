"""Pages of RFQs: my RFQs, issuing one on my open needs, and the RFQ page with its invitations,
questions and answers, and cancellation. Quotes, the comparison and the award are in
``web/quote_pages.py``; the RFQ page itself is rendered by ``web/rfq_shared.py``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from marketplace.accounts import MemberRole
from marketplace.domain import RuleViolationError
from marketplace.domain.capabilities import CERTIFICATIONS
from marketplace.domain.errors import NotPermittedError
from marketplace.readmodels.lot_queries import NeedView
from marketplace.readmodels.matching import MAX_QUERY_LENGTH, MatchQuery
from web.auth import marketplace_of, members, require_member
from web.forms import Form, field, fields
from web.i18n import language_of
from web.render import error_message, page, see_other, t
from web.rfq_shared import (
    labels,
    names,
    reason_text,
    require_buyer,
    require_supplier,
    rfq_page,
    visible_rfq,
)

Status = Literal["open", "closed", "cancelled", "awarded"]
STATUSES: tuple[Status, ...] = ("open", "closed", "cancelled", "awarded")
#: The deadline the issue form suggests: a week ahead, at 17:00 where the member is.
DEFAULT_OPEN_DAYS = 7
DEFAULT_CLOSING_TIME = time(17, 0)
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
BUYERS = members(MemberRole.BUYER)
SUPPLIERS = members(MemberRole.SUPPLIER)
EITHER = members(MemberRole.BUYER, MemberRole.SUPPLIER)


def uuids(values: list[str]) -> list[UUID] | None:
    """The ids a form sent (checkboxes), or None if one is not an id at all."""
    try:
        return [UUID(value) for value in values if value]
    except ValueError:
        return None


def parse_deadline(text: str, zone: str) -> datetime | None:
    """A datetime-local value (2026-12-01T17:00) as an instant in the member's time zone."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return naive if naive.tzinfo else naive.replace(tzinfo=ZoneInfo(zone))


def _open_needs(request: Request[Any, Any, Any]) -> list[NeedView]:
    organisation_id = require_member(request).organisation_id
    return marketplace_of(request).lots.needs(organisation_id, status="open")


def _suggestions(request: Request[Any, Any, Any], chosen: list[NeedView]) -> dict[str, Any]:
    """Suppliers that fit the chosen needs, with why, to invite with the RFQ."""
    marketplace = marketplace_of(request)
    me = require_member(request).organisation_id
    if not chosen:
        return {"suggestions": [], "names": {}}
    text = " ".join(f"{need.category} {need.specification}" for need in chosen)
    found = marketplace.matching.match(MatchQuery(
        text=text[:MAX_QUERY_LENGTH], prefecture=chosen[0].delivery_prefecture,
        exclude=frozenset({me}), limit=20))
    return {"suggestions": [(m, reason_text(request, m)) for m in found],
            "names": names(request, [m.organisation_id for m in found])}


def _issue_context(request: Request[Any, Any, Any], values: dict[str, Any],
                   error: str | None = None) -> dict[str, Any]:
    member = require_member(request)
    marketplace = marketplace_of(request)
    needs = _open_needs(request)
    checked = [need for need in needs if str(need.id) in values["need_ids"]]
    organisation = marketplace.organisations.get(member.organisation_id)
    english = language_of(request) == "en"
    return {"needs": needs, "values": values, "error": error,
            "certifications": [(term.code, term.label_en if english else term.label_ja)
                               for term in CERTIFICATIONS.terms],
            "clusters": organisation.clusters if organisation else [],
            **_suggestions(request, checked or needs), **labels(request)}


def _issue_values(data: dict[str, Any]) -> dict[str, Any]:
    return {"need_ids": fields(data, "need_ids"), "title": field(data, "title"),
            "closes_at": field(data, "closes_at"), "notes": field(data, "notes"),
            "cluster": field(data, "cluster"), "invited": fields(data, "invited"),
            "required_certifications": fields(data, "required_certifications")}


class RfqPages(Controller):
    """My RFQs, issuing one, and the RFQ page's own forms."""

    path = "/rfqs"

    @get(opt=EITHER, sync_to_thread=True)
    def my_rfqs(self, request: Request[Any, Any, Any],
                status: FromQuery[Status | None] = None) -> Response[Any]:
        """As a buyer the RFQs I issued; as a supplier those I am invited to or may quote;
        the status filter swaps the list in place."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        role: Literal["buyer", "supplier"] | None = None
        if not member.has(MemberRole.SUPPLIER):
            role = "buyer"
        elif not member.has(MemberRole.BUYER):
            role = "supplier"
        rfqs = marketplace.rfqs.for_organisation(member.organisation_id,
                                                 now=marketplace.clock(), role=role,
                                                 status=status)
        buyers = names(request, [r.buyer_id for r in rfqs if r.role == "supplier"])
        return page(request, "rfqs/list.html",
                    {"rfqs": rfqs, "status": status, "statuses": STATUSES, "buyers": buyers,
                     "can_issue": member.has(MemberRole.BUYER)},
                    fragment="rfqs/_list.html",
                    push_url=f"/rfqs?status={status}" if status else "/rfqs")

    @get("/new", opt=BUYERS, sync_to_thread=True)
    def new_rfq(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The issue form; with htmx, only the suppliers suggested for the checked needs."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        checked = request.query_params.getall("need_ids", [])
        if request.headers.get("hx-request") == "true":
            needs = _open_needs(request)
            chosen = [n for n in needs if str(n.id) in checked] or needs
            return page(request, "rfqs/_suggestions.html",
                        {"values": {"invited": []}, **_suggestions(request, chosen)})
        zone = ZoneInfo(member.time_zone)
        day = (marketplace.clock().astimezone(zone) + timedelta(days=DEFAULT_OPEN_DAYS)).date()
        deadline = datetime.combine(day, DEFAULT_CLOSING_TIME)
        organisation = marketplace.organisations.get(member.organisation_id)
        clusters = organisation.clusters if organisation else []
        values = {"need_ids": checked, "title": "", "notes": "", "invited": [],
                  "closes_at": deadline.strftime(DATETIME_LOCAL), "required_certifications": [],
                  "cluster": clusters[0] if clusters else ""}
        return page(request, "rfqs/new.html", _issue_context(request, values))

    @post(opt=BUYERS, sync_to_thread=True)
    def issue_rfq(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        member = require_member(request)
        marketplace = marketplace_of(request)
        values = _issue_values(data)
        need_ids, invited = uuids(values["need_ids"]), uuids(values["invited"])
        closes_at = parse_deadline(values["closes_at"], member.time_zone)
        organisation = marketplace.organisations.get(member.organisation_id)
        error = None
        if need_ids is None or invited is None:
            error = t(request, "Choose needs and suppliers from the lists shown.")
        elif not need_ids:
            error = t(request, "Choose at least one of your open needs.")
        elif closes_at is None:
            error = t(request, "Give the deadline as a date and a time, e.g. 2026-12-01 17:00.")
        elif values["cluster"] and (organisation is None
                                    or values["cluster"] not in organisation.clusters):
            error = t(request, "Open the RFQ to one of your own clusters.")
        if error is None and need_ids is not None and closes_at is not None:
            try:
                rfq_id = marketplace.issue_rfq(
                    member.organisation_id, need_ids=need_ids, title=values["title"],
                    closes_at=closes_at, invited=invited or [],
                    cluster=values["cluster"] or None,
                    required_certifications=values["required_certifications"],
                    notes=values["notes"])
            except NotPermittedError:
                raise
            except RuleViolationError as violation:
                error = error_message(request, violation)
            else:
                return see_other(f"/rfqs/{rfq_id}")
        return page(request, "rfqs/new.html", _issue_context(request, values, error),
                    status_code=HTTP_422_UNPROCESSABLE_ENTITY)

    @get("/{rfq_id:uuid}", opt=EITHER, sync_to_thread=True)
    def rfq(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID]) -> Response[Any]:
        """The RFQ as the buyer or a supplier of its audience sees it (quotes sealed); with
        htmx, only its status panel (it refreshes itself)."""
        return rfq_page(request, rfq_id)

    @post("/{rfq_id:uuid}/invitations", opt=BUYERS, sync_to_thread=True)
    def invite(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID],
               data: Form) -> Response[Any]:
        member, detail = visible_rfq(request, rfq_id)
        require_buyer(request, detail)
        chosen = uuids(fields(data, "supplier_ids"))
        if not chosen:
            return _failed(request, rfq_id, "invite",
                           t(request, "Choose at least one supplier to invite."))
        try:
            marketplace_of(request).invite_suppliers(member.organisation_id, rfq_id, chosen)
        except NotPermittedError:
            raise
        except RuleViolationError as violation:
            return _failed(request, rfq_id, "invite", error_message(request, violation))
        return see_other(f"/rfqs/{rfq_id}#invited")

    @post("/{rfq_id:uuid}/questions", opt=SUPPLIERS, sync_to_thread=True)
    def ask(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID],
            data: Form) -> Response[Any]:
        member, detail = visible_rfq(request, rfq_id)
        require_supplier(request, detail)
        text = field(data, "text")
        try:
            marketplace_of(request).ask_question(member.organisation_id, rfq_id, text)
        except NotPermittedError:
            raise
        except RuleViolationError as violation:
            return _failed(request, rfq_id, "ask", error_message(request, violation),
                           {"question": text})
        return see_other(f"/rfqs/{rfq_id}#questions")

    @post("/{rfq_id:uuid}/questions/{question_id:uuid}/answer", opt=BUYERS,
          sync_to_thread=True)
    def answer(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID],
               question_id: FromPath[UUID], data: Form) -> Response[Any]:
        member, detail = visible_rfq(request, rfq_id)
        require_buyer(request, detail)
        text = field(data, "answer")
        try:
            marketplace_of(request).answer_question(member.organisation_id, rfq_id,
                                                    question_id, text)
        except NotPermittedError:
            raise
        except RuleViolationError as violation:
            return _failed(request, rfq_id, f"answer-{question_id}",
                           error_message(request, violation), {f"answer-{question_id}": text})
        return see_other(f"/rfqs/{rfq_id}#questions")

    @post("/{rfq_id:uuid}/cancellation", opt=BUYERS, sync_to_thread=True)
    def cancel(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID],
               data: Form) -> Response[Any]:
        member, detail = visible_rfq(request, rfq_id)
        require_buyer(request, detail)
        reason = field(data, "reason")
        try:
            marketplace_of(request).cancel_rfq(member.organisation_id, rfq_id, reason)
        except NotPermittedError:
            raise
        except RuleViolationError as violation:
            return _failed(request, rfq_id, "cancel", error_message(request, violation),
                           {"reason": reason})
        return see_other(f"/rfqs/{rfq_id}")


def _failed(request: Request[Any, Any, Any], rfq_id: UUID, form: str, message: str,
            values: dict[str, Any] | None = None) -> Response[Any]:
    """The RFQ page again, the message next to the form that failed; nothing recorded."""
    return rfq_page(request, rfq_id, errors={form: message}, values=values,
                    status_code=HTTP_422_UNPROCESSABLE_ENTITY)
