"""The geometry of the server-drawn charts: threshold bars and price-volume step charts."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from marketplace.readmodels.lot_queries import PriceBreakView
from web.charts import Schedule, nice_ticks, price_chart, threshold_bar


def breaks(*pairs: tuple[int, int]) -> list[PriceBreakView]:
    return [PriceBreakView(Decimal(q), Decimal(p)) for q, p in pairs]


def points(line_points: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in line_points.split())]


def test_the_bar_fills_in_proportion_to_the_largest_threshold() -> None:
    bar = threshold_bar(Decimal(800), [Decimal(1000), Decimal(4000)], width=400)

    assert bar.fill_width == 80.0
    assert [(m.x, m.reached) for m in bar.marks] == [(100.0, False), (400.0, False)]
    assert bar.marks[-1].anchor == "end"


def test_a_pool_beyond_every_threshold_fills_the_bar_and_reaches_every_mark() -> None:
    bar = threshold_bar(Decimal(6000), [Decimal(1000), Decimal(5000)], width=600)

    assert bar.fill_width == 600.0
    assert all(m.reached and 0 <= m.x <= 600 for m in bar.marks)


def test_a_bar_without_thresholds_or_pooling_is_empty_and_divides_by_nothing() -> None:
    bar = threshold_bar(Decimal(0), [])

    assert bar.fill_width == 0.0
    assert bar.marks == ()


def test_a_tier_schedule_steps_down_and_to_the_right_only() -> None:
    chart = price_chart([Schedule("A", breaks((100, 200), (1000, 180), (3000, 150)),
                                  capacity=Decimal(4000))],
                        pooled=Decimal(2500), thresholds=[Decimal(1000), Decimal(5000)])

    line = points(chart.lines[0].points)
    assert all(x2 >= x1 for (x1, _), (x2, _) in pairwise(line))
    assert all(y2 >= y1 for (_, y1), (_, y2) in pairwise(line))
    steps = chart.lines[0].steps
    assert [s.unit_price for s in steps] == [200, 180, 150]
    assert [(int(s.from_quantity), int(s.to_quantity)) for s in steps] == [
        (100, 1000), (1000, 3000), (3000, 4000)]
    assert steps[0].y < steps[1].y < steps[2].y


def test_every_point_and_mark_lies_inside_the_plot_box() -> None:
    chart = price_chart([Schedule("A", breaks((0, 95), (800, 90)))], pooled=Decimal(12000),
                        thresholds=[Decimal(500), Decimal(1000)])

    xs = [x for line in chart.lines for x, _ in points(line.points)]
    ys = [y for line in chart.lines for _, y in points(line.points)]
    marks = [*chart.thresholds, chart.pooled]
    assert all(chart.left <= x <= chart.right for x in xs + [m.x for m in marks if m])
    assert all(chart.top <= y <= chart.bottom for y in ys)
    assert chart.pooled is not None
    assert chart.pooled.x < chart.right
    assert [m.reached for m in chart.thresholds] == [True, True]


def test_a_schedule_ends_at_its_capacity_or_at_the_axis_end() -> None:
    chart = price_chart([Schedule("small", breaks((100, 200)), capacity=Decimal(500)),
                         Schedule("large", breaks((100, 190)), capacity=Decimal(10**6))],
                        pooled=Decimal(1000))

    small, large = chart.lines
    assert small.steps[-1].to_quantity == 500
    assert large.steps[-1].x2 == chart.right


def test_before_close_the_chart_marks_thresholds_and_pooling_without_any_price() -> None:
    chart = price_chart([], pooled=Decimal(800), thresholds=[Decimal(1000), Decimal(5000)])

    assert not chart.has_prices
    assert chart.y_ticks == ()
    assert [m.quantity for m in chart.thresholds] == [1000, 5000]
    assert chart.pooled is not None
    assert chart.left < chart.pooled.x < chart.thresholds[0].x
    assert not chart.is_empty


def test_with_no_data_at_all_the_chart_is_empty_but_well_formed() -> None:
    chart = price_chart([], pooled=None)

    assert chart.is_empty
    assert chart.lines == ()
    assert chart.thresholds == ()
    assert chart.pooled is None
    assert [t.value for t in chart.x_ticks] == [0, 1]


def test_axis_ticks_are_round_numbers_from_zero_past_the_largest_value() -> None:
    assert nice_ticks(Decimal(480)) == tuple(Decimal(v) for v in (0, 100, 200, 300, 400, 500))
    assert nice_ticks(Decimal(6000)) == tuple(Decimal(v) for v in (0, 2000, 4000, 6000))
    assert nice_ticks(Decimal("0.9"))[-1] >= Decimal("0.9")
    assert all(str(t) == str(int(t)) for t in nice_ticks(Decimal(10**6)))
