"""The savings chart's geometry: bars in proportion, the largest amount across the plot."""

from decimal import Decimal

from web.savings_chart import (
    LABEL_WIDTH,
    PLOT_WIDTH,
    SavingsEntry,
    axis_ticks,
    savings_chart,
)


def entry(label: str, alone: str, pool: str) -> SavingsEntry:
    return SavingsEntry(label, Decimal(alone), Decimal(pool))


def test_the_largest_amount_spans_the_plot_and_the_others_are_in_proportion() -> None:
    entries = [entry("A", "160000", "144000"), entry("B", "80000", "72000")]

    chart = savings_chart(entries)

    first, second = chart.rows
    assert chart.largest == Decimal(160000)
    assert first.alone_bar.width == PLOT_WIDTH
    assert first.pool_bar.width == Decimal(PLOT_WIDTH) * 144 / 160
    assert second.alone_bar.width == Decimal(PLOT_WIDTH) / 2
    assert {first.alone_bar.x, first.pool_bar.x, second.alone_bar.x} == {LABEL_WIDTH}


def test_the_saving_is_drawn_from_the_end_of_the_pool_bar_to_the_end_of_the_alone_bar() -> None:
    chart = savings_chart([entry("A", "200", "150")])

    [row] = chart.rows

    assert row.saving_bar is not None
    assert row.saving_bar.x == row.pool_bar.x + row.pool_bar.width
    assert row.saving_bar.x + row.saving_bar.width == row.alone_bar.x + row.alone_bar.width
    assert row.saving_bar.y == row.pool_bar.y
    assert row.entry.saving == Decimal(50)
    assert row.value_x > row.alone_bar.x + row.alone_bar.width


def test_a_buyer_that_saves_nothing_has_two_equal_bars_and_no_saving_bar() -> None:
    chart = savings_chart([entry("A", "1000", "1000"), entry("B", "2000", "1500")])

    zero = chart.rows[0]

    assert zero.saving_bar is None
    assert zero.entry.saving == 0
    assert zero.alone_bar.width == zero.pool_bar.width == Decimal(PLOT_WIDTH) / 2


def test_a_chart_without_buyers_has_no_bars_and_an_axis_at_zero() -> None:
    chart = savings_chart([])

    assert chart.rows == []
    assert chart.largest == 0
    assert [tick.amount for tick in chart.ticks] == [0]
    assert chart.height > 0
    assert chart.view_box == f"0 0 {chart.width} {chart.height}"


def test_bars_of_one_buyer_do_not_overlap_the_next_buyers() -> None:
    chart = savings_chart([entry("A", "3", "2"), entry("B", "3", "2"), entry("C", "3", "1")])

    bottoms = [row.pool_bar.y + row.pool_bar.height for row in chart.rows]
    tops = [row.alone_bar.y for row in chart.rows]

    assert all(bottom < top for bottom, top in zip(bottoms, tops[1:], strict=False))
    assert bottoms[-1] < chart.axis_y < chart.height


def test_axis_ticks_take_round_steps_up_to_the_largest_amount() -> None:
    assert axis_ticks(Decimal(160000)) == [0, 50000, 100000, 150000]
    assert axis_ticks(Decimal(231000)) == [0, 100000, 200000]
    assert axis_ticks(Decimal(8)) == [0, 2, 4, 6, 8]
    assert axis_ticks(Decimal(0)) == [0]


def test_ticks_lie_on_the_same_scale_as_the_bars() -> None:
    chart = savings_chart([entry("A", "200000", "150000")])

    by_amount = {tick.amount: tick.x for tick in chart.ticks}

    assert by_amount[Decimal(0)] == LABEL_WIDTH
    assert by_amount[Decimal(150000)] == LABEL_WIDTH + chart.rows[0].pool_bar.width
