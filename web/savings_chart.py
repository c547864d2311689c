"""The geometry of the savings chart: for each buyer, what it would have paid alone and what
it pays in the pool, as horizontal bars drawn on the server.

Only geometry lives here (pixels, in SVG attributes, which the Content-Security-Policy allows);
the template writes the text in the page's language. Amounts stay ``Decimal``; so do the
coordinates, rounded to a tenth of a pixel, so the same allocation draws the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WIDTH = 720
LABEL_WIDTH = 200
"""The buyers' names, right-aligned before the bars."""
VALUE_WIDTH = 130
"""The saving, written after the longer of a buyer's two bars."""
PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_WIDTH
TOP = 8
BAR = 18
BAR_GAP = 4
GROUP_GAP = 18
AXIS_BAND = 26
"""Below the bars: the axis and its yen labels."""
TICKS = 4
"""About how many steps the axis is divided into."""

_PIXEL = Decimal("0.1")


@dataclass(frozen=True)
class SavingsEntry:
    """One buyer's two amounts: alone and in the pool (each goods plus delivery)."""

    label: str
    alone: Decimal
    pool: Decimal

    @property
    def saving(self) -> Decimal:
        return self.alone - self.pool


@dataclass(frozen=True)
class Rect:
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal


@dataclass(frozen=True)
class SavingsRow:
    entry: SavingsEntry
    alone_bar: Rect
    pool_bar: Rect
    saving_bar: Rect | None
    """From the end of the pool bar to the end of the alone bar; None without a saving."""
    label_y: Decimal
    """The baseline of the buyer's name, between its two bars."""
    value_x: Decimal
    value_y: Decimal
    """Where the saving is written: after the longer bar, level with the pool bar."""


@dataclass(frozen=True)
class Tick:
    amount: Decimal
    x: Decimal


@dataclass(frozen=True)
class SavingsChart:
    rows: list[SavingsRow]
    ticks: list[Tick]
    largest: Decimal
    """The amount drawn across the whole plot width: the largest of every bar."""
    width: int
    height: Decimal
    plot_left: int
    plot_right: int
    axis_y: Decimal
    label_x: int

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def savings_chart(entries: Sequence[SavingsEntry]) -> SavingsChart:
    """Every buyer's bars, scaled so the largest amount of all spans the plot."""
    largest = max((max(e.alone, e.pool) for e in entries), default=Decimal(0))
    group = 2 * BAR + BAR_GAP + GROUP_GAP
    rows = [_row(entry, Decimal(TOP + index * group), largest)
            for index, entry in enumerate(entries)]
    axis_y = Decimal(TOP + len(entries) * group - GROUP_GAP + 6)
    return SavingsChart(
        rows=rows, ticks=[Tick(amount, LABEL_WIDTH + _length(amount, largest))
                          for amount in axis_ticks(largest)],
        largest=largest, width=WIDTH, height=axis_y + AXIS_BAND, plot_left=LABEL_WIDTH,
        plot_right=LABEL_WIDTH + PLOT_WIDTH, axis_y=axis_y, label_x=LABEL_WIDTH - 8)


def axis_ticks(largest: Decimal) -> list[Decimal]:
    """0 and round steps (1, 2 or 5 times a power of ten) up to ``largest``."""
    if largest <= 0:
        return [Decimal(0)]
    rough = largest / TICKS
    power = Decimal(1).scaleb(rough.adjusted())
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= rough)
    count = int(largest // step)
    return [step * n for n in range(count + 1)]


def _row(entry: SavingsEntry, top: Decimal, largest: Decimal) -> SavingsRow:
    alone, pool = _length(entry.alone, largest), _length(entry.pool, largest)
    pool_top = top + BAR + BAR_GAP
    saving_bar = (Rect(LABEL_WIDTH + pool, pool_top, alone - pool, Decimal(BAR))
                  if alone > pool else None)
    return SavingsRow(
        entry=entry, alone_bar=Rect(Decimal(LABEL_WIDTH), top, alone, Decimal(BAR)),
        pool_bar=Rect(Decimal(LABEL_WIDTH), pool_top, pool, Decimal(BAR)),
        saving_bar=saving_bar, label_y=top + BAR + BAR_GAP // 2 + 4,
        value_x=LABEL_WIDTH + max(alone, pool) + 6, value_y=pool_top + BAR - 5)


def _length(amount: Decimal, largest: Decimal) -> Decimal:
    """The amount's share of the plot width; nothing for a negative amount or an empty chart."""
    if largest <= 0 or amount <= 0:
        return Decimal("0.0")
    return (amount * PLOT_WIDTH / largest).quantize(_PIXEL, rounding=ROUND_HALF_UP)
