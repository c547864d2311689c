"""The timeline's summary of each event of a pooled lot. Bids are summarised without who
placed them or what they offer until the lot closes."""

from __future__ import annotations

from typing import Any

from marketplace.audit.summary_text import (
    Describer,
    Summary,
    SummaryContext,
    message,
    quantity,
    tiers,
    yen,
)
from marketplace.domain.sealed_round import jst


def _lot_opened(s: SummaryContext, e: Any) -> Summary:
    s.unit = e.unit
    return Summary(message("opened by %(organiser)s: %(item)s, closes %(closes_at)s"), {
        "organiser": s.names(e.organiser_id), "closes_at": jst(e.closes_at),
        "item": f"{e.category}, {e.specification} ({e.unit})"})


def cancelled(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("cancelled: %(reason)s"), {"reason": e.reason})


def _need_pooled(s: SummaryContext, e: Any) -> Summary:
    s.buyers[e.need_id] = e.buyer_id
    return Summary(message("pooled %(quantity)s %(unit)s by %(buyer)s"), {
        "quantity": quantity(e.quantity), "unit": s.unit, "buyer": s.names(e.buyer_id)})


def _commitment_changed(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("%(buyer)s changed its commitment to %(quantity)s %(unit)s"), {
        "buyer": s.buyer(e.need_id), "quantity": quantity(e.quantity), "unit": s.unit})


def _commitment_withdrawn(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("%(buyer)s withdrew its commitment"), {"buyer": s.buyer(e.need_id)})


def _supplier_joined(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("%(supplier)s joined"), {"supplier": s.names(e.supplier_id)})


def _bid_placed(s: SummaryContext, e: Any) -> Summary:
    s.leads[e.bid_id] = e.supplier_id
    if not s.revealed:
        return Summary(message("a bid was placed (sealed until the lot closes)"))
    values = {"supplier": s.names(e.supplier_id), "tiers": tiers(e.terms["tiers"], s.unit)}
    if e.shares:
        members = s.names.all(share["organisation_id"] for share in e.shares
                              if share["organisation_id"] != e.supplier_id)
        return Summary(message("consortium bid placed by %(supplier)s with %(members)s: %(tiers)s"),
                       {**values, "members": members})
    return Summary(message("bid placed by %(supplier)s: %(tiers)s, capacity %(capacity)s %(unit)s"),
                   {**values, "capacity": quantity(e.terms["capacity"]), "unit": s.unit})


def _bid_revised(s: SummaryContext, e: Any) -> Summary:
    if not s.revealed:
        return Summary(message("a bid was revised (sealed until the lot closes)"))
    return Summary(message("%(supplier)s revised its bid: %(tiers)s"), {
        "supplier": s.lead(e.bid_id), "tiers": tiers(e.terms["tiers"], s.unit)})


def _bid_withdrawn(s: SummaryContext, e: Any) -> Summary:
    if not s.revealed:
        return Summary(message("a bid was withdrawn (sealed until the lot closes)"))
    return Summary(message("%(supplier)s withdrew its bid"), {"supplier": s.lead(e.bid_id)})


def _share_accepted(s: SummaryContext, e: Any) -> Summary:
    if not s.revealed:
        return Summary(message("a consortium member accepted its share (sealed until the lot "
                               "closes)"))
    return Summary(message("%(member)s accepted its share in the consortium of %(supplier)s"), {
        "member": s.names(e.member_id), "supplier": s.lead(e.bid_id)})


def _share_declined(s: SummaryContext, e: Any) -> Summary:
    if not s.revealed:
        return Summary(message("a consortium member declined its share (sealed until the lot "
                               "closes)"))
    return Summary(message("%(member)s declined its share in the consortium of %(supplier)s"), {
        "member": s.names(e.member_id), "supplier": s.lead(e.bid_id)})


def _lot_closed(s: SummaryContext, e: Any) -> Summary:
    return Summary(message("closed: %(quantity)s %(unit)s pooled by %(buyers)s buyer(s), "
                           "%(bids)s bid(s) counted"), {
        "quantity": quantity(e.pooled_quantity), "unit": s.unit,
        "buyers": str(e.buyer_count), "bids": str(len(e.counted_bids))})


def _allocated(s: SummaryContext, e: Any) -> Summary:
    result = e.result
    buyers = result.get("buyers", [])
    return Summary(message("allocated (%(status)s): %(served)s %(unit)s to %(buyers)s of %(of)s "
                           "buyer(s), total %(total)s"), {
        "status": str(result.get("status")), "served": quantity(result["served_quantity"]),
        "unit": s.unit, "buyers": str(sum(1 for b in buyers if b.get("served"))),
        "of": str(len(buyers)), "total": yen(result["total_cost"])})


LOT_EVENTS: dict[str, Describer] = {
    "Lot.Opened": _lot_opened, "Lot.Cancelled": cancelled, "Lot.NeedPooled": _need_pooled,
    "Lot.CommitmentChanged": _commitment_changed,
    "Lot.CommitmentWithdrawn": _commitment_withdrawn, "Lot.SupplierJoined": _supplier_joined,
    "Lot.BidPlaced": _bid_placed, "Lot.BidRevised": _bid_revised,
    "Lot.BidWithdrawn": _bid_withdrawn, "Lot.ConsortiumShareAccepted": _share_accepted,
    "Lot.ConsortiumShareDeclined": _share_declined, "Lot.Closed": _lot_closed,
    "Lot.Allocated": _allocated,
}
