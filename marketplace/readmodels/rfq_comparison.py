"""The comparison matrix of an RFQ's opened quotes: lines × suppliers, and the cheapest awards.

Each cell prices the line as the award would (the all-units break at the line's quantity,
in whole yen). A quote line past its validity is shown but marked expired: it can no longer
be awarded, so it is never the best nor part of a cheapest award.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from marketplace.readmodels.lot_queries import PriceBreakView
from marketplace.readmodels.rfq_views import RfqLineView, priced, quote_line


@dataclass(frozen=True)
class OpenedQuote:
    """An opened quote as the comparison reads it: who made it, its lines' documents."""

    quote_id: UUID
    supplier_id: UUID
    name_ja: str | None
    name_en: str | None
    lines: list[dict[str, Any]]


@dataclass(frozen=True)
class ComparisonCell:
    quote_id: UUID
    supplier_id: UUID
    quoted: bool
    """False: the supplier did not price this line (a missing line)."""
    unit_price: Decimal | None
    amount: Decimal | None
    price_breaks: list[PriceBreakView]
    lead_time_days: int | None
    valid_until: date | None
    notes: str | None
    expired: bool
    best_price: bool
    """The lowest unit price of the line among quotes still valid (ties: all of them)."""
    best_lead_time: bool
    """The shortest lead time of the line among quotes still valid (ties: all of them)."""


@dataclass(frozen=True)
class ComparisonLine:
    line: RfqLineView
    cells: list[ComparisonCell]
    """One per supplier, in the order of ``Comparison.suppliers``."""


@dataclass(frozen=True)
class SupplierColumn:
    quote_id: UUID
    supplier_id: UUID
    name_ja: str | None
    name_en: str | None
    total: Decimal
    """The sum of the lines it prices."""
    missing_lines: list[int]
    covers_every_line: bool
    """Prices every line, none expired: it can be awarded the whole RFQ."""


@dataclass(frozen=True)
class LineChoice:
    line: int
    quote_id: UUID
    supplier_id: UUID
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class WholeAward:
    """Every line to one quote."""

    quote_id: UUID
    supplier_id: UUID
    total: Decimal


@dataclass(frozen=True)
class SplitAward:
    """Each line to its cheapest quote (ties: the shorter lead time)."""

    lines: list[LineChoice]
    total: Decimal
    unquoted_lines: list[int]
    """Lines no valid quote prices."""


@dataclass(frozen=True)
class Comparison:
    rfq_id: UUID
    currency: str
    closes_at: datetime
    lines: list[ComparisonLine]
    suppliers: list[SupplierColumn]
    """Those covering every line first, then by total, cheapest first."""
    cheapest_whole: WholeAward | None
    """None when no quote covers every line."""
    cheapest_split: SplitAward | None
    """None when no line is priced."""


def compare(rfq_id: UUID, currency: str, closes_at: datetime, asked: list[RfqLineView],
            quotes: list[OpenedQuote], *, today: date) -> Comparison:
    """``today`` is the buyer's date (JST): lines valid until before it are expired."""
    cells = {q.quote_id: {line.line: _cell(q, line, today) for line in asked} for q in quotes}
    columns = sorted((_column(q, cells[q.quote_id]) for q in quotes),
                     key=lambda c: (not c.covers_every_line, len(c.missing_lines), c.total,
                                    str(c.quote_id)))
    lines = [ComparisonLine(line, _flag_best([cells[c.quote_id][line.line] for c in columns]))
             for line in asked]
    return Comparison(rfq_id=rfq_id, currency=currency, closes_at=closes_at, lines=lines,
                      suppliers=columns, cheapest_whole=_cheapest_whole(columns),
                      cheapest_split=_cheapest_split(lines))


def _cell(quote: OpenedQuote, asked: RfqLineView, today: date) -> ComparisonCell:
    document = next((d for d in quote.lines if d["line"] == asked.line), None)
    if document is None:
        return ComparisonCell(quote.quote_id, quote.supplier_id, quoted=False, unit_price=None,
                              amount=None, price_breaks=[], lead_time_days=None,
                              valid_until=None, notes=None, expired=False, best_price=False,
                              best_lead_time=False)
    line = quote_line(document)
    unit_price, amount = priced(line, asked)
    return ComparisonCell(
        quote.quote_id, quote.supplier_id, quoted=unit_price is not None,
        unit_price=unit_price, amount=amount,
        price_breaks=[PriceBreakView(b.from_quantity, b.unit_price)
                      for b in line.price_breaks.breaks],
        lead_time_days=line.lead_time_days, valid_until=line.valid_until, notes=line.notes,
        expired=line.valid_until < today, best_price=False, best_lead_time=False)


def _available(cell: ComparisonCell) -> bool:
    return cell.quoted and not cell.expired


def _column(quote: OpenedQuote, cells: dict[int, ComparisonCell]) -> SupplierColumn:
    return SupplierColumn(
        quote_id=quote.quote_id, supplier_id=quote.supplier_id, name_ja=quote.name_ja,
        name_en=quote.name_en,
        total=sum((c.amount for c in cells.values() if c.amount is not None), Decimal(0)),
        missing_lines=[number for number, c in cells.items() if not c.quoted],
        covers_every_line=all(_available(c) for c in cells.values()))


def _flag_best(cells: list[ComparisonCell]) -> list[ComparisonCell]:
    valid = [c for c in cells if _available(c)]
    best_price = min((c.unit_price for c in valid if c.unit_price is not None), default=None)
    best_lead = min((c.lead_time_days for c in valid if c.lead_time_days is not None),
                    default=None)
    return [replace(c, best_price=_available(c) and c.unit_price == best_price,
                    best_lead_time=_available(c) and c.lead_time_days == best_lead)
            for c in cells]


def _cheapest_whole(columns: list[SupplierColumn]) -> WholeAward | None:
    whole = [c for c in columns if c.covers_every_line]
    if not whole:
        return None
    best = min(whole, key=lambda c: (c.total, str(c.quote_id)))
    return WholeAward(best.quote_id, best.supplier_id, best.total)


def _cheapest_split(lines: list[ComparisonLine]) -> SplitAward | None:
    choices, unquoted = [], []
    for line in lines:
        valid = [c for c in line.cells if _available(c)]
        if not valid:
            unquoted.append(line.line.line)
            continue
        best = min(valid, key=lambda c: (c.amount or 0, c.lead_time_days or 0,
                                         str(c.quote_id)))
        choices.append(LineChoice(line.line.line, best.quote_id, best.supplier_id,
                                  best.unit_price or Decimal(0), best.amount or Decimal(0)))
    if not choices:
        return None
    return SplitAward(choices, sum((c.amount for c in choices), Decimal(0)), unquoted)
