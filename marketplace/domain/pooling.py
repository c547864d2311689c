"""Pooling suggestions: which buyers' needs belong in one lot, and on what terms.

Pure rules, decided on what the read models hold. They only ever *suggest*: a need is pooled
by its own buyer's command, never by a rule. A need fits an open lot of the same item that it
may join in time and where it is delivered; other buyers' matching needs make a group that
could open a lot together. Other buyers' needs are private, so what a group shows of them is
cut here too: how many buyers, and how much only in a total that gives no one's need away.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from marketplace.domain.eligibility import Eligibility, Participant
from marketplace.domain.errors import RuleViolationError
from marketplace.domain.lot_rules import JST, MAX_OPEN_DAYS, jst
from marketplace.domain.prefectures import PREFECTURES, Prefecture

#: Needs pool together when the dates they are needed by are at most this far apart.
POOLING_WINDOW = timedelta(days=30)
#: A suggested lot closes at least this long before the earliest needed-by date of its group:
#: the suppliers' time to deliver.
LEAD_TIME_MARGIN = timedelta(days=14)
#: ...and stays open at least this long, for the other buyers to see it and consent.
MIN_OPEN = timedelta(days=2)
#: Suggested lots close at the end of a working week, Friday 17:00 JST. Rounding the close to a
#: week also keeps one other buyer's needed-by date from showing through it.
CLOSE_WEEKDAY = 4
CLOSE_HOUR = time(17, 0)
#: A total of other buyers' quantities is shown only over at least this many buyers.
MIN_BUYERS_IN_TOTAL = 2
#: ...and rounded down to this many significant figures, so that its change when one buyer
#: joins or leaves does not give that buyer's quantity away exactly.
TOTAL_FIGURES = 2


class PoolingPartnersGoneError(RuleViolationError):
    """A lot started from a suggestion needs other buyers whose needs still match."""


class NeedDueTooSoonToPoolError(RuleViolationError):
    """A pooled lot needs time to gather buyers and close before the goods are needed."""


class LotClosesAfterNeededByError(RuleViolationError):
    """A lot started for a need closes before the day the need is needed by."""


def normalise_specification(text: str) -> str:
    """The form two specifications are compared in: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def item_key(category: str, specification: str, unit: str) -> tuple[str, str, str]:
    """Needs and lots pool when these agree (the category and unit are stored normalised)."""
    return category, normalise_specification(specification), unit


def closes_in_time(closes_at: datetime, needed_by: date) -> bool:
    """A lot serves a need if it closes before the needed-by day begins in Japan: a lot that
    closes on the day the goods are needed cannot deliver them."""
    return closes_at < datetime.combine(needed_by, time(0), tzinfo=JST)


def require_close_in_time(closes_at: datetime, needed_by: date) -> None:
    if not closes_in_time(closes_at, needed_by):
        raise LotClosesAfterNeededByError(
            f"the lot would close at {jst(closes_at)}, but your need is needed by {needed_by}; "
            f"choose a close time before {needed_by}")


def region_prefectures(region: str) -> frozenset[Prefecture]:
    return frozenset(p for p in PREFECTURES if p.region == region)


def delivers_to(delivery: Prefecture, lot_prefectures: frozenset[Prefecture],
                lot_regions: frozenset[str]) -> bool:
    """A lot open to prefectures serves deliveries to them; a cluster's lot (no prefectures)
    serves the regions its needs are delivered to (its organiser's, while it has none)."""
    if lot_prefectures:
        return delivery in lot_prefectures
    return delivery.region in lot_regions


@dataclass(frozen=True)
class PoolingCandidate:
    """A buyer's open need as the pooling rules weigh it; never shown to another buyer."""

    buyer: Participant
    quantity: Decimal
    needed_by: date


@dataclass(frozen=True)
class PoolingGroup:
    """Other buyers' needs that could open a lot with one buyer's need, if each consents."""

    eligibility: Eligibility
    """Who the lot would be open to: a cluster all of them are in, or their region."""
    other_buyers: int
    others_quantity: Decimal
    """The exact total: for the rules only; buyers see ``shown_total``."""
    earliest_needed_by: date

    @property
    def shown_total(self) -> Decimal | None:
        """What the buyer may see of the others' total (None: it would show one's need)."""
        if self.other_buyers < MIN_BUYERS_IN_TOTAL:
            return None
        return round_down(self.others_quantity, TOTAL_FIGURES)


def best_group(mine: PoolingCandidate, region: str,
               others: Sequence[PoolingCandidate]) -> PoolingGroup | None:
    """The largest group of other buyers' matching needs (same item, delivered in ``region``)
    that could pool with ``mine``: needed within ``POOLING_WINDOW`` of each other, and all
    admitted by one eligibility that admits this buyer too. None when nobody else fits.

    Largest means most other buyers, then most quantity; ties go to a cluster (by name)
    before the region, then to the earlier dates.
    """
    options = [Eligibility(cluster=c, prefectures=frozenset())
               for c in sorted(mine.buyer.clusters)]
    if mine.buyer.prefecture.region == region:
        options.append(Eligibility(cluster=None, prefectures=region_prefectures(region)))
    me = mine.buyer.organisation_id
    best: tuple[tuple[int, Decimal], PoolingGroup] | None = None
    for eligibility in options:
        admitted = [o for o in others
                    if o.buyer.organisation_id != me and eligibility.admits(o.buyer)]
        window = _best_window(mine.needed_by, admitted)
        if window is None:
            continue
        buyers, quantity, earliest = window
        rank = (buyers, quantity)
        if best is None or rank > best[0]:
            best = rank, PoolingGroup(eligibility, buyers, quantity,
                                      min(earliest, mine.needed_by))
    return None if best is None else best[1]


def _best_window(needed_by: date, others: Sequence[PoolingCandidate],
                 ) -> tuple[int, Decimal, date] | None:
    """Over windows of ``POOLING_WINDOW`` that contain ``needed_by``: the most distinct
    buyers, then quantity, and the earliest date in that window (two pointers, one pass)."""
    items = sorted(others, key=lambda o: o.needed_by)
    starts = sorted({o.needed_by for o in items if
                     needed_by - POOLING_WINDOW <= o.needed_by <= needed_by} | {needed_by})
    buyers: Counter[UUID] = Counter()
    quantity, low, high = Decimal(0), 0, 0
    best: tuple[int, Decimal, date] | None = None
    for start in starts:
        while high < len(items) and items[high].needed_by <= start + POOLING_WINDOW:
            buyers[items[high].buyer.organisation_id] += 1
            quantity += items[high].quantity
            high += 1
        while low < high and items[low].needed_by < start:
            leaving = items[low].buyer.organisation_id
            buyers[leaving] -= 1
            if not buyers[leaving]:
                del buyers[leaving]  # its last need in the window: one buyer fewer
            quantity -= items[low].quantity
            low += 1
        if low < high and (best is None or (len(buyers), quantity) > best[:2]):
            best = len(buyers), quantity, items[low].needed_by
    return best


def suggested_close(earliest_needed_by: date, now: datetime) -> datetime | None:
    """When a lot for needs due from ``earliest_needed_by`` should close.

    The last Friday 17:00 JST at least ``LEAD_TIME_MARGIN`` before that date; if that is
    sooner than ``MIN_OPEN`` from now, the first 17:00 JST after that; at most as far ahead as
    a lot may stay open. None when no such time falls before the needed-by day: too late to
    pool.
    """
    target = _at_close_hour(_friday_on_or_before(earliest_needed_by - LEAD_TIME_MARGIN))
    soonest = now + MIN_OPEN
    if target < soonest:
        day = soonest.astimezone(JST).date()
        target = _at_close_hour(day)
        if target < soonest:
            target = _at_close_hour(day + timedelta(days=1))
    latest = now + timedelta(days=MAX_OPEN_DAYS)
    if target > latest:
        target = _at_close_hour(_friday_on_or_before(latest.astimezone(JST).date()))
        if target > latest:
            target -= timedelta(days=7)
    return target.astimezone(UTC) if closes_in_time(target, earliest_needed_by) else None


def round_down(quantity: Decimal, figures: int) -> Decimal:
    """``quantity`` rounded down to ``figures`` significant figures: 1234.5 to 1200."""
    if quantity <= 0:
        return Decimal(0)
    exponent = quantity.adjusted() - (figures - 1)
    step = Decimal(1).scaleb(exponent)
    rounded = (quantity // step) * step
    return rounded.quantize(Decimal(1)) if exponent >= 0 else rounded


def _friday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - CLOSE_WEEKDAY) % 7)


def _at_close_hour(day: date) -> datetime:
    return datetime.combine(day, CLOSE_HOUR, tzinfo=JST)
