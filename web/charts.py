"""Server-side SVG charts: the geometry is computed here, templates only draw it.

Each builder takes plain quantities and prices (``Decimal``) and returns a frozen dataclass
holding every coordinate a template needs, in SVG user units of a ``viewBox`` (x grows to the
right, y grows downward). Nothing here knows of requests, languages or HTML: templates format
the labels (``|number``, ``|unit_price``) and place the elements with SVG attributes, which the
Content-Security-Policy allows where inline styles are not.

- ``threshold_bar``: a lot's pooled quantity as a filled bar, with a mark at each announced
  volume threshold.
- ``price_chart``: unit price against volume: tier schedules as step lines (all-units prices
  never rise with volume), announced thresholds and the pooled volume as vertical marks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

Anchor = Literal["start", "middle", "end"]

#: How near an edge (in user units) a label is anchored to its side rather than centred.
LABEL_ROOM = 36.0
#: Room to the right of the largest quantity drawn, so its mark is not on the edge.
HEADROOM = Decimal("1.2")


class PriceBreakLike(Protocol):
    """Anything with the two fields of a price break (the read models' ``PriceBreakView``)."""

    @property
    def from_quantity(self) -> Decimal: ...

    @property
    def unit_price(self) -> Decimal: ...


@dataclass(frozen=True)
class Mark:
    """A quantity marked on a horizontal scale at ``x``, and how its label is anchored."""

    quantity: Decimal
    x: float
    anchor: Anchor
    reached: bool = False


@dataclass(frozen=True)
class ThresholdBar:
    """A horizontal bar: its track, the part filled by the pooled quantity, a mark per
    threshold (the labels sit under the bar, at ``label_y``)."""

    width: int
    height: int
    bar_y: float
    bar_height: float
    fill_width: float
    marks: tuple[Mark, ...]
    label_y: float
    pooled: Decimal
    scale_max: Decimal


def threshold_bar(pooled: Decimal, thresholds: Sequence[Decimal], *, width: int = 600,
                  height: int = 44) -> ThresholdBar:
    """The pooled quantity against the announced thresholds, on a scale that holds both."""
    largest = max([*thresholds, pooled, Decimal(0)])
    scale_max = largest if largest > 0 else Decimal(1)
    bar_y, bar_height = 4.0, 18.0

    def x(quantity: Decimal) -> float:
        return round(_fraction(quantity, scale_max) * width, 1)

    marks = tuple(Mark(t, x(t), _anchor(x(t), 0, width), reached=pooled >= t)
                  for t in thresholds)
    return ThresholdBar(width=width, height=height, bar_y=bar_y, bar_height=bar_height,
                        fill_width=x(pooled), marks=marks, label_y=bar_y + bar_height + 15,
                        pooled=pooled, scale_max=scale_max)


@dataclass(frozen=True)
class Schedule:
    """One tier schedule to draw: all-units price breaks, up to the bid's capacity."""

    label: str
    breaks: Sequence[PriceBreakLike]
    capacity: Decimal | None = None


@dataclass(frozen=True)
class Tick:
    """A labelled value of an axis, at ``position`` (x on the volume axis, y on the price)."""

    value: Decimal
    position: float


@dataclass(frozen=True)
class Step:
    """One tier drawn: from ``from_quantity`` to ``to_quantity`` every unit at ``unit_price``."""

    from_quantity: Decimal
    to_quantity: Decimal
    unit_price: Decimal
    x1: float
    x2: float
    y: float


@dataclass(frozen=True)
class StepLine:
    """A schedule as a polyline: flat along each tier, straight down at each price break."""

    label: str
    steps: tuple[Step, ...]
    points: str
    """SVG ``points``: "x,y x,y ..."."""


@dataclass(frozen=True)
class PriceChart:
    """Unit price (y) against volume (x) inside the plot box left..right, top..bottom."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[StepLine, ...]
    thresholds: tuple[Mark, ...]
    pooled: Mark | None

    @property
    def has_prices(self) -> bool:
        return bool(self.lines)

    @property
    def is_empty(self) -> bool:
        """Nothing worth drawing: no prices, no thresholds, nothing pooled."""
        return not self.lines and not self.thresholds and (
            self.pooled is None or self.pooled.quantity == 0)


def price_chart(schedules: Sequence[Schedule], *, pooled: Decimal | None,
                thresholds: Sequence[Decimal] = (), width: int = 640,
                height: int = 300) -> PriceChart:
    """Tier schedules as step lines, with the thresholds and the pooled volume marked.

    The volume axis reaches a little beyond the largest of the thresholds, the pooled volume
    and the price breaks; a schedule ends at its capacity, or at the axis' end if that is
    further. The price axis starts at zero, so steps are drawn to their true proportion.
    """
    left, right, top, bottom = 56.0, width - 16.0, 24.0, height - 40.0
    volumes = [*thresholds, pooled or Decimal(0),
               *(b.from_quantity for s in schedules for b in s.breaks)]
    x_ticks_values = nice_ticks(max(volumes) * HEADROOM)
    x_max = x_ticks_values[-1]
    prices = [b.unit_price for s in schedules for b in s.breaks]
    y_ticks_values = nice_ticks(max(prices, default=Decimal(0)))
    y_max = y_ticks_values[-1]

    def x(quantity: Decimal) -> float:
        return round(left + _fraction(quantity, x_max) * (right - left), 1)

    def y(price: Decimal) -> float:
        return round(bottom - _fraction(price, y_max) * (bottom - top), 1)

    def mark(quantity: Decimal, reached: bool = False) -> Mark:
        return Mark(quantity, x(quantity), _anchor(x(quantity), left, right), reached)

    lines = tuple(_step_line(s, x_max, x, y) for s in schedules if s.breaks)
    return PriceChart(
        width=width, height=height, left=left, right=right, top=top, bottom=bottom,
        x_ticks=tuple(Tick(v, x(v)) for v in x_ticks_values),
        y_ticks=tuple(Tick(v, y(v)) for v in y_ticks_values) if lines else (),
        lines=lines,
        thresholds=tuple(mark(t, pooled is not None and pooled >= t) for t in thresholds),
        pooled=None if pooled is None else mark(pooled))


def _step_line(schedule: Schedule, x_max: Decimal, x: _Scale, y: _Scale) -> StepLine:
    breaks = sorted(schedule.breaks, key=lambda b: b.from_quantity)
    end = x_max if schedule.capacity is None else min(schedule.capacity, x_max)
    steps = []
    for index, price_break in enumerate(breaks):
        start = min(price_break.from_quantity, end)
        stop = breaks[index + 1].from_quantity if index + 1 < len(breaks) else end
        stop = max(start, min(stop, end))
        steps.append(Step(start, stop, price_break.unit_price, x(start), x(stop),
                          y(price_break.unit_price)))
    points: list[tuple[float, float]] = []
    for step in steps:
        points += [(step.x1, step.y), (step.x2, step.y)]
    return StepLine(label=schedule.label, steps=tuple(steps),
                    points=" ".join(f"{px:g},{py:g}" for px, py in points))


class _Scale(Protocol):
    def __call__(self, value: Decimal, /) -> float: ...


def nice_ticks(maximum: Decimal, count: int = 5) -> tuple[Decimal, ...]:
    """Round values from 0 up to the first at or above ``maximum``, about ``count`` steps
    (steps of 1, 2 or 5 times a power of ten); (0, 1) when there is nothing to scale."""
    if maximum <= 0:
        return (Decimal(0), Decimal(1))
    raw = maximum / count
    base = Decimal(1).scaleb(raw.adjusted())
    step = next(m * base for m in (Decimal(1), Decimal(2), Decimal(5), Decimal(10))
                if m * base >= raw)
    steps = math.ceil(maximum / step)
    return tuple(_tidy(step * i) for i in range(steps + 1))


def _tidy(value: Decimal) -> Decimal:
    """1E+3 as 1000, 0.50 as 0.5: the form people write."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def _fraction(value: Decimal, maximum: Decimal) -> float:
    """Where ``value`` falls between 0 and ``maximum``, kept within 0..1."""
    return min(1.0, max(0.0, float(value / maximum)))


def _anchor(x: float, low: float, high: float) -> Anchor:
    if x - low < LABEL_ROOM:
        return "start"
    if high - x < LABEL_ROOM:
        return "end"
    return "middle"
