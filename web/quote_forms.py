"""The quote form and the award form: what they show filled in, and what they send to the
commands (the same line documents and choices the JSON API sends).

A quote form has, per RFQ line, rows of all-units price breaks (the first row's quantity
defaults to 0, so one price is a plain unit price), a lead time, a validity date and notes;
a line left without a price is left out of the quote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from marketplace.domain.sealed_round import JST
from marketplace.readmodels.rfq_comparison import Comparison
from marketplace.readmodels.rfq_views import QuoteView, RfqView
from web.forms import field as form_field
from web.forms import fields

#: Price-break rows offered per line (more when a quote being revised has more).
ROWS = 3
#: The validity the form suggests: this many days past the deadline's date.
DEFAULT_VALIDITY_DAYS = 30

Translate = Callable[..., str]


class FormProblemError(Exception):
    """What the member has to change in the form, already in the page's language."""


@dataclass
class LineValues:
    """One RFQ line's part of the quote form, as typed."""

    starts: list[str] = field(default_factory=list)
    prices: list[str] = field(default_factory=list)
    lead_time: str = ""
    valid_until: str = ""
    notes: str = ""

    @property
    def rows(self) -> list[tuple[str, str]]:
        return list(zip(self.starts, self.prices, strict=True))

    @property
    def priced(self) -> bool:
        return any(price.strip() for price in self.prices)

    @property
    def touched(self) -> bool:
        return (self.priced or any(s.strip() for s in self.starts[1:])
                or bool(self.lead_time.strip() or self.notes.strip()))


def _padded(values: list[str], count: int) -> list[str]:
    return values + [""] * (count - len(values))


def blank_quote(rfq: RfqView) -> dict[int, LineValues]:
    valid = (rfq.closes_at.astimezone(JST).date()
             + timedelta(days=DEFAULT_VALIDITY_DAYS)).isoformat()
    return {line.line: LineValues(starts=_padded(["0"], ROWS), prices=[""] * ROWS,
                                  valid_until=valid) for line in rfq.lines}


def quote_values(rfq: RfqView, quote: QuoteView | None) -> dict[int, LineValues]:
    """The form for a new quote, or filled with the quote being revised."""
    values = blank_quote(rfq)
    for line in quote.lines if quote else ():
        count = max(ROWS, len(line.price_breaks))
        values[line.line] = LineValues(
            starts=_padded([str(b.from_quantity) for b in line.price_breaks], count),
            prices=_padded([str(b.unit_price) for b in line.price_breaks], count),
            lead_time=str(line.lead_time_days), valid_until=line.valid_until.isoformat(),
            notes=line.notes)
    return values


def read_quote(rfq: RfqView, data: dict[str, Any]) -> dict[int, LineValues]:
    """The quote form as posted."""
    read = {}
    for line in rfq.lines:
        n = line.line
        starts, prices = fields(data, f"from-{n}"), fields(data, f"price-{n}")
        count = max(len(starts), len(prices))
        read[n] = LineValues(starts=_padded(starts, count), prices=_padded(prices, count),
                             lead_time=form_field(data, f"lead-{n}"),
                             valid_until=form_field(data, f"valid-{n}"),
                             notes=form_field(data, f"notes-{n}"))
    return read


def quote_lines(values: dict[int, LineValues], t: Translate) -> list[dict[str, Any]]:
    """The quote's lines as the commands read them; FormProblemError says what is missing."""
    lines = []
    for number, line in sorted(values.items()):
        if not line.touched:
            continue
        if not line.priced:
            raise FormProblemError(t("Line %(line)s has no price: give a unit price, or clear "
                                     "the line to leave it out of your quote.", line=number))
        breaks = []
        for row, (start, price) in enumerate(line.rows):
            start, price = start.strip(), price.strip()
            if not start and not price:
                continue
            if not price:
                raise FormProblemError(t("Line %(line)s: give the unit price from %(quantity)s.",
                                         line=number, quantity=start))
            if not start and row > 0:
                raise FormProblemError(t("Line %(line)s: give the quantity from which "
                                         "%(price)s applies.", line=number, price=price))
            breaks.append({"from_quantity": start or "0", "unit_price": price})
        lines.append({"line": number, "price_breaks": breaks,
                      "lead_time_days": line.lead_time.strip(),
                      "valid_until": line.valid_until.strip(), "notes": line.notes})
    if not lines:
        raise FormProblemError(t("Price at least one line."))
    return lines


@dataclass
class AwardValues:
    """The award form: the whole RFQ to one quote, or a quote (or none) per line."""

    mode: str = "whole"
    whole: str = ""
    lines: dict[int, str] = field(default_factory=dict)
    reason: str = ""


def suggested_award(comparison: Comparison) -> AwardValues:
    """The cheapest whole award if one quote covers every line, else the cheapest split."""
    split = {c.line: str(c.quote_id) for c in comparison.cheapest_split.lines} \
        if comparison.cheapest_split else {}
    if comparison.cheapest_whole is not None:
        return AwardValues("whole", str(comparison.cheapest_whole.quote_id), split)
    return AwardValues("lines", "", split)


def read_award(comparison: Comparison, data: dict[str, Any]) -> AwardValues:
    return AwardValues(
        mode="lines" if form_field(data, "mode") == "lines" else "whole",
        whole=form_field(data, "whole"),
        lines={line.line.line: form_field(data, f"line-{line.line.line}")
               for line in comparison.lines},
        reason=form_field(data, "reason"))


def award_choices(values: AwardValues, t: Translate
                  ) -> tuple[UUID | None, dict[int, UUID] | None]:
    """``whole`` or ``lines`` for ``award_rfq``; FormProblemError says what is missing."""
    try:
        if values.mode == "whole":
            if not values.whole:
                raise FormProblemError(t("Choose the supplier to award the whole RFQ to."))
            return UUID(values.whole), None
        chosen = {line: UUID(quote) for line, quote in values.lines.items() if quote}
    except ValueError:
        raise FormProblemError(t("Choose suppliers from the lists shown.")) from None
    if not chosen:
        raise FormProblemError(t("Choose a supplier for at least one line."))
    return None, chosen
