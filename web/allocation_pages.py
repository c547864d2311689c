"""The allocation page of a closed lot: who supplies how much to whom, at what price, why, and
(to the lot's buyers) how much the pool saved each of their needs against buying alone.

What each organisation sees is decided by ``AllocationQueries.of_lot``, never here: a buyer
its own needs, the pool's price and the bids that stood at close; a supplier its own bids and
the awards it must deliver; anyone else who may see the lot, the outcome in aggregate. Where
the money stands is decided by ``Marketplace.payment_status`` likewise: a served buyer its own
payment, a supplier its own payout, the lot's organiser how many stand in each state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from babel.numbers import format_decimal
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from marketplace.accounts import MemberRole
from marketplace.application import Marketplace
from marketplace.commands.payment_status import PaymentState, PaymentStatus
from marketplace.domain import Prefecture
from marketplace.readmodels.allocation_queries import (
    AllocationView,
    AwardView,
    BidOutcome,
    NeedOutcome,
)
from marketplace.readmodels.lot_queries import LotDetail, PriceBreakView
from web.auth import members, require_member
from web.i18n import language_of
from web.lots_api import lot_detail
from web.payment_bars import parts_bar
from web.render import page
from web.savings_chart import SavingsEntry, savings_chart


@dataclass(frozen=True)
class TierReached:
    """The all-units tier an award ends in: number ``number`` of ``count``."""

    number: int
    count: int
    from_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class AwardRow:
    """Units of one bid sent to one need, as a line of the awards table."""

    supplier: str
    buyer: str
    quantity: Decimal
    unit_price: Decimal
    tier: TierReached | None
    delivery_unit_cost: Decimal
    delivery_amount: Decimal


@dataclass(frozen=True)
class NeedRow:
    outcome: NeedOutcome
    label: str
    """Its quantity and where it goes, e.g. "800 kg · 群馬県"."""


@dataclass(frozen=True)
class BidRow:
    outcome: BidOutcome
    tier: TierReached | None
    members: list[tuple[str, Decimal]]
    """A consortium's members and the units each supplies; empty for a bid alone."""


@dataclass(frozen=True)
class ComparisonRow:
    supplier: str
    is_consortium: bool
    tiers: list[PriceBreakView]
    awarded_quantity: Decimal
    tier: TierReached | None
    binding: list[str]


class AllocationPages(Controller):
    """A closed lot's allocation, as the member's organisation may see it."""

    path = "/lots"

    @get("/{lot_id:uuid}/allocation",
         opt=members(MemberRole.BUYER, MemberRole.SUPPLIER, MemberRole.AUDITOR),
         sync_to_thread=True)
    def allocation(self, request: Request[Any, Any, Any],
                   marketplace: NamedDependency[Marketplace],
                   lot_id: FromPath[UUID]) -> Response[Any]:
        """The clearing of the lot; before it, when the lot closes or that clearing is pending.
        htmx asks for the totals block alone."""
        member = require_member(request)
        me = member.organisation_id
        detail = lot_detail(marketplace, me, lot_id)  # 404 for a lot not open to us
        view = marketplace.allocations.of_lot(me, lot_id)
        context: dict[str, Any] = {
            "lot": detail.lot, "allocation": view, "currency": detail.lot.currency,
            "unit": detail.lot.unit, "as_fragment": request.headers.get("hx-request") == "true"}
        if view is not None:
            context.update(_outcome(marketplace, me, detail, view, language_of(request)))
            status = marketplace.payment_status(me, lot_id)
            context.update(_payment_part(status))
            # Asked of a member who may pay (the buyer role), as the lot page asks it.
            context["owed_now"] = (marketplace.still_owed(me, lot_id)
                                   if member.has(MemberRole.BUYER) and status is not None
                                   and status.as_buyer is not None else None)
        return page(request, "allocation/page.html", context,
                    fragment="allocation/_summary.html")


def _outcome(marketplace: Marketplace, me: UUID, detail: LotDetail, view: AllocationView,
             language: str) -> dict[str, Any]:
    names = _Names(marketplace)
    tiers = {c.bid.id: c.bid.tiers for c in view.bid_comparison}
    tiers.update({b.id: b.tiers for b in detail.my_bids})
    awarded = {c.bid.id: c.awarded_quantity for c in view.bid_comparison}
    awarded.update({b.bid_id: b.quantity for b in view.my_bids})
    needs = [NeedRow(n, _need_label(marketplace, me, n, detail.lot.unit, language))
             for n in view.my_needs]
    served = [row for row in needs if row.outcome.served]
    charted = [SavingsEntry(row.label, row.outcome.alone_total, row.outcome.total)
               for row in served if row.outcome.alone_total is not None]
    return {
        "needs": needs, "served_needs": served,
        "left_out": [row for row in needs if not row.outcome.served],
        "alone_unknown": [row for row in served if row.outcome.alone_total is None],
        "chart": savings_chart(charted) if charted else None,
        "awards": [_award_row(a, names, tiers, awarded) for a in _awards(view)],
        "bids": [BidRow(b, _tier_reached(tiers.get(b.bid_id, []), b.quantity),
                        [(names(m.organisation_id), m.quantity) for m in b.members])
                 for b in view.my_bids],
        "comparison": [ComparisonRow(names(c.bid.lead_id), c.bid.is_consortium, c.bid.tiers,
                                     c.awarded_quantity,
                                     _tier_reached(c.bid.tiers, c.awarded_quantity), c.binding)
                       for c in view.bid_comparison],
    }


#: The order of the states in the organiser's bars and table: done, under way, stuck.
STATE_ORDER = (PaymentState.PAID, PaymentState.PART_PAID, PaymentState.WAITING,
               PaymentState.WAITING_FOR_BUYERS, PaymentState.NO_PAYMENT_STEP,
               PaymentState.ACTION_NEEDED, PaymentState.DECLINED, PaymentState.REFUSED)


def _payment_part(status: PaymentStatus | None) -> dict[str, Any]:
    """Where the lot's money stands for this organisation, with a bar for each part of it."""
    if status is None:
        return {"payment_status": None}
    buyer, supplier, overview = status.as_buyer, status.as_supplier, status.overview
    states = [s for s in STATE_ORDER if overview is not None
              and (overview.buyers[s] or overview.suppliers[s])]
    return {"payment_status": status, "overview_states": states,
            "my_payment_bar": None if buyer is None else parts_bar(
                [("paid", buyer.paid), ("waiting", buyer.waiting)]),
            "my_payout_bar": None if supplier is None or supplier.gross is None else parts_bar(
                [("paid", supplier.paid), ("waiting", supplier.waiting),
                 ("fee", supplier.fee or 0)]),
            "buyer_states_bar": None if overview is None else parts_bar(
                [(s.value, overview.buyers[s]) for s in STATE_ORDER]),
            "supplier_states_bar": None if overview is None else parts_bar(
                [(s.value, overview.suppliers[s]) for s in STATE_ORDER])}


def _awards(view: AllocationView) -> list[AwardView]:
    """Every award the viewer may see, once: an organisation that both buys and supplies in
    the lot sees its own deliveries to itself through its need and through its bid."""
    seen: dict[tuple[UUID, UUID], AwardView] = {}
    found: Iterable[AwardView] = [a for n in view.my_needs for a in n.awards] + [
        a for b in view.my_bids for a in b.awards]
    for award in found:
        seen.setdefault((award.need_id, award.bid_id), award)
    return list(seen.values())


def _award_row(award: AwardView, names: _Names, tiers: dict[UUID, list[PriceBreakView]],
               awarded: dict[UUID, Decimal]) -> AwardRow:
    return AwardRow(
        supplier=names(award.supplier_id), buyer=names(award.buyer_id),
        quantity=award.quantity, unit_price=award.unit_price,
        tier=_tier_reached(tiers.get(award.bid_id, []), awarded.get(award.bid_id, Decimal(0))),
        delivery_unit_cost=award.delivery_unit_cost, delivery_amount=award.delivery_amount)


def _tier_reached(tiers: list[PriceBreakView], awarded: Decimal) -> TierReached | None:
    """All-units pricing: the whole award is priced at the last tier its quantity reaches."""
    ordered = sorted(tiers, key=lambda tier: tier.from_quantity)
    reached = [tier for tier in ordered if tier.from_quantity <= awarded]
    if not awarded or not reached:
        return None
    return TierReached(number=len(reached), count=len(ordered),
                       from_quantity=reached[-1].from_quantity,
                       unit_price=reached[-1].unit_price)


def _need_label(marketplace: Marketplace, me: UUID, outcome: NeedOutcome, unit: str,
                language: str) -> str:
    quantity = f"{format_decimal(outcome.quantity, locale=language)} {unit}"
    need = marketplace.lots.need(me, outcome.need_id)
    if need is None:
        return quantity
    prefecture = Prefecture.parse(need.delivery_prefecture)
    return f"{quantity} · {prefecture.name_ja if language == 'ja' else prefecture.name_en}"


class _Names:
    """Organisations' display names, each looked up once per page."""

    def __init__(self, marketplace: Marketplace) -> None:
        self.marketplace = marketplace
        self.known: dict[UUID, str] = {}

    def __call__(self, organisation_id: UUID) -> str:
        if organisation_id not in self.known:
            view = self.marketplace.organisations.get(organisation_id)
            self.known[organisation_id] = view.display_name if view else str(organisation_id)
        return self.known[organisation_id]
