"""Pages of quotes: a supplier's sealed quote (submit, revise, re-confirm, withdraw), the
buyer's comparison of the opened quotes and its award, and purchase orders.

Sealed: the quote form shows a supplier only its own quote; the comparison answers only the
buyer, and only after the deadline (the query refuses earlier).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from marketplace.domain import RuleViolationError
from marketplace.domain.errors import NotPermittedError
from marketplace.domain.rfq_rules import QuoteNotFoundError
from marketplace.readmodels.rfq_comparison import Comparison
from marketplace.readmodels.rfq_views import RfqDetail
from web.auth import marketplace_of, require_member
from web.forms import Form
from web.i18n import language_of
from web.quote_forms import (
    AwardValues,
    FormProblemError,
    LineValues,
    award_choices,
    quote_lines,
    quote_values,
    read_award,
    read_quote,
    suggested_award,
)
from web.quotes_api import PurchaseOrderNotFoundError
from web.render import error_message, page, see_other, t
from web.rfq_pages import BUYERS, EITHER, SUPPLIERS
from web.rfq_shared import (
    labels,
    name_in,
    names,
    require_buyer,
    require_supplier,
    rfq_page,
    visible_rfq,
)
from web.rfqs_api import rfq_not_found


def _quote_page(request: Request[Any, Any, Any], detail: RfqDetail,
                values: dict[int, LineValues] | None = None, error: str | None = None,
                status_code: int = 200) -> Response[Any]:
    return page(request, "rfqs/quote.html",
                {"detail": detail, "rfq": detail.rfq, "quote": detail.my_quote,
                 "lines": values or quote_values(detail.rfq, detail.my_quote),
                 "error": error, **labels(request)},
                fragment="rfqs/_quote_form.html", status_code=status_code)


def _comparison(request: Request[Any, Any, Any], detail: RfqDetail) -> Comparison:
    marketplace = marketplace_of(request)
    found = marketplace.rfqs.comparison(detail.rfq.buyer_id, detail.rfq.id,
                                        now=marketplace.clock())
    if found is None:
        raise rfq_not_found(detail.rfq.id)
    return found


def _comparison_page(request: Request[Any, Any, Any], detail: RfqDetail, *,
                     show_expired: bool = False, award: AwardValues | None = None,
                     error: str | None = None, status_code: int = 200) -> Response[Any]:
    comparison = _comparison(request, detail)
    language = language_of(request)
    suppliers = {s.quote_id: name_in(language, s.name_ja, s.name_en)
                 for s in comparison.suppliers}
    return page(request, "rfqs/comparison.html",
                {"detail": detail, "rfq": detail.rfq, "comparison": comparison,
                 "suppliers": suppliers, "show_expired": show_expired,
                 "with_expired": {cell.quote_id for line in comparison.lines
                                  for cell in line.cells if cell.expired},
                 "award": award or suggested_award(comparison), "error": error,
                 **labels(request)},
                fragment="rfqs/_matrix.html", status_code=status_code,
                push_url=f"/rfqs/{detail.rfq.id}/comparison"
                + ("?expired=true" if show_expired else ""))


class QuotePages(Controller):
    """A supplier's quote on an RFQ, and the buyer's comparison and award."""

    path = "/rfqs/{rfq_id:uuid}"

    @get("/quote", opt=SUPPLIERS, sync_to_thread=True)
    def quote_form(self, request: Request[Any, Any, Any],
                   rfq_id: FromPath[UUID]) -> Response[Any]:
        """My quote's form, new or filled with my live quote; with htmx, the form alone."""
        _member, detail = visible_rfq(request, rfq_id)
        require_supplier(request, detail)
        return _quote_page(request, detail)

    @post("/quote", opt=SUPPLIERS, sync_to_thread=True)
    def submit_quote(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID],
                     data: Form) -> Response[Any]:
        """Submits my sealed quote, or revises the live one; bad input records nothing."""
        member, detail = visible_rfq(request, rfq_id)
        require_supplier(request, detail)
        values = read_quote(detail.rfq, data)
        marketplace = marketplace_of(request)
        try:
            lines = quote_lines(values, lambda message, **v: t(request, message, **v))
            if detail.my_quote is None:
                marketplace.submit_quote(member.organisation_id, rfq_id, lines)
            else:
                marketplace.revise_quote(member.organisation_id, rfq_id, detail.my_quote.id,
                                         lines)
        except NotPermittedError:
            raise
        except (FormProblemError, RuleViolationError) as problem:
            return _quote_page(request, detail, values, error_message(request, problem),
                               HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/rfqs/{rfq_id}#my-quote")

    @post("/quote/withdrawal", opt=SUPPLIERS, sync_to_thread=True)
    def withdraw_quote(self, request: Request[Any, Any, Any],
                       rfq_id: FromPath[UUID]) -> Response[Any]:
        member, detail = visible_rfq(request, rfq_id)
        require_supplier(request, detail)
        if detail.my_quote is None:
            raise QuoteNotFoundError("you have no live quote on this RFQ")
        try:
            marketplace_of(request).withdraw_quote(member.organisation_id, rfq_id,
                                                   detail.my_quote.id)
        except NotPermittedError:
            raise
        except RuleViolationError as violation:
            return rfq_page(request, rfq_id, errors={"quote": error_message(request, violation)},
                            status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/rfqs/{rfq_id}#my-quote")

    @post("/quote/reconfirmation", opt=SUPPLIERS, sync_to_thread=True)
    def reconfirm_quote(self, request: Request[Any, Any, Any],
                        rfq_id: FromPath[UUID]) -> Response[Any]:
        """Stands by my quote on the amended terms; if it no longer fits them, the form says
        why so that I revise it instead."""
        member, detail = visible_rfq(request, rfq_id)
        require_supplier(request, detail)
        if detail.my_quote is None:
            raise QuoteNotFoundError("you have no live quote on this RFQ")
        try:
            marketplace_of(request).reconfirm_quote(member.organisation_id, rfq_id,
                                                    detail.my_quote.id)
        except NotPermittedError:
            raise
        except RuleViolationError as violation:
            return _quote_page(request, detail, error=error_message(request, violation),
                               status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/rfqs/{rfq_id}#my-quote")

    @get("/comparison", opt=BUYERS, sync_to_thread=True)
    def comparison(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID],
                   expired: FromQuery[bool] = False) -> Response[Any]:
        """The opened quotes, lines × suppliers, after the deadline; with htmx, the matrix
        alone (the "show expired lines" toggle)."""
        _member, detail = visible_rfq(request, rfq_id)
        require_buyer(request, detail)
        return _comparison_page(request, detail, show_expired=expired)

    @post("/award", opt=BUYERS, sync_to_thread=True)
    def award(self, request: Request[Any, Any, Any], rfq_id: FromPath[UUID],
              data: Form) -> Response[Any]:
        """Awards the whole RFQ to one quote or line by line, saying why."""
        member, detail = visible_rfq(request, rfq_id)
        require_buyer(request, detail)
        values = read_award(_comparison(request, detail), data)
        try:
            whole, lines = award_choices(values, lambda message, **v: t(request, message, **v))
            marketplace_of(request).award_rfq(member.organisation_id, rfq_id,
                                              reason=values.reason, whole=whole, lines=lines)
        except NotPermittedError:
            raise
        except (FormProblemError, RuleViolationError) as problem:
            return _comparison_page(request, detail, award=values,
                                    error=error_message(request, problem),
                                    status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/rfqs/{rfq_id}#orders")


class PurchaseOrderPages(Controller):
    """A purchase order, for its buyer and its supplier only."""

    path = "/purchase-orders"

    @get("/{number:str}", opt=EITHER, sync_to_thread=True)
    def purchase_order(self, request: Request[Any, Any, Any],
                       number: FromPath[str]) -> Response[Any]:
        member = require_member(request)
        order = marketplace_of(request).rfqs.purchase_order(member.organisation_id, number)
        if order is None:
            raise PurchaseOrderNotFoundError(f"you have no purchase order {number}")
        parties = names(request, [order.buyer_id, order.supplier_id])
        return page(request, "rfqs/purchase_order.html",
                    {"order": order, "buyer_name": parties[order.buyer_id],
                     "supplier_name": parties[order.supplier_id],
                     "is_buyer": order.buyer_id == member.organisation_id,
                     **labels(request)})
