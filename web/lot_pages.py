"""Pages of pooled lots: browsing them, a lot's page with its live threshold bar and price
chart, pooling a need into a lot (and taking it back), and joining a lot as a supplier."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_404_NOT_FOUND, HTTP_422_UNPROCESSABLE_ENTITY

from marketplace.accounts import MemberRole
from marketplace.application import NeedNotFoundError
from marketplace.domain import PREFECTURES, Prefecture, RuleViolationError
from marketplace.domain.errors import NotPermittedError
from marketplace.domain.items import normalise_category, quantity, unit_price
from marketplace.domain.lot_rules import CommitmentAboveNeedError
from marketplace.readmodels.lot_queries import LotView
from web.auth import marketplace_of, members, require_member
from web.forms import Form, field
from web.lot_context import (
    PoolForm,
    detail_for,
    lot_context,
    progress_context,
)
from web.lots_api import viewer_for
from web.page_cache import cached_page
from web.render import error_message, page, see_other, t

BUYER_OR_SUPPLIER = members(MemberRole.BUYER, MemberRole.SUPPLIER)
PAGE_SIZE = 50
STATUSES = ("open", "closed", "cancelled", "all")


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


class LotPages(Controller):
    """Lots as members see them; buyers pool needs into them, suppliers join them."""

    path = "/lots"

    @get("/", opt=BUYER_OR_SUPPLIER, sync_to_thread=True)
    def lots(self, request: Request[Any, Any, Any], status: FromQuery[str] = "open",
             category: FromQuery[str] = "", prefecture: FromQuery[str] = "",
             within: FromQuery[str] = "",
             page_number: Annotated[str, QueryParameter(name="page")] = "1") -> Response[Any]:
        """Lots my organisation may see, filtered; htmx swaps just the results."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        filters, query, errors = _filters(request, status, category, prefecture, within)
        number = _whole(page_number, 1, 10_000) or 1
        found = [] if errors else marketplace.lots.search(
            viewer_for(marketplace, member.organisation_id), now=marketplace.clock(),
            limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE, **query)
        shown = {k: v for k, v in filters.items() if v and not (k == "status" and v == "open")}
        link = _paged(shown, number) if number > 1 else (
            "/lots" + (f"?{urlencode(shown)}" if shown else ""))
        return page(request, "lots/index.html", {
            "found": found[:PAGE_SIZE], "filters": filters, "errors": errors,
            "statuses": STATUSES, "prefectures": PREFECTURES, "page_number": number,
            "previous_page": _paged(shown, number - 1) if number > 1 else None,
            "next_page": _paged(shown, number + 1) if len(found) > PAGE_SIZE else None},
            fragment="lots/_results.html", push_url=link)

    @get("/{lot_id:uuid}", opt=BUYER_OR_SUPPLIER)
    async def lot(self, request: Request[Any, Any, Any],
                  lot_id: FromPath[UUID]) -> Response[Any]:
        member = require_member(request)

        def render() -> tuple[Template, datetime | None]:
            context = lot_context(request, member, lot_id)
            return page(request, "lots/lot.html", context), _changes_at(context["lot"])
        return await cached_page(request, render)

    @get("/{lot_id:uuid}/progress", opt=BUYER_OR_SUPPLIER)
    async def progress(self, request: Request[Any, Any, Any],
                       lot_id: FromPath[UUID]) -> Response[Any]:
        """The live bar alone, polled by the lot page (small: it is requested every 5 s by
        every open lot page, so it skips what a whole page looks up)."""
        member = require_member(request)

        def render() -> tuple[Template, datetime | None]:
            context = progress_context(detail_for(request, member, lot_id))
            return (Template(template_name="lots/_progress.html",
                             context={"member": member, **context}),
                    _changes_at(context["lot"]))
        return await cached_page(request, render)

    @post("/{lot_id:uuid}/commitments", opt=members(MemberRole.BUYER), sync_to_thread=True)
    def pool_need(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
                  data: Form) -> Response[Any]:
        """Pool one of my open needs; the form comes back with the rule's message if not."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        detail = detail_for(request, member, lot_id)
        values = {name: field(data, name).strip()
                  for name in ("need_id", "quantity", "max_unit_price")}
        errors, status = _check_pooling(request, values), HTTP_422_UNPROCESSABLE_ENTITY
        if not errors:
            try:
                marketplace.pool_need(member.organisation_id, lot_id, UUID(values["need_id"]),
                                      quantity=values["quantity"] or None,
                                      max_unit_price=values["max_unit_price"] or None)
            except NeedNotFoundError:
                errors["need_id"] = t(request, "You have no such need: choose one of yours.")
                status = HTTP_404_NOT_FOUND
            except NotPermittedError:
                raise
            except RuleViolationError as error:
                name = "quantity" if isinstance(error, CommitmentAboveNeedError) else "need_id"
                errors[name] = error_message(request, error)
        if errors:
            return page(request, "lots/lot.html", lot_context(
                request, member, lot_id, detail=detail, pool=PoolForm(values, errors)),
                fragment="lots/_pool_form.html", status_code=status)
        if not _is_htmx(request):
            return see_other(f"/lots/{lot_id}")
        notice = t(request, "Your need is pooled into this lot.")
        return page(request, "lots/lot.html", lot_context(
            request, member, lot_id, pool=PoolForm(notice=notice), pooled_now=True),
            fragment="lots/_pool_form.html")

    @post("/{lot_id:uuid}/commitments/{need_id:uuid}/withdrawal",
          opt=members(MemberRole.BUYER), sync_to_thread=True)
    def withdraw_commitment(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
                            need_id: FromPath[UUID]) -> Response[Any]:
        """Take my need back out of the lot before it closes; the need stays open."""
        member = require_member(request)
        detail_for(request, member, lot_id)
        try:
            marketplace_of(request).withdraw_commitment(member.organisation_id, lot_id, need_id)
        except NotPermittedError:
            raise
        except RuleViolationError as error:
            return page(request, "lots/lot.html", lot_context(
                request, member, lot_id,
                pool=PoolForm(errors={"form": error_message(request, error)})),
                fragment="lots/_pool_form.html", status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        if not _is_htmx(request):
            return see_other(f"/lots/{lot_id}")
        notice = t(request, "Your need is out of this lot and open again.")
        return page(request, "lots/lot.html", lot_context(
            request, member, lot_id, pool=PoolForm(notice=notice), pooled_now=True),
            fragment="lots/_pool_form.html")

    @post("/{lot_id:uuid}/suppliers", opt=members(MemberRole.SUPPLIER), sync_to_thread=True)
    def join(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID]) -> Response[Any]:
        """Join the lot as a supplier, then on to the bid form."""
        member = require_member(request)
        detail = detail_for(request, member, lot_id)
        try:
            marketplace_of(request).join_lot(member.organisation_id, lot_id)
        except NotPermittedError:
            raise
        except RuleViolationError as error:
            return page(request, "lots/lot.html", lot_context(
                request, member, lot_id, detail=detail, join_error=error_message(request, error)),
                status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/lots/{lot_id}/bid")


def _changes_at(lot: LotView) -> datetime | None:
    """A lot open by the ledger reads as closed from its close time on, before the close is
    recorded: no cached page of it may outlive that instant."""
    return lot.closes_at if lot.status == "open" else None


def _filters(request: Request[Any, Any, Any], status: str, category: str, prefecture: str,
             within: str) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The filters as given, the search's arguments they make, and what is wrong with them."""
    filters = {"status": status if status in STATUSES else "open", "category": category.strip(),
               "prefecture": prefecture.strip(), "within": within.strip()}
    query: dict[str, Any] = {"status": None if filters["status"] == "all" else filters["status"],
                             "category": None, "prefecture": None, "closing_within": None}
    errors: dict[str, str] = {}
    try:
        if filters["category"]:
            query["category"] = normalise_category(filters["category"])
    except RuleViolationError as error:
        errors["category"] = error_message(request, error)
    try:
        if filters["prefecture"]:
            query["prefecture"] = Prefecture.parse(filters["prefecture"]).code
    except RuleViolationError as error:
        errors["prefecture"] = error_message(request, error)
    days = _whole(filters["within"], 1, 366)
    if filters["within"] and days is None:
        errors["within"] = t(request, "Give a whole number of days from 1 to 366.")
    if days:
        query["closing_within"] = timedelta(days=days)
    return filters, query, errors


def _check_pooling(request: Request[Any, Any, Any], values: dict[str, str]) -> dict[str, str]:
    """Which field is wrong, found with the domain's own readers of amounts."""
    errors: dict[str, str] = {}
    try:
        UUID(values["need_id"])
    except ValueError:
        errors["need_id"] = t(request, "Choose one of your open needs.")
    for name, read in (("quantity", quantity), ("max_unit_price", unit_price)):
        if values[name]:
            try:
                read(values[name], name.replace("_", " "))
            except RuleViolationError as error:
                errors[name] = error_message(request, error)
    return errors


def _whole(text: str, low: int, high: int) -> int | None:
    try:
        number = int(text)
    except ValueError:
        return None
    return number if low <= number <= high else None


def _paged(shown: dict[str, str], number: int) -> str:
    return "/lots?" + urlencode({**shown, "page": str(number)})
