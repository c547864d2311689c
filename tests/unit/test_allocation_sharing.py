"""Small clearings worked out by hand: consortia, supplier limits, delivery, cost sharing and
explanations.

Every expected number is derived in the comment above its assertions. Prices are yen per kg.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.unit.allocation_builders import a_bid, a_buyer, amounts, awarded, clear, served

pytestmark = pytest.mark.unit


# -- consortium, supplier limit, delivery ---------------------------------------------------------


def test_a_consortium_award_is_split_among_its_members_by_share() -> None:
    bids = [a_bid("group", None, (0, 100), members=[("m1", 600), ("m2", 400)])]

    result = clear([a_buyer("a", 500)], bids)

    # Capacity defaults to the shares, 1000; 500 awarded splits 600:400, so 300 and 200.
    assert awarded(result) == {"group": 500}
    assert result.supplier("group").members == (("m1", Decimal(300)), ("m2", Decimal(200)))


def test_a_consortium_award_that_does_not_divide_evenly_gives_the_rest_to_the_first() -> None:
    bids = [a_bid("group", None, (0, 100), members=[("m1", 1), ("m2", 1), ("m3", 1)])]

    result = clear([a_buyer("a", 1)], bids)

    # 1 kg in thirds to the gram: 0.333 each, and the 0.001 left over to the first member.
    assert result.supplier("group").members == (
        ("m1", Decimal("0.334")), ("m2", Decimal("0.333")), ("m3", Decimal("0.333")))


def limited_bids() -> list[dict[str, Any]]:
    return [a_bid("s1", 300, (0, 90), min_quantity=300),
            a_bid("s2", 300, (0, 95), min_quantity=200),
            a_bid("s3", 1000, (0, 120), (500, 93))]


def test_without_a_supplier_limit_the_two_cheapest_bids_share_the_demand() -> None:
    buyers = [a_buyer("a", 250), a_buyer("b", 250)]

    result = clear(buyers, limited_bids())

    # s1 300 × ¥90 + s2 200 × ¥95 = ¥46000, below s3 500 × ¥93 = ¥46500.
    assert awarded(result) == {"s1": 300, "s2": 200, "s3": 0}
    assert result.objective == 46000


def test_max_suppliers_keeps_the_clearing_to_that_many_bids() -> None:
    buyers = [a_buyer("a", 250), a_buyer("b", 250)]

    result = clear(buyers, limited_bids(), max_suppliers=1)

    # One bid must take all 500: only s3 can, at its ¥93 tier, 500 × 93 = ¥46500. Each buyer
    # pays 250 × 93 = ¥23250, less than alone from s2 (250 × ¥95 = ¥23750; s1 needs 300).
    assert awarded(result) == {"s1": 0, "s2": 0, "s3": 500}
    assert result.objective == 46500
    assert result.supplier("s1").binding == result.supplier("s2").binding == ("max_suppliers",)
    assert "at most 1 supplier(s)" in result.supplier("s1").explanation
    assert (result.buyer("a").saving, result.buyer("b").saving) == amounts(500, 500)


def test_delivery_costs_steer_each_buyer_to_the_near_supplier() -> None:
    buyers = [a_buyer("a", 200, "kiryu"), a_buyer("b", 300, "ota")]
    bids = [a_bid("s_kiryu", 1000, delivery={"kiryu": 5, "ota": 40}),
            a_bid("s_ota", 1000, delivery={"kiryu": 40, "ota": 5})]

    result = clear(buyers, bids)

    # Same ¥100 goods; delivered ¥105 from the near supplier against ¥140 from the far one.
    # a: 200 × 100 + 200 × 5 = ¥21000; b: 300 × 100 + 300 × 5 = ¥31500; in all ¥52500.
    assert [(award.buyer, award.supplier, award.quantity) for award in result.awards] == [
        ("a", "s_kiryu", Decimal(200)), ("b", "s_ota", Decimal(300))]
    a, b = result.buyer("a"), result.buyer("b")
    assert (a.delivery_amount, b.delivery_amount) == amounts(1000, 1500)
    assert (a.total, b.total) == amounts(21000, 31500)
    assert result.objective == 52500


def test_a_bid_never_delivers_to_a_region_it_does_not_list() -> None:
    buyers = [a_buyer("a", 100, "ota"), a_buyer("b", 100, "ota")]
    bids = [a_bid("s_kiryu", 1000, (0, 80), delivery={"kiryu": 0}),
            a_bid("s_any", 1000, (0, 90))]

    result = clear(buyers, bids)

    # s_kiryu is cheaper but lists only kiryu: all 200 come from s_any, 200 × ¥90 = ¥18000.
    assert awarded(result) == {"s_kiryu": 0, "s_any": 200}
    assert result.supplier("s_kiryu").binding == ("no_delivery",)
    assert result.objective == 18000


def test_a_buyer_in_a_region_no_bid_delivers_to_is_left_out() -> None:
    buyers = [a_buyer("a", 100, "kiryu"), a_buyer("c", 50, "tokyo")]
    bids = [a_bid("s", 1000, (0, 90), delivery={"kiryu": 0})]

    result = clear(buyers, bids)

    assert served(result) == {"a": None, "c": "no_delivery"}
    assert result.buyer("c").explanation == "Not served: no bid delivers to tokyo."


# -- cost sharing -------------------------------------------------------------------------------


def test_every_served_buyer_pays_the_pool_price_and_the_yen_split_adds_up_to_the_goods_cost(
        ) -> None:
    buyers = [a_buyer("a", 100), a_buyer("b", 100), a_buyer("c", 101)]
    bids = [a_bid("s", 1000, (0, 110), (300, "99.99"))]

    result = clear(buyers, bids)

    # 301 × ¥99.99 = ¥30096.99, charged as ¥30097. Shares by quantity: a and b 30097 × 100/301
    # = 9999 + 1/301 each, c 30097 × 101/301 = 10098 + 299/301. The floors add to ¥30096; the
    # one yen left goes to the largest remainder, c's: 9999 + 9999 + 10099 = 30097.
    assert result.objective == Decimal("30096.99")
    assert result.goods_cost == 30097
    assert result.pool_unit_price == Decimal("99.99")
    assert [b.goods_amount for b in result.buyers] == [9999, 9999, 10099]
    assert sum(b.goods_amount for b in result.buyers) == result.goods_cost


def test_the_leftover_yen_goes_to_the_earlier_buyer_when_remainders_tie() -> None:
    buyers = [a_buyer("a", 1), a_buyer("b", 1), a_buyer("c", 1)]
    bids = [a_bid("s", 10, (0, 200), (3, "100.33"))]

    result = clear(buyers, bids)

    # 3 × ¥100.33 = ¥300.99, charged ¥301: 100 + 1/3 each, so one yen is left and the three
    # remainders tie; the first buyer in the input pays it.
    assert [b.goods_amount for b in result.buyers] == [101, 100, 100]
    assert result.goods_cost == 301


def test_the_saving_is_the_alone_total_minus_the_pool_total() -> None:
    buyers = [a_buyer("a", 300), a_buyer("b", 200)]
    bids = [a_bid("s1", 1000, (0, 100), (500, 90)), a_bid("s2", 1000, (0, 95))]

    result = clear(buyers, bids)

    # Alone, each buys from s2 at ¥95 (s1 is ¥100 below 500): a ¥28500, b ¥19000. The pool
    # reaches ¥90: a pays ¥27000, b ¥18000. Savings ¥1500 and ¥1000, ¥2500 in all.
    assert (result.buyer("a").alone_total, result.buyer("b").alone_total) == amounts(28500, 19000)
    assert result.buyer("a").alone_from == ("s2",)
    assert (result.buyer("a").saving, result.buyer("b").saving) == amounts(1500, 1000)
    assert result.as_json()["savings"]["total"] == "2500"
    assert "the pool saves ¥1500 (5.3 %)" in result.buyer("a").explanation


def test_a_buyer_who_would_pay_less_alone_is_left_out_as_better_alone() -> None:
    buyers = [a_buyer("a", 100), a_buyer("b", 200)]
    bids = [a_bid("s_small", 100, (0, 100)), a_bid("s_big", 1000, (0, 130), (250, 105))]

    result = clear(buyers, bids)

    # Together (300): s_small 50 × ¥100 + s_big 250 × ¥105 = ¥31250, ¥104.17/kg; a's share
    # is 31250 × 100/300 = ¥10416.67, rounded up to ¥10417 (the larger remainder), more than
    # the ¥10000 it pays s_small alone. a is left out. Alone in the pool, b (200) costs
    # s_small 100 × ¥100 + s_big 100 × ¥130 = ¥23000, which is what b pays alone too.
    assert served(result) == {"a": "better_alone", "b": None}
    assert result.buyer("a").alone_total == 10000
    assert result.buyer("a").explanation == (
        "Not served: buying alone from s_small would cost ¥10000, less than the pool's ¥10417.")
    assert result.buyer("b").total == result.buyer("b").alone_total == 23000
    assert result.buyer("b").binding == ("alone_price",)


# -- explanations -------------------------------------------------------------------------------


def test_the_explanation_names_the_tier_reached_and_the_next_tier_within_reach() -> None:
    buyers = [a_buyer("a", 200), a_buyer("b", 150)]
    bids = [a_bid("s", 1000, (0, 100), (300, 90), (1000, 80))]

    result = clear(buyers, bids)

    # 350 is in the second of three tiers (from 300, ¥90); 650 more would reach ¥80.
    supplier = result.supplier("s")
    assert supplier.tier is not None
    assert (supplier.tier.min_quantity, supplier.tier.unit_price) == amounts(300, 90)
    assert supplier.binding == ("demand",)
    assert supplier.explanation.startswith("Awarded 350 kg at tier 2 of 3 (from 300 kg, ¥90/kg).")
    assert "650 kg more would have reached ¥80/kg." in supplier.explanation


def test_the_explanation_names_an_award_exactly_at_a_tier_start() -> None:
    buyers = [a_buyer("a", 300), a_buyer("b", 200)]
    bids = [a_bid("s1", 1000, (0, 100), (500, 90)), a_bid("s2", 1000, (0, 95))]

    result = clear(buyers, bids)

    # s1's 500 sits exactly at its second tier's start and is all the demand there is;
    # s2 lost on price (¥95 against the ¥90 awarded).
    assert result.supplier("s1").binding == ("tier_start", "demand")
    assert "at tier 2 of 2 (from 500 kg, ¥90/kg)" in result.supplier("s1").explanation
    assert result.supplier("s2").binding == ("price",)
    assert "¥95/kg" in result.supplier("s2").explanation
