"""What the RFQ queries return, and how a read-model row becomes one.

Prices in a quote are read back into the domain's ``QuoteLine`` so that a view prices a line
exactly as the award will: the all-units break for the line's quantity, in whole yen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from marketplace.domain.bids import PriceBreak, TierSchedule
from marketplace.domain.rfq_terms import QuoteLine, amount
from marketplace.readmodels.lot_queries import PriceBreakView

Role = Literal["buyer", "supplier"]


@dataclass(frozen=True)
class RfqLineView:
    line: int
    need_id: UUID
    category: str
    specification: str
    unit: str
    quantity: Decimal
    needed_by: date
    delivery_prefecture: str


@dataclass(frozen=True)
class AudienceView:
    """Who may quote besides the invited: members of a cluster, firms of some prefectures."""

    cluster: str | None
    prefectures: list[str]


@dataclass(frozen=True)
class RfqView:
    id: UUID
    buyer_id: UUID
    title: str
    currency: str
    closes_at: datetime
    status: str
    """open, closed (by the clock, even before the close is recorded), cancelled, awarded."""
    cancel_reason: str | None
    terms_digest: str
    """The digest of the current terms; a quote made on other terms awaits re-confirmation."""
    lines: list[RfqLineView]
    required_certifications: list[str]
    notes: str
    open_to: AudienceView | None
    """None: invited suppliers only."""
    award_reason: str | None
    issued_at: datetime
    closed_at: datetime | None
    awarded_at: datetime | None
    version: int


@dataclass(frozen=True)
class RfqSummary:
    id: UUID
    buyer_id: UUID
    title: str
    currency: str
    closes_at: datetime
    status: str
    line_count: int
    role: Role
    """buyer: I issued it; supplier: I am invited, eligible, or quoted."""
    my_status: str | None
    """As a supplier: eligible, invited, quoted, awaiting_reconfirmation, not_opened, awarded
    or not_awarded; None for the buyer."""
    issued_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class QuestionView:
    """A supplier's question; nobody is told who asked it."""

    id: UUID
    text: str
    answer: str | None
    asked_at: datetime
    answered_at: datetime | None
    mine: bool


@dataclass(frozen=True)
class QuoteLineView:
    line: int
    price_breaks: list[PriceBreakView]
    unit_price: Decimal | None
    """The all-units price at the line's current quantity (None: below the first break)."""
    amount: Decimal | None
    """That price times the quantity, in whole yen."""
    lead_time_days: int
    valid_until: date
    notes: str


@dataclass(frozen=True)
class QuoteView:
    id: UUID
    rfq_id: UUID
    supplier_id: UUID
    status: str
    """live or withdrawn."""
    terms_digest: str
    awaiting_reconfirmation: bool
    """Live, and made on terms the buyer has since amended: it opens only if re-confirmed."""
    opened: bool
    outcome: str | None
    """awarded or not_awarded, once the RFQ is awarded."""
    lines: list[QuoteLineView]
    total: Decimal
    """The sum of the priced lines' amounts."""
    submitted_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AwardedLineView:
    line: int
    quote_id: UUID
    supplier_id: UUID
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class RfqDetail:
    rfq: RfqView
    role: Role
    my_status: str | None
    invited: list[UUID] | None
    """The invited suppliers: shown to the buyer only."""
    questions: list[QuestionView]
    """To the buyer all; to a supplier the answered ones and its own."""
    my_quote: QuoteView | None
    awarded_lines: list[AwardedLineView]
    """To the buyer every awarded line; to a supplier its own."""


@dataclass(frozen=True)
class PurchaseOrderLineView:
    line: int
    need_id: UUID
    category: str
    specification: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    needed_by: date
    delivery_prefecture: str
    quote_id: UUID


@dataclass(frozen=True)
class PurchaseOrderView:
    number: str
    rfq_id: UUID
    rfq_title: str
    buyer_id: UUID
    supplier_id: UUID
    currency: str
    lines: list[PurchaseOrderLineView]
    total: Decimal
    issued_at: datetime


def line_views(document: list[dict[str, Any]]) -> list[RfqLineView]:
    return [RfqLineView(
        line=line["number"], need_id=UUID(line["need_id"]), category=line["category"],
        specification=line["specification"], unit=line["unit"],
        quantity=Decimal(line["quantity"]), needed_by=date.fromisoformat(line["needed_by"]),
        delivery_prefecture=line["delivery_prefecture"]) for line in document]


def status_at(row: Any, now: datetime) -> str:
    """An open RFQ past its deadline is closed, even before its close is recorded."""
    status: str = row["status"]
    return "closed" if status == "open" and row["closes_at"] <= now else status


def rfq_view(row: Any, prefectures: list[str], now: datetime) -> RfqView:
    open_to = (AudienceView(row["open_cluster"], prefectures)
               if row["open_cluster"] is not None or prefectures else None)
    return RfqView(
        id=row["id"], buyer_id=row["buyer_id"], title=row["title"], currency=row["currency"],
        closes_at=row["closes_at"], status=status_at(row, now),
        cancel_reason=row["cancel_reason"], terms_digest=row["terms_digest"],
        lines=line_views(row["lines"]),
        required_certifications=list(row["required_certifications"]), notes=row["notes"],
        open_to=open_to, award_reason=row["award_reason"], issued_at=row["issued_at"],
        closed_at=row["closed_at"], awarded_at=row["awarded_at"], version=row["version"])


def quote_line(document: dict[str, Any]) -> QuoteLine:
    """A quoted line as the domain prices it."""
    return QuoteLine(
        document["line"], TierSchedule(tuple(
            PriceBreak(Decimal(b["from_quantity"]), Decimal(b["unit_price"]))
            for b in document["price_breaks"])),
        document["lead_time_days"], date.fromisoformat(document["valid_until"]),
        document["notes"])


def priced(line: QuoteLine, asked: RfqLineView | None) -> tuple[Decimal | None, Decimal | None]:
    """The unit price and amount of a quoted line at the quantity the RFQ asks for."""
    unit_price = None if asked is None else line.unit_price_for(asked.quantity)
    if asked is None or unit_price is None:
        return None, None
    return unit_price, amount(unit_price, asked.quantity)


def quote_view(row: Any, asked: dict[int, RfqLineView], terms_digest: str) -> QuoteView:
    lines = []
    for document in row["lines"]:
        line = quote_line(document)
        unit_price, line_amount = priced(line, asked.get(line.line))
        lines.append(QuoteLineView(
            line=line.line, price_breaks=[PriceBreakView(b.from_quantity, b.unit_price)
                                          for b in line.price_breaks.breaks],
            unit_price=unit_price, amount=line_amount, lead_time_days=line.lead_time_days,
            valid_until=line.valid_until, notes=line.notes))
    return QuoteView(
        id=row["id"], rfq_id=row["rfq_id"], supplier_id=row["supplier_id"],
        status=row["status"], terms_digest=row["terms_digest"],
        awaiting_reconfirmation=(row["status"] == "live"
                                 and row["terms_digest"] != terms_digest),
        opened=row["opened"], outcome=row["outcome"], lines=lines,
        total=sum((line.amount for line in lines if line.amount is not None), Decimal(0)),
        submitted_at=row["submitted_at"], updated_at=row["updated_at"])


def awarded_line_views(document: list[dict[str, Any]] | None) -> list[AwardedLineView]:
    return [AwardedLineView(
        line=a["line"], quote_id=UUID(a["quote_id"]), supplier_id=UUID(a["supplier_id"]),
        quantity=Decimal(a["quantity"]), unit_price=Decimal(a["unit_price"]),
        amount=Decimal(a["amount"])) for a in document or ()]


def purchase_order_view(row: Any) -> PurchaseOrderView:
    return PurchaseOrderView(
        number=row["number"], rfq_id=row["rfq_id"], rfq_title=row["title"],
        buyer_id=row["buyer_id"], supplier_id=row["supplier_id"], currency=row["currency"],
        lines=[PurchaseOrderLineView(
            line=line["line"], need_id=UUID(line["need_id"]), category=line["category"],
            specification=line["specification"], unit=line["unit"],
            quantity=Decimal(line["quantity"]), unit_price=Decimal(line["unit_price"]),
            amount=Decimal(line["amount"]), needed_by=date.fromisoformat(line["needed_by"]),
            delivery_prefecture=line["delivery_prefecture"], quote_id=UUID(line["quote_id"]))
            for line in row["lines"]],
        total=row["total"], issued_at=row["issued_at"])
