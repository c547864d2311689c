"""What needs a member's attention, per role, read through the marketplace's queries only.

Each part is read only for a member holding its role; the dashboard shows every part it gets.
The lists are short on purpose (the soonest or most recent first), with links to the full ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from marketplace.accounts import Accounts, Member, MemberRole
from marketplace.application import Marketplace
from marketplace.readmodels.allocation_queries import BidOutcome
from marketplace.readmodels.lot_queries import BidView, LotView, NeedView, Viewer
from marketplace.readmodels.rfq_views import PurchaseOrderView, RfqSummary

#: How far ahead "closing soon" looks for a supplier's open lots.
SOON = timedelta(days=14)
#: At most this many items of one list; the full list is one link away.
SHOWN = 8
#: Lots of a buyer's commitments (or a supplier's bids) read for their state, most recent first.
LOTS_READ = 30


@dataclass(frozen=True)
class AllocatedLot:
    """A cleared lot I pooled into: what I was served and saved there."""

    lot: LotView
    served: Decimal
    saving: Decimal | None


@dataclass(frozen=True)
class BuyerAttention:
    open_needs: list[NeedView]
    open_need_count: int
    pooled_lots: list[LotView]
    """Open lots I pooled into, soonest close first."""
    clearing: list[LotView]
    """Closed lots I pooled into whose clearing is not recorded yet."""
    rfqs: list[RfqSummary]
    """My RFQs still open (with their deadline) or past it (quotes to compare)."""
    allocations: list[AllocatedLot]


@dataclass(frozen=True)
class Invitation:
    """A consortium bid that names me and waits for my answer."""

    bid: BidView
    lot: LotView
    share: Decimal
    lead_name: str


@dataclass(frozen=True)
class LotAward:
    """What the clearing of a lot awarded to a bid I lead or am a member of."""

    lot: LotView
    quantity: Decimal


@dataclass(frozen=True)
class SupplierAttention:
    lots: list[LotView]
    bid_on: set[UUID]
    """Lots where a live bid binds me (I lead it or accepted my share)."""
    invitations: list[Invitation]
    rfqs: list[RfqSummary]
    awards: list[LotAward]
    orders: list[PurchaseOrderView]
    names: dict[UUID, str] = field(default_factory=dict)
    """Display names of the buyers of ``orders``."""


@dataclass(frozen=True)
class AdminAttention:
    members: int
    invitations: int


@dataclass(frozen=True)
class Attention:
    buyer: BuyerAttention | None
    supplier: SupplierAttention | None
    ledger_position: int | None
    """For auditors: the position of the last entry of the ledger."""
    admin: AdminAttention | None


def attention(marketplace: Marketplace, accounts: Accounts, member: Member) -> Attention:
    me, now = member.organisation_id, marketplace.clock()
    viewer = marketplace.lots.viewer(me)
    return Attention(
        buyer=_buyer(marketplace, viewer, now)
        if viewer is not None and member.has(MemberRole.BUYER) else None,
        supplier=_supplier(marketplace, viewer, now)
        if viewer is not None and member.has(MemberRole.SUPPLIER) else None,
        ledger_position=marketplace.position() if member.has(MemberRole.AUDITOR) else None,
        admin=AdminAttention(len(accounts.members_of(me)), len(accounts.pending_invitations(me)))
        if member.has(MemberRole.ADMIN) else None)


def _lots(marketplace: Marketplace, viewer: Viewer, ids: list[UUID],
          now: datetime) -> list[LotView]:
    """The lots of ``ids`` (in that order) that the viewer takes part in or may see."""
    found = []
    for lot_id in dict.fromkeys(ids):
        detail = marketplace.lots.detail(viewer, lot_id, now=now)
        if detail is not None:
            found.append(detail.lot)
    return found


def _buyer(marketplace: Marketplace, viewer: Viewer, now: datetime) -> BuyerAttention:
    me = viewer.organisation_id
    open_needs = marketplace.lots.needs(me, status="open")
    pooled = sorted(marketplace.lots.commitments(me).pooled,
                    key=lambda c: c.committed_at, reverse=True)
    lots = _lots(marketplace, viewer, [c.lot_id for c in pooled][:LOTS_READ], now)
    allocations = []
    for lot in sorted((lot for lot in lots if lot.allocated_at is not None),
                      key=lambda lot: lot.allocated_at or now, reverse=True)[:SHOWN]:
        view = marketplace.allocations.of_lot(me, lot.id)
        if view is None:
            continue
        savings = [n.saving for n in view.my_needs if n.saving is not None]
        allocations.append(AllocatedLot(
            lot, served=sum((n.quantity for n in view.my_needs if n.served), Decimal(0)),
            saving=sum(savings, Decimal(0)) if savings else None))
    rfqs = [r for r in marketplace.rfqs.for_organisation(me, now=now, role="buyer")
            if r.status in ("open", "closed")]
    return BuyerAttention(
        open_needs=open_needs[:SHOWN], open_need_count=len(open_needs),
        pooled_lots=sorted((lot for lot in lots if lot.status == "open"),
                           key=lambda lot: lot.closes_at)[:SHOWN],
        clearing=[lot for lot in lots if lot.status == "closed" and lot.allocated_at is None],
        rfqs=rfqs[:SHOWN], allocations=allocations)


def _binds(bid: BidView, me: UUID) -> bool:
    return bid.status == "live" and (bid.lead_id == me or any(
        m.organisation_id == me and m.status == "accepted" for m in bid.members))


def _supplier(marketplace: Marketplace, viewer: Viewer, now: datetime) -> SupplierAttention:
    me = viewer.organisation_id
    bids = sorted(marketplace.lots.bids(me), key=lambda b: b.placed_at, reverse=True)
    lots = {lot.id: lot for lot in _lots(marketplace, viewer,
                                         [b.lot_id for b in bids][:LOTS_READ], now)}
    waiting = [(bid, m.share) for bid in bids if bid.status == "live" and bid.lead_id != me
               for m in bid.members if m.organisation_id == me and m.status == "invited"]
    leads = _names(marketplace, [bid.lead_id for bid, _ in waiting])
    invitations = sorted((Invitation(bid, lots[bid.lot_id], share, leads.get(bid.lead_id, ""))
                          for bid, share in waiting
                          if bid.lot_id in lots and lots[bid.lot_id].status == "open"),
                         key=lambda i: i.lot.closes_at)
    awards = []
    for lot in sorted((lot for lot in lots.values() if lot.allocated_at is not None),
                      key=lambda lot: lot.allocated_at or now, reverse=True)[:SHOWN]:
        view = marketplace.allocations.of_lot(me, lot.id)
        won = Decimal(0) if view is None else sum(
            (_my_quantity(outcome, me) for outcome in view.my_bids), Decimal(0))
        if won > 0:
            awards.append(LotAward(lot, won))
    open_lots = [lot for lot in marketplace.lots.search(viewer, now=now, closing_within=SOON,
                                                        limit=SHOWN * 2)
                 if lot.organiser_id != me][:SHOWN]
    orders = [o for o in marketplace.rfqs.purchase_orders(me) if o.supplier_id == me][:SHOWN]
    return SupplierAttention(
        lots=open_lots, bid_on={b.lot_id for b in bids if _binds(b, me)},
        invitations=invitations[:SHOWN],
        rfqs=marketplace.rfqs.for_organisation(me, now=now, role="supplier",
                                               status="open")[:SHOWN],
        awards=awards, orders=orders, names=_names(marketplace, [o.buyer_id for o in orders]))


def _my_quantity(outcome: BidOutcome, me: UUID) -> Decimal:
    """My part of a bid's award: my member's split in a consortium, else the whole award."""
    if outcome.members:
        return sum((m.quantity for m in outcome.members if m.organisation_id == me), Decimal(0))
    return outcome.quantity if outcome.lead_id == me else Decimal(0)


def _names(marketplace: Marketplace, ids: list[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    return {o.id: o.display_name for o in marketplace.organisations.search(
        ids=list(dict.fromkeys(ids)), limit=len(ids))}
