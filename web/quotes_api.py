"""The JSON API, version 1: sealed quotes on RFQs, their comparison, the award, purchase orders.

Quotes are sealed: a supplier reads only its own; the buyer reads none until they open at
the deadline; no supplier ever reads a rival's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from marketplace.application import Marketplace
from marketplace.domain import NotFoundError
from marketplace.domain.rfq_rules import QuoteNotFoundError, RfqLineTwiceError
from marketplace.readmodels.rfq_comparison import Comparison
from marketplace.readmodels.rfq_views import PurchaseOrderView, QuoteView, RfqDetail
from web.api import acting_organisation
from web.idempotency import idempotent
from web.lots_api import PriceBreakOffer
from web.needs_api import Amount
from web.rfqs_api import rfq_detail, rfq_not_found


class QuoteLineOffer(msgspec.Struct, forbid_unknown_fields=True):
    """A price for one RFQ line: ``unit_price``, or all-units ``price_breaks``, not both."""

    line: int
    lead_time_days: int
    valid_until: str
    """A date, YYYY-MM-DD, on or after the RFQ's deadline."""
    unit_price: Amount | msgspec.UnsetType = msgspec.UNSET
    price_breaks: list[PriceBreakOffer] | msgspec.UnsetType = msgspec.UNSET
    notes: str | None = None


class QuoteOffer(msgspec.Struct, forbid_unknown_fields=True):
    lines: list[QuoteLineOffer]


class LineAward(msgspec.Struct, forbid_unknown_fields=True):
    line: int
    quote_id: UUID


class AwardDecision(msgspec.Struct, forbid_unknown_fields=True):
    """Every line to one quote (``whole``), or each listed line to its quote (``lines``)."""

    reason: str
    """Why these quotes were chosen; the losing quoters are told."""
    whole: UUID | None = None
    lines: list[LineAward] = msgspec.field(default_factory=list)


class AwardResult(msgspec.Struct):
    rfq: RfqDetail
    purchase_orders: list[PurchaseOrderView]
    """One per awarded supplier."""


class PurchaseOrderNotFoundError(NotFoundError):
    """No purchase order of mine (as buyer or supplier) has this number."""


class QuoteController(Controller):
    path = "/api/v1/rfqs/{rfq_id:uuid}"
    tags = ("quotes",)

    @post("/quotes", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def submit_quote(self, request: Request[Any, Any, Any],
                     marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                     data: JSONBody[QuoteOffer]) -> Response[QuoteView]:
        """Submit a sealed quote before the deadline (at or after it: 422 rfq_closed)."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)

        def produce() -> tuple[int, QuoteView]:
            quote_id = marketplace.submit_quote(me, rfq_id, _lines(data))
            return HTTP_201_CREATED, _quote(marketplace, me, rfq_id, quote_id)
        return idempotent(request, marketplace, me, data, produce)

    @get("/quotes", sync_to_thread=True)
    def list_quotes(self, request: Request[Any, Any, Any],
                    marketplace: NamedDependency[Marketplace],
                    rfq_id: FromPath[UUID]) -> list[QuoteView]:
        """A supplier: its own quotes. The buyer: none until the deadline (sealed), then the
        quotes on the current terms."""
        quotes = marketplace.rfqs.quotes(acting_organisation(request, marketplace), rfq_id,
                                         now=marketplace.clock())
        if quotes is None:
            raise rfq_not_found(rfq_id)
        return quotes

    @put("/quotes/{quote_id:uuid}", sync_to_thread=True)
    def revise_quote(self, request: Request[Any, Any, Any],
                     marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                     quote_id: FromPath[UUID], data: JSONBody[QuoteOffer]) -> QuoteView:
        """Replace my quote's lines before the deadline, on the current terms."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)
        marketplace.revise_quote(me, rfq_id, quote_id, _lines(data))
        return _quote(marketplace, me, rfq_id, quote_id)

    @post("/quotes/{quote_id:uuid}/reconfirm", status_code=HTTP_200_OK, sync_to_thread=True)
    def reconfirm_quote(self, request: Request[Any, Any, Any],
                        marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                        quote_id: FromPath[UUID]) -> Response[QuoteView]:
        """Stand by my quote's prices on the amended terms."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)

        def produce() -> tuple[int, QuoteView]:
            marketplace.reconfirm_quote(me, rfq_id, quote_id)
            return HTTP_200_OK, _quote(marketplace, me, rfq_id, quote_id)
        return idempotent(request, marketplace, me, None, produce)

    @delete("/quotes/{quote_id:uuid}", sync_to_thread=True)
    def withdraw_quote(self, request: Request[Any, Any, Any],
                       marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                       quote_id: FromPath[UUID]) -> None:
        """Withdraw my quote before the deadline; I may quote again."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)
        marketplace.withdraw_quote(me, rfq_id, quote_id)

    @get("/comparison", sync_to_thread=True)
    def compare_quotes(self, request: Request[Any, Any, Any],
                       marketplace: NamedDependency[Marketplace],
                       rfq_id: FromPath[UUID]) -> Comparison:
        """The buyer's matrix of the opened quotes, lines × suppliers: best price and lead
        time marked, totals, missing lines, the cheapest whole and split awards."""
        comparison = marketplace.rfqs.comparison(acting_organisation(request, marketplace),
                                                 rfq_id, now=marketplace.clock())
        if comparison is None:
            raise rfq_not_found(rfq_id)
        return comparison

    @post("/award", status_code=HTTP_200_OK, sync_to_thread=True)
    def award_rfq(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace], rfq_id: FromPath[UUID],
                  data: JSONBody[AwardDecision]) -> Response[AwardResult]:
        """Award my RFQ whole or split by line, saying why; a purchase order goes to each
        awarded supplier and the other quoters are told."""
        me = acting_organisation(request, marketplace)
        rfq_detail(marketplace, me, rfq_id)
        choices = {choice.line: choice.quote_id for choice in data.lines}
        if len(choices) < len(data.lines):
            raise RfqLineTwiceError("award each line once")

        def produce() -> tuple[int, AwardResult]:
            marketplace.award_rfq(me, rfq_id, reason=data.reason, whole=data.whole,
                                  lines=choices or None)
            return HTTP_200_OK, AwardResult(
                rfq=rfq_detail(marketplace, me, rfq_id),
                purchase_orders=[order for order in marketplace.rfqs.purchase_orders(me)
                                 if order.rfq_id == rfq_id])
        return idempotent(request, marketplace, me, data, produce)


class PurchaseOrderController(Controller):
    path = "/api/v1/purchase-orders"
    tags = ("purchase orders",)

    @get(sync_to_thread=True)
    def my_purchase_orders(self, request: Request[Any, Any, Any],
                           marketplace: NamedDependency[Marketplace]) -> list[PurchaseOrderView]:
        """Orders I placed as a buyer or received as a supplier, most recent first."""
        return marketplace.rfqs.purchase_orders(acting_organisation(request, marketplace))

    @get("/{number:str}", sync_to_thread=True)
    def get_purchase_order(self, request: Request[Any, Any, Any],
                           marketplace: NamedDependency[Marketplace],
                           number: FromPath[str]) -> PurchaseOrderView:
        """One order of mine, as buyer or supplier; 404 for anyone else."""
        order = marketplace.rfqs.purchase_order(acting_organisation(request, marketplace),
                                                number)
        if order is None:
            raise PurchaseOrderNotFoundError(f"you have no purchase order {number}")
        return order


def _lines(offer: QuoteOffer) -> list[dict[str, Any]]:
    """The quote's lines as the domain reads them: only the fields given."""
    return [{name: msgspec.to_builtins(value) for name, value in
             msgspec.structs.asdict(line).items() if value is not msgspec.UNSET}
            for line in offer.lines]


def _quote(marketplace: Marketplace, supplier_id: UUID, rfq_id: UUID,
           quote_id: UUID) -> QuoteView:
    for quote in marketplace.rfqs.quotes(supplier_id, rfq_id, now=marketplace.clock()) or ():
        if quote.id == quote_id and quote.supplier_id == supplier_id:
            return quote
    raise QuoteNotFoundError(f"you have no quote {quote_id} on this RFQ")
