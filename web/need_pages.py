"""Pages of a buyer's needs: the table of them, posting one, one need with what it can do
next, revising it and withdrawing it. Other organisations' needs are private (404)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from marketplace.accounts import MemberRole
from marketplace.application import Marketplace, NeedNotFoundError
from marketplace.domain import RuleViolationError
from marketplace.readmodels.lot_queries import NeedView
from web.auth import members, require_member
from web.forms import Form
from web.i18n import language_of
from web.need_forms import (
    STATUSES,
    form_context,
    posted,
    prefecture_names,
    terms,
    values_of,
)
from web.render import error_message, page, see_other, t

BUYERS = members(MemberRole.BUYER)


def _need(marketplace: Marketplace, buyer_id: UUID, need_id: UUID) -> NeedView:
    view = marketplace.lots.need(buyer_id, need_id)
    if view is None:
        raise NeedNotFoundError(f"no need of yours has id {need_id}")
    return view


def _rfq_titles(marketplace: Marketplace, buyer_id: UUID) -> dict[UUID, str]:
    return {rfq.id: rfq.title for rfq in marketplace.rfqs.for_organisation(
        buyer_id, now=marketplace.clock(), role="buyer")}


def _detail_context(request: Request[Any, Any, Any], marketplace: Marketplace, need: NeedView,
                    error: str | None = None) -> dict[str, Any]:
    """The need with its lot or RFQ (as the buyer sees them) and, while it is open, where it
    could be pooled."""
    me, now = need.buyer_id, marketplace.clock()
    lot = commitment = rfq = None
    if need.lot_id is not None:
        viewer = marketplace.lots.viewer(me)
        detail = None if viewer is None else marketplace.lots.detail(viewer, need.lot_id,
                                                                     now=now)
        lot = None if detail is None else detail.lot
        commitment = marketplace.lots.commitment(me, need.lot_id, need.id)
    if need.rfq_id is not None:
        found = marketplace.rfqs.detail(me, need.rfq_id, now=now)
        rfq = None if found is None else found.rfq
    suggestions = (marketplace.pooling_suggestions.for_need(me, need.id, now=now) or []
                   if need.status == "open" else [])
    return {"need": need, "lot": lot, "commitment": commitment, "rfq": rfq,
            "suggestions": suggestions, "error": error,
            "withdrawable": need.status == "open" or (
                need.status == "pooled" and lot is not None and lot.status == "open"),
            "prefecture_names": prefecture_names(language_of(request))}


class NeedPages(Controller):
    """A buyer's needs: list, post, show, revise, withdraw."""

    path = "/needs"

    @get("/", opt=BUYERS, sync_to_thread=True)
    def list_needs(self, request: Request[Any, Any, Any],
                   marketplace: NamedDependency[Marketplace],
                   status: FromQuery[str | None] = None) -> Response[Any]:
        """My needs, most recent first; the status filter swaps the table in place."""
        me = require_member(request).organisation_id
        chosen = status if status in STATUSES else None
        return page(request, "needs/index.html", {
            "needs": marketplace.lots.needs(me, status=chosen), "status": chosen,
            "statuses": STATUSES, "rfq_titles": _rfq_titles(marketplace, me),
            "prefecture_names": prefecture_names(language_of(request))},
            fragment="needs/_table.html",
            push_url=f"/needs?status={chosen}" if chosen else "/needs")

    @get("/new", opt=BUYERS, sync_to_thread=True)
    def new_need(self, request: Request[Any, Any, Any],
                 marketplace: NamedDependency[Marketplace]) -> Response[Any]:
        me = require_member(request).organisation_id
        organisation = marketplace.organisations.get(me)
        values = {"unit": "kg", "delivery_prefecture": organisation.prefecture
                  if organisation else ""}
        return page(request, "needs/form.html",
                    form_context(marketplace, me, language_of(request), values))

    @post("/", opt=BUYERS, sync_to_thread=True)
    def post_need(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace], data: Form) -> Response[Any]:
        """Records the need, or shows the form again with what to change (nothing recorded)."""
        me = require_member(request).organisation_id
        values = posted(data)
        try:
            need_id = marketplace.post_need(me, **terms(values))
        except RuleViolationError as error:
            return page(request, "needs/form.html",
                        form_context(marketplace, me, language_of(request), values, error),
                        status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/needs/{need_id}")

    @get("/{need_id:uuid}", opt=BUYERS, sync_to_thread=True)
    def show_need(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace],
                  need_id: FromPath[UUID]) -> Response[Any]:
        need = _need(marketplace, require_member(request).organisation_id, need_id)
        return page(request, "needs/show.html", _detail_context(request, marketplace, need))

    @get("/{need_id:uuid}/edit", opt=BUYERS, sync_to_thread=True)
    def edit_need(self, request: Request[Any, Any, Any],
                  marketplace: NamedDependency[Marketplace],
                  need_id: FromPath[UUID]) -> Response[Any]:
        """The revision form, while the need is open (else the need, saying why not)."""
        me = require_member(request).organisation_id
        need = _need(marketplace, me, need_id)
        if need.status != "open":
            why = t(request, "Only an open need can be revised; change it through its lot or RFQ.")
            return page(request, "needs/show.html",
                        _detail_context(request, marketplace, need, why),
                        status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return page(request, "needs/form.html", form_context(
            marketplace, me, language_of(request), values_of(need), need=need))

    @post("/{need_id:uuid}", opt=BUYERS, sync_to_thread=True)
    def revise_need(self, request: Request[Any, Any, Any],
                    marketplace: NamedDependency[Marketplace], need_id: FromPath[UUID],
                    data: Form) -> Response[Any]:
        """Replaces the need's terms (only the changed ones are recorded)."""
        me = require_member(request).organisation_id
        need = _need(marketplace, me, need_id)
        values = posted(data)
        try:
            marketplace.revise_need(me, need_id, **terms(values))
        except RuleViolationError as error:
            return page(request, "needs/form.html", form_context(
                marketplace, me, language_of(request), values, error, need=need),
                status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/needs/{need_id}")

    @post("/{need_id:uuid}/withdrawal", opt=BUYERS, sync_to_thread=True)
    def withdraw_need(self, request: Request[Any, Any, Any],
                      marketplace: NamedDependency[Marketplace],
                      need_id: FromPath[UUID]) -> Response[Any]:
        """Withdraws the need (and its commitment from a lot still open), or says why not."""
        me = require_member(request).organisation_id
        need = _need(marketplace, me, need_id)
        try:
            marketplace.withdraw_need(me, need_id)
        except RuleViolationError as error:
            return page(request, "needs/show.html",
                        _detail_context(request, marketplace, need,
                                        error_message(request, error)),
                        status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/needs/{need_id}")
