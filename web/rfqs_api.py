"""The JSON API, version 1: a buyer's RFQs, the questions suppliers ask, matching suppliers.

Nobody but the buyer and the RFQ's audience (invited, eligible, or quoting suppliers) learns
that an RFQ exists: every route answers 404 to anyone else, before any rule is checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from marketplace.application import Marketplace, RfqNotFoundError
from marketplace.domain.rfq_rules import NotRfqBuyerError, QuestionNotFoundError
from marketplace.readmodels.matching import MAX_QUERY_LENGTH, MatchQuery, SupplierMatch
from marketplace.readmodels.rfq_views import QuestionView, RfqDetail, RfqSummary
from web.api import acting_organisation
from web.idempotency import idempotent
from web.needs_api import Amount

T = TypeVar("T")


class RfqIssue(msgspec.Struct, forbid_unknown_fields=True):
    """An RFQ on some of my open needs (one line each), to invited suppliers and/or open to a
    cluster or prefectures, until ``closes_at``."""

    need_ids: list[UUID]
    title: str
    closes_at: datetime
    """ISO 8601 with its offset, e.g. 2026-12-01T17:00:00+09:00."""
    invited: list[UUID] = msgspec.field(default_factory=list)
    cluster: str | None = None
    prefectures: list[str] = msgspec.field(default_factory=list)
    required_certifications: list[str] = msgspec.field(default_factory=list)
    notes: str | None = None
    currency: str = "JPY"


class RfqLineAmendment(msgspec.Struct, forbid_unknown_fields=True):
    """A line's new quantity, needed-by date (YYYY-MM-DD) or specification; absent ones stay."""

    line: int
    quantity: Amount | msgspec.UnsetType = msgspec.UNSET
    needed_by: str | msgspec.UnsetType = msgspec.UNSET
    specification: str | msgspec.UnsetType = msgspec.UNSET


class RfqAmendment(msgspec.Struct, forbid_unknown_fields=True):
    """Parts of the terms to replace, and/or a new deadline; absent ones stay."""

    title: str | msgspec.UnsetType = msgspec.UNSET
    lines: list[RfqLineAmendment] | msgspec.UnsetType = msgspec.UNSET
    required_certifications: list[str] | msgspec.UnsetType = msgspec.UNSET
    notes: str | msgspec.UnsetType = msgspec.UNSET
    closes_at: datetime | msgspec.UnsetType = msgspec.UNSET


class Invitation(msgspec.Struct, forbid_unknown_fields=True):
    supplier_ids: list[UUID]


class RfqCancellation(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class Question(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class Answer(msgspec.Struct, forbid_unknown_fields=True):
    answer: str


class RfqController(Controller):
    path = "/api/v1/rfqs"
    tags = ("rfqs",)

    @post(status_code=HTTP_201_CREATED, sync_to_thread=True)
    def issue_rfq(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace],
                  data: JSONBody[RfqIssue]) -> Response[RfqDetail]:
        """Issue an RFQ (buyers only) on some of my open needs."""
        me = acting_organisation(request, marketplace)

        def produce() -> tuple[int, RfqDetail]:
            rfq_id = marketplace.issue_rfq(me, **msgspec.structs.asdict(data))
            return HTTP_201_CREATED, rfq_detail(marketplace, me, rfq_id)
        return idempotent(request, marketplace, me, data, produce)

    @get(sync_to_thread=True)
    def my_rfqs(self, request: Request[Any, Any, Any],
                marketplace: NamedDependency[Marketplace],
                role: FromQuery[Literal["buyer", "supplier"] | None] = None,
                status: FromQuery[Literal["open", "closed", "cancelled", "awarded"] | None] = None,
                ) -> list[RfqSummary]:
        """RFQs I issued, and RFQs I am invited to or eligible for, with my standing in each;
        soonest deadline first."""
        return marketplace.rfqs.for_organisation(
            acting_organisation(request, marketplace), now=marketplace.clock(), role=role,
            status=status)

    @get("/{rfq_id:uuid}", sync_to_thread=True)
    def get_rfq(self, request: Request[Any, Any, Any],
                marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID]) -> RfqDetail:
        """An RFQ's lines, deadline and status, its answered questions, and my own quote."""
        return rfq_detail(marketplace, acting_organisation(request, marketplace), rfq_id)

    @patch("/{rfq_id:uuid}", sync_to_thread=True)
    def amend_rfq(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                  data: JSONBody[RfqAmendment]) -> RfqDetail:
        """Amend my RFQ's terms or deadline; quotes on the old terms must be re-confirmed."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)
        lines = None if isinstance(data.lines, msgspec.UnsetType) else [
            {name: value for name, value in msgspec.structs.asdict(line).items()
             if value is not msgspec.UNSET} for line in data.lines]
        marketplace.amend_rfq(me, rfq_id, title=_given(data.title), lines=lines,
                              required_certifications=_given(data.required_certifications),
                              notes=_given(data.notes), closes_at=_given(data.closes_at))
        return rfq_detail(marketplace, me, rfq_id)

    @post("/{rfq_id:uuid}/invitations", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def invite_suppliers(self, request: Request[Any, Any, Any],
                         marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                         data: JSONBody[Invitation]) -> Response[RfqDetail]:
        """Invite more suppliers to my RFQ (201), or confirm they were invited (200)."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)

        def produce() -> tuple[int, RfqDetail]:
            new = marketplace.invite_suppliers(me, rfq_id, data.supplier_ids)
            return (HTTP_201_CREATED if new else HTTP_200_OK,
                    rfq_detail(marketplace, me, rfq_id))
        return idempotent(request, marketplace, me, data, produce)

    @post("/{rfq_id:uuid}/cancel", status_code=HTTP_200_OK, sync_to_thread=True)
    def cancel_rfq(self, request: Request[Any, Any, Any],
                   marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                   data: JSONBody[RfqCancellation]) -> Response[RfqDetail]:
        """Cancel my RFQ until it is awarded, saying why; its needs are free again."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)

        def produce() -> tuple[int, RfqDetail]:
            marketplace.cancel_rfq(me, rfq_id, data.reason)
            return HTTP_200_OK, rfq_detail(marketplace, me, rfq_id)
        return idempotent(request, marketplace, me, data, produce)

    @post("/{rfq_id:uuid}/questions", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def ask_question(self, request: Request[Any, Any, Any],
                     marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                     data: JSONBody[Question]) -> Response[QuestionView]:
        """Ask the buyer a question; its answer goes to every supplier, not who asked."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)

        def produce() -> tuple[int, QuestionView]:
            question_id = marketplace.ask_question(me, rfq_id, data.text)
            return HTTP_201_CREATED, _question(marketplace, me, rfq_id, question_id)
        return idempotent(request, marketplace, me, data, produce)

    @post("/{rfq_id:uuid}/questions/{question_id:uuid}/answer", status_code=HTTP_200_OK,
          sync_to_thread=True)
    def answer_question(self, request: Request[Any, Any, Any],
                        marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                        question_id: FromPath[UUID],
                        data: JSONBody[Answer]) -> Response[QuestionView]:
        """Answer a question on my RFQ, to every supplier it is open to."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)

        def produce() -> tuple[int, QuestionView]:
            marketplace.answer_question(me, rfq_id, question_id, data.answer)
            return HTTP_200_OK, _question(marketplace, me, rfq_id, question_id)
        return idempotent(request, marketplace, me, data, produce)

    @get("/{rfq_id:uuid}/matches", sync_to_thread=True)
    def match_suppliers(self, request: Request[Any, Any, Any],
                        marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
                        ) -> list[SupplierMatch]:
        """Suppliers that fit my RFQ's lines, best first, with why; those already invited are
        left out (the RFQ's detail lists them)."""
        me = acting_organisation(request, marketplace)
        detail = rfq_detail(marketplace, me, rfq_id)
        if detail.invited is None:
            raise NotRfqBuyerError("only the buyer that issued this RFQ looks for suppliers for it")
        rfq = detail.rfq
        text = " ".join([rfq.title, *(f"{line.category} {line.specification}"
                                      for line in rfq.lines)])
        return marketplace.matching.match(MatchQuery(
            text=text[:MAX_QUERY_LENGTH], prefecture=rfq.lines[0].delivery_prefecture,
            certifications=frozenset(rfq.required_certifications),
            exclude=frozenset({me, *detail.invited}), limit=limit))


def _given(value: T | msgspec.UnsetType) -> T | None:
    return None if isinstance(value, msgspec.UnsetType) else value


def rfq_detail(marketplace: Marketplace, organisation_id: UUID, rfq_id: UUID) -> RfqDetail:
    """The RFQ as the organisation sees it; 404 unless it is the buyer or in the audience."""
    detail = marketplace.rfqs.detail(organisation_id, rfq_id, now=marketplace.clock())
    if detail is None:
        raise rfq_not_found(rfq_id)
    return detail


def rfq_not_found(rfq_id: UUID) -> RfqNotFoundError:
    """The same answer whether the RFQ does not exist or is not open to the caller."""
    return RfqNotFoundError(f"no RFQ has id {rfq_id} (or it is not open to you)")


def _question(marketplace: Marketplace, organisation_id: UUID, rfq_id: UUID,
              question_id: UUID) -> QuestionView:
    for question in rfq_detail(marketplace, organisation_id, rfq_id).questions:
        if question.id == question_id:
            return question
    raise QuestionNotFoundError(f"this RFQ has no question {question_id}")
