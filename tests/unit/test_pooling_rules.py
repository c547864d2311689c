"""The pooling rules: which needs group together, on what terms, and what others may see."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from marketplace.domain.eligibility import Participant
from marketplace.domain.lot_rules import JST
from marketplace.domain.organisation import Role
from marketplace.domain.pooling import (
    LotClosesAfterNeededByError,
    PoolingCandidate,
    best_group,
    closes_in_time,
    delivers_to,
    item_key,
    normalise_specification,
    region_prefectures,
    require_close_in_time,
    round_down,
    suggested_close,
)
from marketplace.domain.prefectures import Prefecture

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)  # a Friday, 18:00 JST
DUE = date(2026, 12, 15)
GUNMA, TOCHIGI, OSAKA = (Prefecture.parse(p) for p in ("Gunma", "Tochigi", "Osaka"))


def firm(n: int, home: Prefecture = GUNMA, clusters: tuple[str, ...] = ()) -> Participant:
    return Participant(UUID(int=n), roles=frozenset({Role.BUYER}), prefecture=home,
                       clusters=frozenset(clusters))


def need(buyer: Participant, quantity: str = "500", due: date = DUE) -> PoolingCandidate:
    return PoolingCandidate(buyer, Decimal(quantity), due)


ME = firm(1)


# -- matching ---------------------------------------------------------------------------------

def test_specifications_match_across_width_case_and_spacing() -> None:
    assert normalise_specification("ＳＰＣＣ　1.0MM  Cold rolled") == "spcc 1.0mm cold rolled"
    assert item_key("steel sheet", "SPCC 1.0mm", "kg") == item_key("steel sheet", "spcc  1.0MM",
                                                                   "kg")
    assert item_key("steel sheet", "SPCC 1.0mm", "kg") != item_key("steel sheet", "SPCC 1.0mm",
                                                                   "t")


def test_a_lot_serves_a_need_only_if_it_closes_before_the_needed_by_day_in_japan() -> None:
    eve = datetime(2026, 12, 14, 14, 59, tzinfo=UTC)  # 23:59 JST the day before

    assert closes_in_time(eve, DUE)
    assert not closes_in_time(eve + timedelta(minutes=1), DUE)
    with pytest.raises(LotClosesAfterNeededByError, match="before 2026-12-15"):
        require_close_in_time(eve + timedelta(minutes=1), DUE)


def test_a_prefectures_lot_delivers_to_them_and_a_cluster_lot_to_its_regions() -> None:
    assert delivers_to(GUNMA, frozenset({GUNMA}), frozenset())
    assert not delivers_to(TOCHIGI, frozenset({GUNMA}), frozenset({"Kanto"}))
    assert delivers_to(TOCHIGI, frozenset(), frozenset({"Kanto"}))
    assert not delivers_to(OSAKA, frozenset(), frozenset({"Kanto"}))


# -- groups -----------------------------------------------------------------------------------

def test_other_buyers_needs_within_the_window_form_one_group_by_region() -> None:
    others = [need(firm(2), "300", DUE + timedelta(days=20)),
              need(firm(3), "200.5", DUE - timedelta(days=10))]

    group = best_group(need(ME), "Kanto", others)

    assert group is not None
    assert (group.other_buyers, group.others_quantity) == (2, Decimal("500.5"))
    assert group.earliest_needed_by == DUE - timedelta(days=10)
    assert group.eligibility.cluster is None
    assert group.eligibility.prefectures == region_prefectures("Kanto")
    assert group.shown_total == Decimal(500)


def test_needs_further_apart_than_the_window_do_not_group_together() -> None:
    early, late = need(firm(2), due=DUE - timedelta(days=20)), need(firm(3),
                                                                     due=DUE + timedelta(days=20))

    group = best_group(need(ME), "Kanto", [early, late])

    assert group is not None
    assert group.other_buyers == 1  # 40 days apart: one side or the other, not both
    assert group.earliest_needed_by == DUE - timedelta(days=20)  # ties go to the earlier


def test_the_window_with_most_buyers_wins_over_the_one_with_most_quantity() -> None:
    big = need(firm(2), "9000", DUE - timedelta(days=25))
    small = [need(firm(n), "10", DUE + timedelta(days=25)) for n in (3, 4)]

    group = best_group(need(ME), "Kanto", [big, *small])

    assert group is not None
    assert (group.other_buyers, group.others_quantity) == (2, Decimal(20))


def test_a_buyer_with_two_matching_needs_counts_once_and_my_own_needs_never() -> None:
    other = firm(2)

    group = best_group(need(ME), "Kanto",
                       [need(other, "100"), need(other, "50"), need(ME, "999")])

    assert group is not None
    assert (group.other_buyers, group.others_quantity) == (1, Decimal(150))
    assert group.shown_total is None  # one buyer's total is that buyer's need


def test_nobody_to_pool_with_is_no_group() -> None:
    assert best_group(need(ME), "Kanto", []) is None
    assert best_group(need(ME), "Kanto", [need(firm(2), due=DUE + timedelta(days=31))]) is None


def test_a_shared_cluster_admits_buyers_from_outside_the_region() -> None:
    me = firm(1, clusters=("ryomo-net",))
    inside, outside = firm(2, clusters=("ryomo-net",)), firm(3, OSAKA, ("ryomo-net",))

    group = best_group(need(me), "Kanto", [need(inside), need(outside)])

    assert group is not None
    assert group.other_buyers == 2
    assert (group.eligibility.cluster, group.eligibility.prefectures) == ("ryomo-net",
                                                                          frozenset())


def test_the_region_is_offered_only_to_a_buyer_at_home_in_it() -> None:
    away = firm(1, OSAKA)  # an Osaka firm delivering to Gunma could not join a Kanto lot

    assert best_group(need(away), "Kanto", [need(firm(2))]) is None


# -- terms ------------------------------------------------------------------------------------

def test_the_suggested_close_is_the_last_friday_evening_two_weeks_before_the_earliest_need(
        ) -> None:
    close = suggested_close(DUE, NOW)  # 2026-12-15 is a Tuesday; 12-01 a Tuesday too

    assert close == datetime(2026, 11, 27, 8, tzinfo=UTC)  # Friday 17:00 JST


def test_a_need_due_soon_gets_a_close_after_the_minimum_open_time_or_none() -> None:
    soon = suggested_close(date(2026, 11, 25), NOW)
    too_soon = suggested_close(date(2026, 11, 22), NOW)

    assert soon == datetime(2026, 11, 23, 8, tzinfo=UTC)  # 17:00 JST, two days on
    assert too_soon is None


def test_a_need_due_far_ahead_gets_a_close_within_the_longest_a_lot_may_stay_open() -> None:
    close = suggested_close(date(2028, 6, 1), NOW)

    assert close is not None
    assert NOW < close <= NOW + timedelta(days=365)
    in_japan = close.astimezone(JST)
    assert (in_japan.weekday(), in_japan.hour) == (4, 17)  # a Friday evening still


@pytest.mark.parametrize(("quantity", "shown"), [
    ("1234.5", "1200"), ("95.5", "95"), ("0.555", "0.55"), ("100000", "100000"), ("0", "0")])
def test_totals_are_rounded_down_to_two_significant_figures(quantity: str, shown: str) -> None:
    assert str(round_down(Decimal(quantity), 2)) == shown
