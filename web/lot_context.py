"""What a lot page shows one member: the lot, its live bar and chart, and the member's part in
it (needs to pool, commitments, its own bid, consortium invitations). Shared by the lot and
bid page controllers; it only reads, through the marketplace's queries.

Sealed data stays sealed here: bids come from ``LotDetail.my_bids`` (the viewer's own, or
those naming it) and, after the clearing, from the allocation as the viewer may see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from litestar import Request

from marketplace.accounts import Member, MemberRole
from marketplace.application import Marketplace
from marketplace.audit.bid_commitments import (
    BidsStillSealedError,
    check_bid_commitments,
    public_commitments,
)
from marketplace.audit.lot_entries import (
    BID_EVENTS,
    UnreadableEntryError,
    lot_entries,
    own_entries,
)
from marketplace.domain import Prefecture
from marketplace.domain.lot import Lot
from marketplace.domain.payments import Payment, Purpose
from marketplace.payments import Money, PaymentError, Status
from marketplace.readmodels.lot_queries import BidView, LotDetail, LotView, NeedView
from web.auth import marketplace_of
from web.card_field import CardField
from web.charts import PriceChart, Schedule, price_chart, threshold_bar
from web.i18n import language_of
from web.lots_api import lot_detail
from web.render import t


@dataclass
class PoolForm:
    """The "pool my need" form as last sent: its values, errors by field, a notice."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None


def detail_for(request: Request[Any, Any, Any], member: Member, lot_id: UUID) -> LotDetail:
    """The lot as the member's organisation may see it; 404 if it may not."""
    return lot_detail(marketplace_of(request), member.organisation_id, lot_id)


def progress_context(detail: LotDetail) -> dict[str, Any]:
    """What the live bar needs: the public progress of the lot, nothing sealed, no names."""
    lot = detail.lot
    return {"lot": lot, "bar": threshold_bar(lot.pooled_quantity, lot.thresholds)}


def lot_context(request: Request[Any, Any, Any], member: Member, lot_id: UUID, *,
                pool: PoolForm | None = None, detail: LotDetail | None = None,
                **extra: Any) -> dict[str, Any]:
    """Everything the lot page draws for this member."""
    marketplace = marketplace_of(request)
    detail = detail or detail_for(request, member, lot_id)
    lot, me = detail.lot, member.organisation_id
    context: dict[str, Any] = {
        **progress_context(detail), "detail": detail, "is_open": lot.status == "open",
        "prefecture_names": prefecture_names(request, lot.prefectures),
        "is_buyer": member.has(MemberRole.BUYER), "is_supplier": member.has(MemberRole.SUPPLIER),
        "pool": pool or PoolForm(), "pooled_now": False, "invitation_error": None,
        "join_error": None, "compatible_needs": [], "other_needs": [], "commitments": [],
        "my_bid": None, "invitations": [], "in_consortium": False, "names": {},
        "answered": False}
    if context["is_buyer"]:
        context.update(_buyer_part(marketplace, me, lot, detail))
    bids = _bids_part(marketplace, me, detail) if context["is_supplier"] or detail.my_bids else {}
    context.update(bids)
    context.update(_chart_part(request, marketplace, me, detail))
    context.update(_sealed_bids_part(marketplace, me, detail))
    context.update(_payment_part(request, marketplace, me, detail, context))
    context.update(extra)
    return context


def prefecture_names(request: Request[Any, Any, Any], codes: list[str]) -> list[str]:
    ja = language_of(request) == "ja"
    found = (Prefecture.parse(code) for code in codes)
    return [p.name_ja if ja else p.name_en for p in found]


def _buyer_part(marketplace: Marketplace, me: UUID, lot: LotView,
                detail: LotDetail) -> dict[str, Any]:
    """My needs: those I could pool here (same category and unit first), and those pooled."""
    needs = {need.id: need for need in marketplace.lots.needs(me)}
    open_needs = [n for n in needs.values() if n.status == "open"]
    compatible = [n for n in open_needs if fits(n, lot)]
    return {"compatible_needs": compatible,
            "other_needs": [n for n in open_needs if not fits(n, lot)],
            "commitments": [(c, needs.get(c.need_id)) for c in detail.my_commitments]}


def fits(need: NeedView, lot: LotView) -> bool:
    """A first sort of my needs for the form; the lot's rules decide when one is pooled."""
    return need.category == lot.category and need.unit == lot.unit


def _bids_part(marketplace: Marketplace, me: UUID, detail: LotDetail) -> dict[str, Any]:
    """My own live bid (as its lead) and the consortium bids that name me."""
    mine = [b for b in detail.my_bids if b.lead_id == me and b.status == "live"]
    invitations = [b for b in detail.my_bids if b.lead_id != me and b.status == "live"]
    named = {m.organisation_id for b in detail.my_bids for m in b.members} | {
        b.lead_id for b in detail.my_bids}
    in_consortium = any(m.organisation_id == me and m.status == "accepted"
                        for b in invitations for m in b.members)
    return {"my_bid": mine[0] if mine else None, "invitations": invitations,
            "in_consortium": in_consortium, "names": organisation_names(marketplace, named)}


def organisation_names(marketplace: Marketplace, ids: set[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    return {o.id: o.display_name for o in marketplace.organisations.search(
        ids=list(ids), limit=len(ids))}


def _chart_part(request: Request[Any, Any, Any], marketplace: Marketplace, me: UUID,
                detail: LotDetail) -> dict[str, Any]:
    """The price-volume chart: before the clearing only what is public (thresholds, the
    pooled volume); after it, the winning tier schedules the viewer may see."""
    lot = detail.lot
    allocation = (marketplace.allocations.of_lot(me, lot.id)
                  if lot.allocated_at is not None else None)
    schedules: list[Schedule] = []
    if allocation is not None:
        winners: dict[UUID, BidView] = {c.bid.id: c.bid for c in allocation.bid_comparison
                                        if c.awarded_quantity > 0}
        own = {b.id: b for b in detail.my_bids}
        for outcome in allocation.my_bids:
            if outcome.quantity > 0 and outcome.bid_id in own:
                winners.setdefault(outcome.bid_id, own[outcome.bid_id])
        names = organisation_names(marketplace, {b.lead_id for b in winners.values()})
        schedules = [Schedule(t(request, "Your bid") if bid.lead_id == me
                              else names.get(bid.lead_id, ""), bid.tiers, bid.capacity)
                     for bid in winners.values()]
    chart: PriceChart = price_chart(schedules, pooled=lot.pooled_quantity,
                                    thresholds=lot.thresholds)
    return {"chart": chart, "allocation": allocation}


def _payment_part(request: Request[Any, Any, Any], marketplace: Marketplace, me: UUID,
                  detail: LotDetail, context: dict[str, Any]) -> dict[str, Any]:
    """My organisation's own payments in the lot (never another's), whether it can take the
    payment step now, and, once the suppliers are paid, my payout statement."""
    mine = [p for p in marketplace.payments_of_lot(detail.lot.id) if p.party_id == me]
    # What it still owes after the close that no card on record will pay: asked of a buyer.
    owed = (marketplace.still_owed(me, detail.lot.id)
            if context["is_buyer"] and not context["is_open"] else None)
    return {"payments": [p for p in mine if p.purpose.value != "transfer"],
            "payment_steps": _steps(request, marketplace.payments.name),
            "payment_states": {
                "saved": t(request, "saved"), "authorised": t(request, "committed"),
                "captured": t(request, "paid"), "released": t(request, "released"),
                "refunded": t(request, "refunded"), "transferred": t(request, "sent"),
                "declined": t(request, "declined"),
                "needs_authentication": t(request, "your bank asks you to confirm"),
                "expired": t(request, "lapsed"), "refused": t(request, "refused")},
            "payment_error": None, "payment_notice": None,
            "can_pay": bool(context["commitments"]) and context["is_open"],
            "owed_now": owed,
            "pays_by": marketplace.payments.name,
            "payout": marketplace.payout_statement(me, detail.lot.id),
            **_card_part(request, marketplace, me, detail, mine, context, owed)}


def _card_part(request: Request[Any, Any, Any], marketplace: Marketplace, me: UUID,
               detail: LotDetail, mine: list[Payment], context: dict[str, Any],
               owed: Money | None) -> dict[str, Any]:
    """Stripe's card field when Stripe takes the payments, and the secret for the buyer's
    browser to confirm a payment with its bank: asked of Stripe for this buyer's own payment
    as the page is drawn, never kept. Only a member with the buyer role is given it (it
    confirms the card, which only a buyer may): a supplier of the same organisation is not.
    After the close, a card step is still confirmed if the buyer owes what it would pay."""
    card: CardField | None = (request.app.state.get("card_field")
                              if marketplace.payments.name == "stripe" else None)
    secret, error = None, None
    waiting = [p for p in mine if p.status == Status.NEEDS_AUTHENTICATION.value]
    if card is not None and context["is_buyer"] and waiting and (
            context["is_open"] or owed is not None
            or any(p.purpose is Purpose.CHARGE for p in waiting)):
        try:
            secret = marketplace.bank_confirmation(me, detail.lot.id)
        except PaymentError:
            error = t(request, "The payment service did not answer, so your bank cannot be "
                      "asked to confirm just now; reload the page in a minute.")
    return {"card_field": card, "bank_confirmation": secret, "confirmation_error": error}


def _steps(request: Request[Any, Any, Any], processor: str) -> dict[str, str]:
    """Each payment step in words: by invoice there is no card, only an order and invoices."""
    if processor == "invoice":
        return {"hold": t(request, "Order for your maximum"),
                "save": t(request, "Order to pay by invoice"),
                "charge": t(request, "Invoice issued"), "capture": t(request, "Invoice issued"),
                "release": t(request, "Order cancelled"), "refund": t(request, "Credit note"),
                "cancel": t(request, "Order cancelled"),
                "transfer": t(request, "Payout"), "account": t(request, "Payout account")}
    return {"hold": t(request, "Card held for your maximum"),
            "save": t(request, "Card saved for the allocation"),
            "charge": t(request, "Card charged"), "capture": t(request, "Hold captured"),
            "release": t(request, "Hold released"), "refund": t(request, "Refund"),
            "cancel": t(request, "Declined charge cancelled"),
            "transfer": t(request, "Payout"), "account": t(request, "Payout account")}


def _sealed_bids_part(marketplace: Marketplace, me: UUID, detail: LotDetail) -> dict[str, Any]:
    """The bids' commitments (docs/sealed-bids.md): until the close is recorded, each one's
    hash and time, nobody's name or terms; after it, each bid's check. And where the viewer's
    own commitments (its pooled needs, its bids) stand on the ledger, for their receipts."""
    lot = detail.lot
    entries = lot_entries(marketplace, lot.id, (Lot.NeedPooled, *BID_EVENTS))
    checks = None
    if lot.closed_at is not None:
        try:
            checks = check_bid_commitments(marketplace, lot.id)
        except (BidsStillSealedError, UnreadableEntryError):
            checks = None  # a damaged lot: the commitments alone, as before the close
    return {"own_entries": own_entries(entries, me), "bid_checks": checks,
            "sealed_commitments": (public_commitments(marketplace, lot.id, entries)
                                   if checks is None else [])}
