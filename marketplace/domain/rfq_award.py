"""An RFQ's award: lines given to opened quotes, whole or split, and the purchase orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from marketplace.domain import rfq_rules as rules
from marketplace.domain import sealed_round
from marketplace.domain.rfq_terms import Quote, RfqTerms, amount


@dataclass(frozen=True)
class AwardedLine:
    line: int
    quote_id: UUID
    supplier_id: UUID
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal

    def as_event_data(self) -> dict[str, Any]:
        return {"line": self.line, "quote_id": self.quote_id, "supplier_id": self.supplier_id,
                "quantity": self.quantity, "unit_price": self.unit_price,
                "amount": self.amount}


@dataclass(frozen=True)
class Award:
    """Which quote supplies each awarded line, at what price; why; who was told no."""

    lines: tuple[AwardedLine, ...]
    reason: str
    informed: tuple[UUID, ...]

    @property
    def suppliers(self) -> list[UUID]:
        """Awarded suppliers, in the order of their first line."""
        return list(dict.fromkeys(line.supplier_id for line in self.lines))

    def purchase_orders(self, rfq_id: UUID, at: datetime) -> list[dict[str, Any]]:
        """One order per awarded supplier, numbered PO-<day>-<RFQ id>-<n> (day in JST): the
        whole id, so that two RFQs awarded the same day never share a number."""
        day = at.astimezone(sealed_round.JST).strftime("%Y%m%d")
        orders = []
        for n, supplier_id in enumerate(self.suppliers, start=1):
            lines = [line for line in self.lines if line.supplier_id == supplier_id]
            orders.append({
                "number": f"PO-{day}-{rfq_id.hex.upper()}-{n}",
                "supplier_id": supplier_id,
                "lines": [line.as_event_data() for line in lines],
                "total": sum((line.amount for line in lines), Decimal(0))})
        return orders

    def __deepcopy__(self, memo: dict[int, Any]) -> Award:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"awards": [line.as_event_data() for line in self.lines],
                "reason": self.reason, "informed": list(self.informed)}

    @classmethod
    def from_event_data(cls, awards: list[dict[str, Any]], reason: str,
                        informed: list[UUID]) -> Award:
        return cls(tuple(AwardedLine(**line) for line in awards), reason, tuple(informed))


def decide_award(terms: RfqTerms, opened: dict[UUID, Quote], choices: dict[int, UUID],
                 reason: Any, *, quoters: frozenset[UUID], at: datetime) -> Award:
    """Prices each chosen line at the quote's price break for the line's quantity.

    ``quoters``: every supplier with a live quote, opened or not; those awarded nothing are
    informed."""
    if not choices:
        raise rules.AwardEmptyError("award at least one line to a quote")
    today = at.astimezone(sealed_round.JST).date()
    lines = []
    for number, quote_id in sorted(choices.items()):
        line = terms.line(number)
        quote = opened.get(quote_id)
        if quote is None:
            raise rules.QuoteNotOpenedError(
                f"quote {quote_id} did not open at the deadline (withdrawn, made on earlier "
                "terms and not re-confirmed, or not a quote on this RFQ); choose an opened one")
        quoted = quote.line(number)
        unit_price = None if quoted is None else quoted.unit_price_for(line.quantity)
        if quoted is None or unit_price is None:
            raise rules.QuoteMissingLineError(
                f"quote {quote_id} does not price line {number}; award that line to a quote "
                "that does, or leave it out")
        if quoted.valid_until < today:
            raise rules.QuoteExpiredError(
                f"quote {quote_id} was valid for line {number} until {quoted.valid_until}; "
                "ask the supplier to extend it, or choose another quote")
        lines.append(AwardedLine(number, quote_id, quote.supplier_id, line.quantity,
                                 unit_price, amount(unit_price, line.quantity)))
    awarded = {line.supplier_id for line in lines}
    informed = sorted(quoters - awarded, key=str)
    return Award(tuple(lines), sealed_round.reason(
        reason, why="these quotes were chosen", error=rules.AwardReasonMissingError),
        tuple(informed))
