"""What an RFQ asks and what a quote answers: the terms, their digest, and quote lines.

The terms are what suppliers quote against: the lines (item, quantity, needed-by date, where
to deliver), the required certifications and the notes. Their digest is recorded with every
quote, so the ledger shows which terms each price was given for; the deadline is not part of
them (moving it does not change what is asked).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from marketplace.domain import rfq_rules as rules
from marketplace.domain import sealed_round
from marketplace.domain.bids import TierSchedule
from marketplace.domain.capabilities import CERTIFICATIONS
from marketplace.domain.items import ItemSpec, calendar_date, quantity, whole_number, yen
from marketplace.domain.need import NeededByInThePastError, NeededByInvalidError, NeedLine
from marketplace.domain.prefectures import Prefecture

MAX_LINES = 50
MAX_TITLE_LENGTH = 120
MAX_NOTES_LENGTH = 2000
MAX_CERTIFICATIONS = 10


@dataclass(frozen=True)
class RfqLine:
    """One line of an RFQ: a need of the buyer's, as the suppliers are asked to quote it."""

    number: int
    need_id: UUID
    item: ItemSpec
    quantity: Decimal
    needed_by: date
    delivery_prefecture: Prefecture

    @classmethod
    def of_need(cls, number: int, need_id: UUID, line: NeedLine) -> RfqLine:
        return cls(number, need_id, line.item, line.quantity, line.needed_by,
                   line.delivery_prefecture)

    def as_event_data(self) -> dict[str, Any]:
        return {"number": self.number, "need_id": self.need_id, **self.item.as_event_data(),
                "quantity": self.quantity, "needed_by": self.needed_by,
                "delivery_prefecture": self.delivery_prefecture.code}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> RfqLine:
        return cls(data["number"], data["need_id"], ItemSpec.from_event_data(data),
                   data["quantity"], data["needed_by"],
                   Prefecture.parse(data["delivery_prefecture"]))


@dataclass(frozen=True)
class RfqTerms:
    title: str
    lines: tuple[RfqLine, ...]
    required_certifications: tuple[str, ...]
    notes: str

    @classmethod
    def create(cls, *, title: Any, lines: tuple[RfqLine, ...], required_certifications: Any,
               notes: Any) -> RfqTerms:
        if not lines:
            raise rules.RfqLinesMissingError("an RFQ asks for at least one of your needs")
        if len(lines) > MAX_LINES:
            raise rules.TooManyRfqLinesError(
                f"{len(lines)} lines given; an RFQ has at most {MAX_LINES}: split it")
        return cls(title=_text(title, MAX_TITLE_LENGTH, "title", required=True),
                   lines=lines, required_certifications=_certifications(required_certifications),
                   notes=_text(notes, MAX_NOTES_LENGTH, "notes", required=False))

    def line(self, number: int) -> RfqLine:
        for line in self.lines:
            if line.number == number:
                return line
        raise rules.RfqLineUnknownError(
            f"this RFQ has no line {number}; its lines are "
            f"{', '.join(str(line.number) for line in self.lines)}")

    def amended(self, *, today: date, title: Any = None, lines: Any = None,
                required_certifications: Any = None, notes: Any = None) -> RfqTerms:
        """These terms with the given parts replaced; lines change quantity, date or text."""
        changed = list(self.lines)
        seen: set[int] = set()
        for raw in lines or ():
            if not isinstance(raw, dict) or "line" not in raw:
                raise rules.RfqLineUnknownError("each amended line is {'line': N, ...changes}")
            number = _line_number(raw["line"])
            if number in seen:
                raise rules.RfqLineTwiceError(f"line {number} is amended twice; merge the changes")
            seen.add(number)
            current = self.line(number)
            changed[changed.index(current)] = _amended_line(current, raw, today)
        return RfqTerms.create(
            title=self.title if title is None else title, lines=tuple(changed),
            required_certifications=(self.required_certifications
                                     if required_certifications is None
                                     else required_certifications),
            notes=self.notes if notes is None else notes)

    @property
    def digest(self) -> str:
        """``sha256:`` and the hex digest of the terms' canonical JSON."""
        document = json.dumps(self.as_event_data(), sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False, default=str)
        return "sha256:" + hashlib.sha256(document.encode()).hexdigest()

    def __deepcopy__(self, memo: dict[int, Any]) -> RfqTerms:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"title": self.title, "lines": [line.as_event_data() for line in self.lines],
                "required_certifications": list(self.required_certifications),
                "notes": self.notes}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> RfqTerms:
        return cls(title=data["title"],
                   lines=tuple(RfqLine.from_event_data(line) for line in data["lines"]),
                   required_certifications=tuple(data["required_certifications"]),
                   notes=data["notes"])


@dataclass(frozen=True)
class QuoteLine:
    """A supplier's price for one RFQ line: all-units price breaks, lead time, validity."""

    line: int
    price_breaks: TierSchedule
    lead_time_days: int
    valid_until: date
    notes: str

    def unit_price_for(self, awarded: Decimal) -> Decimal | None:
        """The same all-units tier lookup a lot's clearing prices bids with."""
        return self.price_breaks.price_for(awarded)

    def as_event_data(self) -> dict[str, Any]:
        return {"line": self.line, "price_breaks": self.price_breaks.as_event_data(),
                "lead_time_days": self.lead_time_days, "valid_until": self.valid_until,
                "notes": self.notes}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> QuoteLine:
        return cls(data["line"], TierSchedule.from_event_data(data["price_breaks"]),
                   data["lead_time_days"], data["valid_until"], data["notes"])


@dataclass(frozen=True)
class Quote:
    """A supplier's sealed answer, and the digest of the terms it was made (or re-confirmed) on."""

    quote_id: UUID
    supplier_id: UUID
    lines: tuple[QuoteLine, ...]
    terms_digest: str

    def line(self, number: int) -> QuoteLine | None:
        return next((line for line in self.lines if line.line == number), None)

    def __deepcopy__(self, memo: dict[int, Any]) -> Quote:
        return self  # immutable: aggregates copied from the cache may share it


def quote_lines(raw: Any, terms: RfqTerms, closes_at: datetime) -> tuple[QuoteLine, ...]:
    """A quote's lines, validated against the RFQ: known lines, once each, priced, valid."""
    if not raw or not isinstance(raw, list | tuple):
        raise rules.QuoteEmptyError(
            "quote at least one line: [{'line': 1, 'unit_price': ..., 'lead_time_days': ..., "
            "'valid_until': ...}]")
    lines: dict[int, QuoteLine] = {}
    for item in raw:
        if not isinstance(item, dict) or "line" not in item:
            raise rules.QuoteEmptyError("each quoted line is {'line': N, 'unit_price': ...}")
        line = _quote_line(item, terms, closes_at)
        if line.line in lines:
            raise rules.RfqLineTwiceError(f"line {line.line} is quoted twice; quote it once")
        lines[line.line] = line
    return tuple(sorted(lines.values(), key=lambda line: line.line))


def amount(unit_price: Decimal, awarded: Decimal) -> Decimal:
    """What an awarded line costs, in whole yen (half a yen rounds up, as in a clearing)."""
    return yen(unit_price * awarded)


def _quote_line(item: dict[str, Any], terms: RfqTerms, closes_at: datetime) -> QuoteLine:
    unknown = set(item) - {"line", "unit_price", "price_breaks", "lead_time_days",
                           "valid_until", "notes"}
    if unknown:
        raise rules.QuoteEmptyError(f"a quoted line has no field {', '.join(sorted(unknown))}")
    line = terms.line(_line_number(item["line"]))
    if ("unit_price" in item) == ("price_breaks" in item):
        raise rules.QuotePriceMissingError(
            f"give line {line.number} either a unit_price or price_breaks, not both")
    breaks = (item["price_breaks"] if "price_breaks" in item
              else [{"from_quantity": 0, "unit_price": item["unit_price"]}])
    schedule = TierSchedule.create(breaks)
    if schedule.price_for(line.quantity) is None:
        raise rules.QuoteDoesNotPriceLineError(
            f"line {line.number} asks for {line.quantity} {line.item.unit} but your first "
            f"price break starts at {schedule.breaks[0].from_quantity}; price that quantity")
    valid_until = calendar_date(item.get("valid_until"), rules.QuoteValidityInvalidError,
                                "validity date")
    sealed_round.require_valid_through(valid_until, closes_at, offer="quote",
                                       round_="RFQ", error=rules.QuoteExpiresBeforeDeadlineError)
    return QuoteLine(line.number, schedule, sealed_round.lead_time_days(
        item.get("lead_time_days")), valid_until,
        _text(item.get("notes"), MAX_NOTES_LENGTH, "notes", required=False))


def _amended_line(line: RfqLine, raw: dict[str, Any], today: date) -> RfqLine:
    unknown = set(raw) - {"line", "quantity", "needed_by", "specification"}
    if unknown:
        raise rules.RfqLineUnknownError(
            f"an RFQ line's quantity, needed_by and specification can be amended, not "
            f"{', '.join(sorted(unknown))}")
    changed = line
    if "quantity" in raw:
        changed = replace(changed, quantity=quantity(raw["quantity"]))
    if "needed_by" in raw:
        needed_by = calendar_date(raw["needed_by"], NeededByInvalidError, "needed-by date")
        if needed_by < today:
            raise NeededByInThePastError(
                f"the needed-by date {needed_by} has passed; give a date from {today} on")
        changed = replace(changed, needed_by=needed_by)
    if "specification" in raw:
        changed = replace(changed, item=ItemSpec.create(
            category=line.item.category, specification=raw["specification"],
            unit=line.item.unit))
    return changed


def _line_number(raw: Any) -> int:
    number = whole_number(raw, 1, MAX_LINES)
    if number is None:
        raise rules.RfqLineUnknownError(f"{raw!r} is not a line number of this RFQ")
    return number


def _text(raw: Any, limit: int, what: str, *, required: bool) -> str:
    text = "" if raw is None else str(raw).strip()
    if (required and not text) or len(text) > limit:
        raise rules.RfqTextInvalidError(
            f"the {what} has {len(text)} characters; give {1 if required else 0} to {limit}")
    return text


def _certifications(raw: Any) -> tuple[str, ...]:
    """Vocabulary codes, so that suppliers are matched on exactly the certifications asked."""
    if isinstance(raw, str):
        raw = [raw]
    codes = CERTIFICATIONS.parse_all(str(value) for value in raw or ())
    if len(codes) > MAX_CERTIFICATIONS:
        raise rules.RfqTextInvalidError(
            f"{len(codes)} certifications required; list at most {MAX_CERTIFICATIONS}")
    return codes
