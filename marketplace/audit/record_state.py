"""A record's past state as shown to an auditor: a lot as a summary a person reads (status,
pool, commitments, suppliers, bids once revealed, clearing), any other record as its public
attributes; both made plain JSON by ``plain``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from events import LedgerApplication
from marketplace.audit.summary_text import OrganisationNames
from marketplace.audit.time_travel import PastState, recorded_event
from marketplace.domain.bids import Bid
from marketplace.domain.lot import Lot
from marketplace.domain.prefectures import Prefecture
from marketplace.domain.rfq import Rfq

#: What a record holds sealed until its round closes: shown then, counted before.
SEALED_ATTRIBUTES: dict[type, str] = {Lot: "bids", Rfq: "quotes"}


def lot_status(lot: Lot) -> str:
    if lot.cancel_reason is not None:
        return "cancelled"
    if lot.allocation_digest is not None:
        return "allocated"
    return "closed" if lot.closed else "open"


def state_summary(app: LedgerApplication, past: PastState,
                  names: OrganisationNames) -> dict[str, Any]:
    """The state to show: a lot's summary, or another record's public attributes."""
    if isinstance(past.aggregate, Lot):
        return lot_summary(app, past, names)
    return {**_header(past), **record_attributes(past)}


def lot_summary(app: LedgerApplication, past: PastState,
                names: OrganisationNames) -> dict[str, Any]:
    lot: Lot = past.aggregate
    names.prefetch([lot.organiser_id, *(c.buyer_id for c in lot.commitments.values()),
                    *lot.suppliers, *(m for bid in lot.bids.values() for m in bid.members)])
    return {
        **_header(past),
        "status": lot_status(lot), "closes_at": lot.closes_at,
        "cancel_reason": lot.cancel_reason,
        "organiser": _organisation(names, lot.organiser_id),
        "item": {"category": lot.item.category, "specification": lot.item.specification,
                 "unit": lot.item.unit.value},
        "currency": lot.currency.value,
        "open_to": {"cluster": lot.eligibility.cluster,
                    "prefectures": sorted(p.code for p in lot.eligibility.prefectures)},
        "pooled_quantity": lot.pooled_quantity, "buyer_count": lot.buyer_count,
        "commitments": [{**_organisation(names, c.buyer_id), "need_id": c.need_id,
                         "quantity": c.quantity} for c in lot.commitments.values()],
        "suppliers": sorted((_organisation(names, s) for s in lot.suppliers),
                            key=lambda s: (s["name"], str(s["id"]))),
        "bid_count": len(lot.bids), "bids_sealed": not past.revealed,
        "bids": [_bid(names, bid) for bid in lot.bids.values()] if past.revealed else None,
        "allocation": _allocation(app, past) if lot.allocation_digest is not None else None,
    }


def record_attributes(past: PastState) -> dict[str, Any]:
    """The record's public attributes; a round's sealed offers counted, not shown, while it
    has not closed."""
    attributes = {name: value for name, value in vars(past.aggregate).items()
                  if not name.startswith("_")}
    sealed = SEALED_ATTRIBUTES.get(type(past.aggregate))
    if sealed is not None and not past.revealed:
        attributes[sealed] = None
        attributes[f"{sealed}_sealed"] = True
        attributes[f"{sealed.removesuffix('s')}_count"] = len(getattr(past.aggregate, sealed))
    return attributes


def plain(value: Any) -> Any:
    """``value`` as JSON: decimals as strings (no digit lost), instants in ISO 8601, ids,
    enums and prefectures by their codes, sets sorted."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Prefecture):
        return value.code
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(plain(key)): plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((plain(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return str(value)


def _header(past: PastState) -> dict[str, Any]:
    return {"id": past.aggregate.id, "record": past.kind, "version": past.version,
            "position": past.position, "recorded_at": past.recorded_at,
            "asked": {"position": past.asked_position, "at": past.asked_at}}


def _organisation(names: OrganisationNames, organisation_id: UUID) -> dict[str, Any]:
    return {"id": organisation_id, "name": names(organisation_id)}


def _bid(names: OrganisationNames, bid: Bid) -> dict[str, Any]:
    terms = bid.terms
    return {
        "bid_id": bid.bid_id, "supplier": _organisation(names, bid.lead_id),
        "counts": bid.counts, "capacity": bid.capacity,
        "minimum_quantity": terms.minimum_quantity,
        "tiers": [{"from_quantity": b.from_quantity, "unit_price": b.unit_price}
                  for b in terms.tiers.breaks],
        "lead_time_days": terms.lead_time_days, "valid_until": terms.valid_until,
        "delivery_costs": terms.delivery_costs,
        "members": [{**_organisation(names, member), "share": share,
                     "accepted": member in bid.accepted}
                    for member, share in bid.shares.items()],
    }


def _allocation(app: LedgerApplication, past: PastState) -> dict[str, Any] | None:
    event = recorded_event(app, past.aggregate.id, Lot.Allocated, upto=past.version)
    if event is None:
        return None
    result = event.result
    buyers = result.get("buyers", [])
    return {"allocated_at": event.timestamp, "status": result.get("status"),
            "input_digest": event.input_digest,
            "served_quantity": result.get("served_quantity"),
            "buyers_served": sum(1 for b in buyers if b.get("served")), "buyers": len(buyers),
            "total_cost": result.get("total_cost"),
            "pool_unit_price": result.get("pool_unit_price"),
            "solver": {k: result.get("solver", {}).get(k) for k in ("name", "version")}}
