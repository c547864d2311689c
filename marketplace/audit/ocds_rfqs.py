"""An RFQ as an OCDS contracting process (docs/export.md, "RFQs").

The RFQ's buyer is its buyer and procuring entity; its lines are the tender's items; the
suppliers whose quotes opened at the deadline are its tenderers; the buyer's award
(``Rfq.Awarded``) gives one award per awarded quote, and each purchase order a contract.
Nothing of the quotes is published before the deadline's close is recorded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from events.checkpoints import rfc3339
from marketplace.audit.ocds_releases import Directory, ProcessReleases, number, unit, value
from marketplace.domain.eligibility import Eligibility
from marketplace.domain.rfq import Rfq
from marketplace.domain.rfq_terms import RfqLine, RfqTerms


class RfqReleases(ProcessReleases):
    """The releases of one RFQ: its tender and amendments, its cancellation or close, its
    award and its purchase orders."""

    def __init__(self, ocid: str, directory: Directory) -> None:
        super().__init__(ocid, directory)
        self.currency = "JPY"
        self.lines: dict[int, RfqLine] = {}
        self.quoters: dict[UUID, UUID] = {}
        """Each quote's supplier."""
        self.award_of: dict[UUID, str] = {}
        """Each awarded supplier's award id."""

    def apply(self, event: Any, position: int) -> None:
        match event:
            case Rfq.Issued():
                self._issued(event, position)
            case Rfq.Amended():
                self._amended(event, position)
            case Rfq.Cancelled():
                self.tender["status"] = "cancelled"
                self.publish("tenderCancellation", position, event.timestamp)
            case Rfq.QuoteSubmitted():
                self.quoters[event.quote_id] = event.supplier_id
            case Rfq.Closed():
                self._closed(event, position)
            case Rfq.Awarded():
                self._awarded(event, position)
            case Rfq.PurchaseOrderIssued():
                self._ordered(event, position)

    def _issued(self, event: Any, position: int) -> None:
        self.currency = event.currency
        self.buyer = event.buyer_id
        self.add_role(event.buyer_id, "buyer")
        self.add_role(event.buyer_id, "procuringEntity")
        audience = "suppliers the buyer invited"
        if event.open_to is not None:
            audience += f" and {Eligibility.from_event_data(event.open_to).describe()}"
        self.tender = {
            "id": str(event.originator_id), "status": "active",
            "procuringEntity": self.reference(event.buyer_id),
            "procurementMethod": "limited" if event.open_to is None else "selective",
            "procurementMethodDetails": f"A request for quotation to the {audience}; sealed "
                                        "quotes with all-units price breaks, awarded by the "
                                        "buyer, whole or by line.",
            "mainProcurementCategory": "goods",
            "tenderPeriod": {"startDate": rfc3339(event.timestamp),
                             "endDate": rfc3339(event.closes_at)},
        }
        self._terms(event.terms)
        self.publish("tender", position, event.timestamp)

    def _amended(self, event: Any, position: int) -> None:
        self._terms(event.terms)
        self.tender["tenderPeriod"]["endDate"] = rfc3339(event.closes_at)
        self.tender.setdefault("amendments", []).append({
            "id": str(position), "date": rfc3339(event.timestamp),
            "description": "The buyer amended the terms or moved the deadline; quotes made on "
                           "earlier terms open only if their suppliers re-confirm them."})
        self.publish("tenderAmendment", position, event.timestamp)

    def _terms(self, data: dict[str, Any]) -> None:
        terms = RfqTerms.from_event_data(data)
        self.lines = {line.number: line for line in terms.lines}
        certifications = ", ".join(terms.required_certifications)
        self.tender.update({
            "title": terms.title, "description": terms.notes or None,
            "items": [{"id": str(line.number), "description": _described(line),
                       "quantity": number(line.quantity), "unit": unit(line.item.unit.value)}
                      for line in terms.lines],
            "eligibilityCriteria": (f"Required certifications: {certifications}."
                                    if certifications else None),
        })

    def _closed(self, event: Any, position: int) -> None:
        tenderers = list(dict.fromkeys(self.quoters[quote] for quote in event.opened_quotes))
        for tenderer in tenderers:
            self.add_role(tenderer, "tenderer")
        self.tender["tenderers"] = [self.reference(tenderer) for tenderer in tenderers]
        self.tender["numberOfTenderers"] = len(tenderers)
        self.publish("tenderUpdate", position, event.timestamp)

    def _awarded(self, event: Any, position: int) -> None:
        by_quote: dict[UUID, list[dict[str, Any]]] = {}
        for line in event.awards:
            by_quote.setdefault(line["quote_id"], []).append(line)
        for quote_id, lines in by_quote.items():
            supplier = lines[0]["supplier_id"]
            self.add_role(supplier, "supplier")
            self.award_of[supplier] = str(quote_id)
            self.awards.append({
                "id": str(quote_id), "description": event.reason, "status": "active",
                "date": rfc3339(event.timestamp), "value": self._total(lines),
                "suppliers": [self.reference(supplier)],
                "items": [self._item(line) for line in lines]})
        self.tender["status"] = "complete"
        self.publish("award", position, event.timestamp)

    def _ordered(self, event: Any, position: int) -> None:
        self.contracts.append({
            "id": event.number, "awardID": self.award_of[event.supplier_id],
            "title": f"Purchase order {event.number}", "status": "active",
            "dateSigned": rfc3339(event.timestamp), "value": value(event.total, self.currency),
            "items": [self._item(line) for line in event.lines]})
        self.publish("contract", position, event.timestamp)

    def _item(self, awarded: dict[str, Any]) -> dict[str, Any]:
        """An awarded line: the tender's item, its quantity, and its price per unit."""
        line = self.lines[awarded["line"]]
        return {"id": str(line.number), "description": _described(line),
                "quantity": number(awarded["quantity"]),
                "unit": unit(line.item.unit.value, awarded["unit_price"], self.currency)}

    def _total(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        return value(sum((Decimal(line["amount"]) for line in lines), Decimal(0)),
                     self.currency)


def _described(line: RfqLine) -> str:
    return f"{line.item.category}: {line.item.specification}"
