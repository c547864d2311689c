import re
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.domain.bids import (
    Bid,
    BidTerms,
    CapacityMissingError,
    ConsortiumLeadWithoutShareError,
    ConsortiumTooLargeError,
    ConsortiumTooSmallError,
    FirstPriceBreakAboveMinimumError,
    MinimumAboveCapacityError,
    PriceBreakAboveCapacityError,
    PriceBreaksNotRisingError,
    PriceRisesWithVolumeError,
    TierSchedule,
    TierScheduleEmptyError,
    TooManyPriceBreaksError,
    ValidityDateInvalidError,
    consortium_shares,
)
from marketplace.domain.items import QuantityNotPositiveError
from marketplace.domain.sealed_round import LeadTimeInvalidError

LEAD, MEMBER, OTHER = UUID(int=1), UUID(int=2), UUID(int=3)


def tiers(*pairs: tuple[object, object]) -> list[dict[str, object]]:
    return [{"from_quantity": q, "unit_price": p} for q, p in pairs]


def terms(**overrides: Any) -> BidTerms:
    fields: dict[str, Any] = {"tiers": tiers((100, 200), (1000, 180)), "capacity": 2000,
                              "minimum_quantity": 100, "lead_time_days": 14,
                              "valid_until": "2026-12-31"}
    fields.update(overrides)
    return BidTerms.create(**fields)


def a_bid(shares: dict[UUID, Decimal] | None = None, accepted: frozenset[UUID] = frozenset(),
          **overrides: Any) -> Bid:
    bid_terms = terms(capacity=None, shares=shares, **overrides) if shares else terms(**overrides)
    return Bid(uuid4(), LEAD, bid_terms, shares or {}, accepted=accepted)


# -- tier schedules -------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [[], None])
def test_a_schedule_prices_at_least_one_quantity(raw: object) -> None:
    with pytest.raises(TierScheduleEmptyError, match="at least one price break"):
        TierSchedule.create(raw)


def test_a_price_break_without_its_price_is_rejected() -> None:
    with pytest.raises(TierScheduleEmptyError, match=r"from_quantity.*unit_price"):
        TierSchedule.create([{"from_quantity": 10}])


def test_ten_price_breaks_are_allowed_but_eleven_are_too_many() -> None:
    ten = tiers(*[(i * 10, 100 - i) for i in range(10)])

    assert len(TierSchedule.create(ten).breaks) == 10
    with pytest.raises(TooManyPriceBreaksError, match="11 price breaks given; keep at most 10"):
        TierSchedule.create(tiers(*[(i * 10, 100 - i) for i in range(11)]))


@pytest.mark.parametrize("second", [100, 50])
def test_thresholds_must_strictly_rise(second: int) -> None:
    with pytest.raises(PriceBreaksNotRisingError, match=f"from {second} follows the one from 100"):
        TierSchedule.create(tiers((100, 200), (second, 190)))


def test_a_larger_award_may_not_cost_more_per_unit() -> None:
    with pytest.raises(PriceRisesWithVolumeError, match="210 from 500 is higher than 200"):
        TierSchedule.create(tiers((100, 200), (500, 210)))


def test_equal_prices_across_breaks_are_allowed() -> None:
    schedule = TierSchedule.create(tiers((100, 200), (500, 200)))

    assert [b.unit_price for b in schedule.breaks] == [200, 200]


def test_the_first_break_may_start_from_zero_meaning_any_quantity() -> None:
    schedule = TierSchedule.create(tiers((0, 250)))

    assert schedule.price_for(Decimal("0.001")) == 250


def test_a_price_break_from_a_negative_quantity_is_rejected() -> None:
    with pytest.raises(QuantityNotPositiveError, match="price break quantity"):
        TierSchedule.create(tiers((-1, 250)))


def test_below_the_first_break_there_is_no_price() -> None:
    schedule = TierSchedule.create(tiers((100, 200), (1000, 180)))

    assert schedule.price_for(Decimal("99.999")) is None


@pytest.mark.parametrize(("awarded", "price"), [
    ("100", 200), ("999.999", 200), ("1000", 180), ("5000", 180),
])
def test_every_unit_costs_the_price_of_the_tier_the_award_reaches(awarded: str,
                                                                  price: int) -> None:
    schedule = TierSchedule.create(tiers((100, 200), (1000, 180)))

    assert schedule.price_for(Decimal(awarded)) == price


@st.composite
def schedules(draw: st.DrawFn) -> TierSchedule:
    steps = draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=10))
    drops = draw(st.lists(st.integers(0, 50), min_size=len(steps), max_size=len(steps)))
    starts = [sum(steps[: i + 1]) for i in range(len(steps))]
    prices = [10_000 - sum(drops[: i + 1]) for i in range(len(drops))]
    return TierSchedule.create(tiers(*zip(starts, prices, strict=True)))


@given(schedules(), st.integers(0, 200_000), st.integers(0, 200_000))
def test_a_larger_award_never_costs_more_per_unit(schedule: TierSchedule, a: int,
                                                  b: int) -> None:
    smaller, larger = sorted((Decimal(a), Decimal(b)))

    small_price, large_price = schedule.price_for(smaller), schedule.price_for(larger)

    if small_price is not None:
        assert large_price is not None
        assert large_price <= small_price


@given(schedules())
def test_a_schedule_survives_its_event_data(schedule: TierSchedule) -> None:
    assert TierSchedule.from_event_data(schedule.as_event_data()) == schedule


# -- bid terms ------------------------------------------------------------------------------


def test_a_bid_alone_states_its_capacity() -> None:
    with pytest.raises(CapacityMissingError, match="state the capacity"):
        terms(capacity=None)


def test_a_minimum_above_the_capacity_is_rejected_with_both_numbers() -> None:
    with pytest.raises(MinimumAboveCapacityError, match=r"minimum quantity 300 .* capacity 200"):
        terms(tiers=tiers((100, 200)), capacity=200, minimum_quantity=300)


def test_every_quantity_the_bid_accepts_has_a_price() -> None:
    with pytest.raises(FirstPriceBreakAboveMinimumError, match=r"from 50 .* starts at 100"):
        terms(minimum_quantity=50)


def test_a_price_break_the_supplier_could_never_reach_is_rejected() -> None:
    with pytest.raises(PriceBreakAboveCapacityError, match="from 1000 is above the capacity 900"):
        terms(capacity=900)


def test_a_consortium_capacity_is_the_sum_of_its_shares() -> None:
    shares = {LEAD: Decimal(600), MEMBER: Decimal(500)}

    bid_terms = terms(capacity=None, shares=shares)

    assert bid_terms.capacity is None
    with pytest.raises(PriceBreakAboveCapacityError, match="capacity 900"):
        terms(capacity=None, shares={LEAD: Decimal(400), MEMBER: Decimal(500)})


@pytest.mark.parametrize("days", [0, "365", " 30 "])
def test_a_lead_time_is_a_whole_number_of_days_up_to_a_year(days: object) -> None:
    assert terms(lead_time_days=days).lead_time_days == int(str(days))


@pytest.mark.parametrize("days", [-1, 366, 1.5, "two weeks", None])
def test_any_other_lead_time_is_rejected_with_the_allowed_range(days: object) -> None:
    given = re.escape(repr(days))

    with pytest.raises(LeadTimeInvalidError, match=rf"{given} must be .* from 0 to 365"):
        terms(lead_time_days=days)


def test_a_validity_date_is_read_from_iso_text_or_taken_as_a_date() -> None:
    assert terms(valid_until=" 2027-01-15 ").valid_until == date(2027, 1, 15)
    assert terms(valid_until=date(2027, 1, 15)).valid_until == date(2027, 1, 15)


@pytest.mark.parametrize("text", ["31/12/2026", "2026-02-30", "tomorrow"])
def test_an_unreadable_validity_date_is_rejected_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValidityDateInvalidError, match="YYYY-MM-DD"):
        terms(valid_until=text)


# -- consortium shares ----------------------------------------------------------------------


def test_a_bid_alone_has_no_shares() -> None:
    assert consortium_shares(LEAD, None) == {}


def test_shares_are_read_as_quantities() -> None:
    assert consortium_shares(LEAD, {LEAD: "600", MEMBER: 500.5}) == {
        LEAD: Decimal(600), MEMBER: Decimal("500.5")}


def test_the_lead_states_its_own_share() -> None:
    with pytest.raises(ConsortiumLeadWithoutShareError, match="your own capacity share"):
        consortium_shares(LEAD, {MEMBER: 500, OTHER: 500})


def test_a_consortium_of_the_lead_alone_is_too_small() -> None:
    with pytest.raises(ConsortiumTooSmallError, match="at least one member besides its lead"):
        consortium_shares(LEAD, {LEAD: 500})


def test_a_consortium_has_at_most_ten_members() -> None:
    ten = {LEAD: 1, **{UUID(int=i): 1 for i in range(10, 19)}}

    assert len(consortium_shares(LEAD, ten)) == 10
    with pytest.raises(ConsortiumTooLargeError, match=r"11 members named; .* at most 10"):
        consortium_shares(LEAD, {**ten, UUID(int=99): 1})


@pytest.mark.parametrize("share", [0, -5])
def test_every_share_is_positive(share: int) -> None:
    with pytest.raises(QuantityNotPositiveError, match="capacity share"):
        consortium_shares(LEAD, {LEAD: 500, MEMBER: share})


# -- bids -----------------------------------------------------------------------------------


def test_a_bid_alone_counts_with_its_stated_capacity() -> None:
    bid = a_bid()

    assert bid.counts
    assert bid.capacity == 2000
    assert bid.members == {LEAD}


def test_a_consortium_counts_only_once_every_member_accepted() -> None:
    shares = {LEAD: Decimal(1200), MEMBER: Decimal(800)}

    waiting = a_bid(shares, accepted=frozenset({LEAD}))
    complete = a_bid(shares, accepted=frozenset({LEAD, MEMBER}))

    assert not waiting.counts
    assert complete.counts


def test_a_consortium_capacity_is_the_sum_of_accepted_shares_only() -> None:
    shares = {LEAD: Decimal(1200), MEMBER: Decimal(800), OTHER: Decimal("0.5")}

    bid = a_bid(shares, accepted=frozenset({LEAD, OTHER}))

    assert bid.capacity == Decimal("1200.5")
    assert bid.members == {LEAD, MEMBER, OTHER}
