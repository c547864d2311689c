"""Pages of a supplier's sealed bid on a lot: the bid form with its tier and consortium rows
(added and removed in place with htmx, or by re-rendering without JavaScript), withdrawing the
bid, and answering a consortium's invitation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from marketplace.accounts import Member, MemberRole
from marketplace.application import Marketplace
from marketplace.domain import Prefecture, Role, RuleViolationError
from marketplace.domain.errors import NotPermittedError
from marketplace.domain.lot_rules import BidNotFoundError
from marketplace.readmodels.lot_queries import BidView, LotDetail
from marketplace.readmodels.organisations import OrganisationView
from web.auth import marketplace_of, members, require_member
from web.bid_form import BidForm, Row
from web.forms import Form, field
from web.lot_context import detail_for, lot_context, prefecture_names
from web.render import error_message, page, see_other, t

SUPPLIER = members(MemberRole.SUPPLIER)
#: The most consortium candidates listed in a member row.
MAX_CANDIDATES = 200


def my_live_bid(detail: LotDetail, organisation_id: UUID) -> BidView | None:
    """The live bid I lead on the lot (a supplier bids once per lot)."""
    return next((b for b in detail.my_bids
                 if b.lead_id == organisation_id and b.status == "live"), None)


class BidPages(Controller):
    """A supplier's bid on one lot, and its answers to consortium invitations."""

    path = "/lots/{lot_id:uuid}"

    @get("/bid", opt=SUPPLIER, sync_to_thread=True)
    def bid_form(self, request: Request[Any, Any, Any],
                 lot_id: FromPath[UUID]) -> Response[Any]:
        """The bid form: blank, or my live bid's terms to revise."""
        member = require_member(request)
        detail = detail_for(request, member, lot_id)
        mine = my_live_bid(detail, member.organisation_id)
        form = BidForm.of_bid(mine) if mine else BidForm.blank(detail.lot)
        return page(request, "lots/bid.html", _context(request, member, detail, form, mine))

    @post("/bid", opt=SUPPLIER, sync_to_thread=True)
    def submit_bid(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
                   data: Form) -> Response[Any]:
        """Adds or removes a row (without JavaScript), or places / revises the bid."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        detail = detail_for(request, member, lot_id)
        mine = my_live_bid(detail, member.organisation_id)
        form = BidForm.sent(data)
        if form.act(field(data, "action")):
            return page(request, "lots/bid.html", _context(request, member, detail, form, mine))
        terms = form.terms(member.organisation_id, lambda message: t(request, message),
                           lambda error: error_message(request, error))
        if terms is not None:
            try:
                if mine is None:
                    marketplace.place_bid(member.organisation_id, lot_id, **terms)
                else:
                    marketplace.revise_bid(member.organisation_id, lot_id, mine.id, **terms)
            except NotPermittedError:
                raise
            except RuleViolationError as error:
                form.refused(error, error_message(request, error))
        if form.errors:
            return page(request, "lots/bid.html", _context(request, member, detail, form, mine),
                        status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/lots/{lot_id}")

    @get("/bid/tier-row", opt=SUPPLIER, sync_to_thread=True)
    def tier_row(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
                 index: FromQuery[int] = 0) -> Response[Any]:
        """One empty tier row for htmx to append, and the "Add a tier" button that asks for
        the row after it (swapped out of band)."""
        member = require_member(request)
        detail = detail_for(request, member, lot_id)
        index = max(0, min(index, 10_000))
        return page(request, "lots/_tier_row.html", {
            "lot": detail.lot, "form": BidForm(), "row": Row(index), "row_oob": True,
            "add_index": index + 1})

    @get("/bid/member-row", opt=SUPPLIER, sync_to_thread=True)
    def member_row(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
                   index: FromQuery[int] = 0) -> Response[Any]:
        """One empty consortium member row for htmx to append, as ``tier_row``."""
        member = require_member(request)
        detail = detail_for(request, member, lot_id)
        index = max(0, min(index, 10_000))
        return page(request, "lots/_member_row.html", {
            "lot": detail.lot, "form": BidForm(), "row": Row(index), "row_oob": True,
            "add_member_index": index + 1,
            "candidates": candidates(marketplace_of(request), detail, member, BidForm())})

    @get("/bid/tier-row/removed", opt=SUPPLIER, sync_to_thread=True)
    def tier_row_removed(self, request: Request[Any, Any, Any],
                         lot_id: FromPath[UUID]) -> Response[str]:
        """Nothing: htmx swaps the removed row for it (404 for a lot not open to me)."""
        return _nothing(request, lot_id)

    @get("/bid/member-row/removed", opt=SUPPLIER, sync_to_thread=True)
    def member_row_removed(self, request: Request[Any, Any, Any],
                           lot_id: FromPath[UUID]) -> Response[str]:
        return _nothing(request, lot_id)

    @post("/bid/withdrawal", opt=SUPPLIER, sync_to_thread=True)
    def withdraw_bid(self, request: Request[Any, Any, Any],
                     lot_id: FromPath[UUID]) -> Response[Any]:
        """Withdraw the bid I lead, before the lot closes."""
        member = require_member(request)
        detail = detail_for(request, member, lot_id)
        mine = my_live_bid(detail, member.organisation_id)
        if mine is None:
            raise BidNotFoundError("you have no live bid on this lot to withdraw")
        try:
            marketplace_of(request).withdraw_bid(member.organisation_id, lot_id, mine.id)
        except NotPermittedError:
            raise
        except RuleViolationError as error:
            return page(request, "lots/lot.html", lot_context(
                request, member, lot_id, detail=detail, join_error=error_message(request, error)),
                status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/lots/{lot_id}")

    @post("/bids/{bid_id:uuid}/acceptance", opt=SUPPLIER, sync_to_thread=True)
    def accept_share(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
                     bid_id: FromPath[UUID]) -> Response[Any]:
        """Accept my share of a consortium bid that names me."""
        return _answer(request, lot_id, bid_id, accept=True)

    @post("/bids/{bid_id:uuid}/decline", opt=SUPPLIER, sync_to_thread=True)
    def decline_share(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
                      bid_id: FromPath[UUID]) -> Response[Any]:
        """Decline my share of a consortium bid (or take my acceptance back)."""
        return _answer(request, lot_id, bid_id, accept=False)


def _nothing(request: Request[Any, Any, Any], lot_id: UUID) -> Response[str]:
    """(One handler per path: Litestar 2.25 wraps a handler of two paths twice.)"""
    detail_for(request, require_member(request), lot_id)
    return Response("", media_type=MediaType.HTML)


def _answer(request: Request[Any, Any, Any], lot_id: UUID, bid_id: UUID, *,
            accept: bool) -> Response[Any]:
    member = require_member(request)
    marketplace = marketplace_of(request)
    detail_for(request, member, lot_id)
    answer = (marketplace.accept_consortium_share if accept
              else marketplace.decline_consortium_share)
    try:
        answer(member.organisation_id, lot_id, bid_id)
    except NotPermittedError:
        raise
    except RuleViolationError as error:
        return page(request, "lots/lot.html", lot_context(
            request, member, lot_id, invitation_error=error_message(request, error)),
            fragment="lots/_invitations.html", status_code=HTTP_422_UNPROCESSABLE_ENTITY)
    if request.headers.get("hx-request") != "true":
        return see_other(f"/lots/{lot_id}#invitations")
    return page(request, "lots/lot.html", lot_context(request, member, lot_id, answered=True),
                fragment="lots/_invitations.html")


def _context(request: Request[Any, Any, Any], member: Member, detail: LotDetail,
             form: BidForm, mine: BidView | None) -> dict[str, Any]:
    lot = detail.lot
    is_open = lot.status == "open"
    marketplace = marketplace_of(request)
    return {"lot": lot, "detail": detail, "form": form, "my_bid": mine, "is_open": is_open,
            "add_index": form.next_tier, "add_member_index": form.next_member,
            "prefecture_names": prefecture_names(request, lot.prefectures),
            "candidates": candidates(marketplace, detail, member, form)
            if is_open and detail.joined else []}


def candidates(marketplace: Marketplace, detail: LotDetail, member: Member,
               form: BidForm) -> list[OrganisationView]:
    """Suppliers who could join my consortium: those of the lot's cluster or prefectures
    (the lot's rules decide who is eligible), and any the form already names."""
    lot = detail.lot
    found: dict[UUID, OrganisationView] = {}
    searches: list[dict[str, Any]] = [{"cluster": lot.cluster}] if lot.cluster else []
    searches += [{"prefecture": Prefecture.parse(code)} for code in lot.prefectures]
    for search in searches:
        for organisation in marketplace.organisations.search(
                role=Role.SUPPLIER, limit=MAX_CANDIDATES, **search):
            found[organisation.id] = organisation
    named = {UUID(r.first) for r in form.members if _is_uuid(r.first)} - set(found)
    if named:
        for organisation in marketplace.organisations.search(ids=list(named)):
            found[organisation.id] = organisation
    found.pop(member.organisation_id, None)
    return sorted(found.values(), key=lambda o: o.display_name)


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True
