"""A pooled lot as an OCDS contracting process (docs/export.md, "Lots").

The lot's organiser is its procuring entity; the buyers whose needs stand at the close are its
buyers; the bids that count at the close are its tenders, every member of a consortium a
tenderer; the recorded clearing (``Lot.Allocated``, docs/allocation.md) gives the awards, one
per awarded bid. Nothing of the bids is published before the close: until then a lot is the
tender alone, as its public page shows it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from events.checkpoints import rfc3339
from marketplace.audit.ocds_releases import Directory, ProcessReleases, number, unit, value
from marketplace.domain.eligibility import Eligibility
from marketplace.domain.lot import Lot

#: A lot is for one item; its OCDS item id.
ITEM = "1"


class LotReleases(ProcessReleases):
    """The releases of one lot: its tender, its cancellation or close, and its award."""

    def __init__(self, ocid: str, directory: Directory) -> None:
        super().__init__(ocid, directory)
        self.currency = "JPY"
        self.unit_name = ""
        self.specification = ""
        self.buyers: dict[UUID, UUID] = {}
        """Each pooled need's buyer."""
        self.bidders: dict[UUID, list[UUID]] = {}
        """Each live bid's organisations: its lead, then a consortium's other members."""

    def apply(self, event: Any, position: int) -> None:
        match event:
            case Lot.Opened():
                self._opened(event, position)
            case Lot.Cancelled():
                self.tender["status"] = "cancelled"
                self.publish("tenderCancellation", position, event.timestamp)
            case Lot.NeedPooled():
                self.buyers[event.need_id] = event.buyer_id
            case Lot.CommitmentWithdrawn():
                self.buyers.pop(event.need_id, None)
            case Lot.BidPlaced():
                self.bidders[event.bid_id] = _organisations(event.supplier_id, event.shares)
            case Lot.BidRevised():
                lead = self.bidders[event.bid_id][0]
                self.bidders[event.bid_id] = _organisations(lead, event.shares)
            case Lot.BidWithdrawn():
                self.bidders.pop(event.bid_id, None)
            case Lot.Closed():
                self._closed(event, position)
            case Lot.Allocated():
                self._allocated(event, position)

    def _opened(self, event: Any, position: int) -> None:
        self.currency, self.unit_name = event.currency, event.unit
        self.specification = event.specification
        eligibility = Eligibility.from_event_data(
            {"cluster": event.cluster, "prefectures": event.prefectures})
        self.add_role(event.organiser_id, "procuringEntity")
        self.tender = {
            "id": str(event.originator_id), "title": event.category,
            "description": event.specification, "status": "active",
            "procuringEntity": self.reference(event.organiser_id),
            "items": [{"id": ITEM, "description": event.specification, "unit": unit(event.unit)}],
            "procurementMethod": "selective",
            "procurementMethodDetails": self._method(event),
            "mainProcurementCategory": "goods",
            "eligibilityCriteria": f"Open to {eligibility.describe()}.",
            "tenderPeriod": {"startDate": rfc3339(event.timestamp),
                             "endDate": rfc3339(event.closes_at)},
        }
        self.publish("tender", position, event.timestamp)

    def _method(self, event: Any) -> str:
        details = ("A pooled lot: the needs of several buyers for one item, each served in full "
                   "or not at all, cleared at the least total cost of sealed bids with all-units "
                   "volume tiers.")
        if event.thresholds:
            volumes = ", ".join(f"{threshold} {event.unit}" for threshold in event.thresholds)
            details += f" Announced volume thresholds: {volumes}."
        most = getattr(event, "max_suppliers", None)  # absent from lots opened before it
        if most is not None:
            details += f" At most {most} bids are awarded."
        return details

    def _closed(self, event: Any, position: int) -> None:
        self.tender["items"][0]["quantity"] = number(event.pooled_quantity)
        for buyer in dict.fromkeys(self.buyers.values()):
            self.add_role(buyer, "buyer")
        tenderers = list(dict.fromkeys(
            member for bid_id in event.counted_bids for member in self.bidders[bid_id]))
        for tenderer in tenderers:
            self.add_role(tenderer, "tenderer")
        self.tender["tenderers"] = [self.reference(tenderer) for tenderer in tenderers]
        self.tender["numberOfTenderers"] = len(tenderers)
        self.publish("tenderUpdate", position, event.timestamp)

    def _allocated(self, event: Any, position: int) -> None:
        awarded = [s for s in event.result["suppliers"] if Decimal(s["quantity"]) > 0]
        for supplier in awarded:
            self.awards.append(self._award(supplier, event))
        self.tender["status"] = "complete" if awarded else "unsuccessful"
        self.publish("award" if awarded else "tenderUpdate", position, event.timestamp)

    def _award(self, supplier: dict[str, Any], event: Any) -> dict[str, Any]:
        """One awarded bid: what it supplies in all, at its tier's price, with its delivery."""
        members = self.bidders[UUID(supplier["id"])]
        for member in members:
            self.add_role(member, "supplier")
        description = supplier["explanation"]
        if supplier["members"]:
            split = ", ".join(f"{self._name(UUID(m['id']))} {m['quantity']} {self.unit_name}"
                              for m in supplier["members"])
            description += f" The consortium's members supply {split}."
        total = Decimal(supplier["goods_amount"]) + Decimal(supplier["delivery_amount"])
        price = supplier["tier"]["unit_price"]  # an awarded bid always reaches a tier
        return {
            "id": supplier["id"], "description": description, "status": "active",
            "date": rfc3339(event.timestamp), "value": value(total, self.currency),
            "suppliers": [self.reference(member) for member in members],
            "items": [{"id": ITEM, "description": self.specification,
                       "quantity": number(supplier["quantity"]),
                       "unit": unit(self.unit_name, price, self.currency)}],
        }

    def _name(self, organisation_id: UUID) -> str:
        return str(self.reference(organisation_id).get("name", organisation_id))


def _organisations(lead: UUID, shares: list[dict[str, Any]]) -> list[UUID]:
    """The lead first, then a consortium's other members by id, as the clearing lists them."""
    others = sorted((s["organisation_id"] for s in shares if s["organisation_id"] != lead),
                    key=str)
    return [lead, *others]
