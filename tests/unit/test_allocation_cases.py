"""Small clearings worked out by hand: tiers, minimums, capacity, ties, limits, cost sharing.

Every expected number is derived in the comment above its assertions. Prices are yen per kg.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from marketplace.allocation import AllocationResult, allocate, parse_input

pytestmark = pytest.mark.unit


def a_buyer(buyer_id: str, quantity: object, region: str = "kiryu",
            max_unit_price: object = None) -> dict[str, Any]:
    return {"id": buyer_id, "quantity": str(quantity), "region": region,
            "max_unit_price": None if max_unit_price is None else str(max_unit_price)}


def a_bid(bid_id: str, capacity: object, *tiers: tuple[object, object], min_quantity: object = 0,
          delivery: dict[str, object] | None = None,
          members: list[tuple[str, object]] | None = None) -> dict[str, Any]:
    """A bid; ``tiers`` are (from quantity, unit price) pairs, one flat ¥100 tier if none."""
    bid: dict[str, Any] = {
        "id": bid_id, "min_quantity": str(min_quantity),
        "tiers": [{"min_quantity": str(start), "unit_price": str(price)}
                  for start, price in tiers or ((0, 100),)]}
    if capacity is not None:
        bid["capacity"] = str(capacity)
    if delivery is not None:
        bid["delivery_cost"] = {region: str(cost) for region, cost in delivery.items()}
    if members is not None:
        bid["members"] = [{"id": member, "share": str(share)} for member, share in members]
    return bid


def clear(buyers: list[dict[str, Any]], bids: list[dict[str, Any]],
          max_suppliers: int | None = None) -> AllocationResult:
    return allocate(parse_input({"currency": "JPY", "unit": "kg", "buyers": buyers,
                                 "bids": bids, "options": {"max_suppliers": max_suppliers}}))


def amounts(*values: int | str) -> tuple[Decimal, ...]:
    return tuple(Decimal(value) for value in values)


def awarded(result: AllocationResult) -> dict[str, Decimal]:
    return {s.id: s.quantity for s in result.suppliers}


def served(result: AllocationResult) -> dict[str, str | None]:
    """Each buyer's reason for being left out, None for the served."""
    return {b.id: b.reason for b in result.buyers}


# -- tiers and minimums ------------------------------------------------------------------------


def test_a_pool_that_reaches_a_tier_start_exactly_gets_that_tiers_price() -> None:
    buyers = [a_buyer("a", 300), a_buyer("b", 200)]
    bids = [a_bid("s1", 1000, (0, 100), (500, 90)), a_bid("s2", 1000, (0, 95))]

    result = clear(buyers, bids)

    # 300 + 200 = 500, exactly s1's second tier: 500 × ¥90 = ¥45000, below s2's 500 × ¥95.
    assert awarded(result) == {"s1": 500, "s2": 0}
    tier = result.supplier("s1").tier
    assert tier is not None
    assert tier.unit_price == 90
    assert result.objective == result.goods_cost == 45000
    # Both pay ¥90/kg: a 300 × 90 = ¥27000, b 200 × 90 = ¥18000.
    assert result.pool_unit_price == 90
    assert (result.buyer("a").total, result.buyer("b").total) == amounts(27000, 18000)
    assert all(a.unit_price == 90 for a in result.awards)


def test_a_pool_one_unit_short_of_a_tier_start_pays_the_tier_below() -> None:
    buyers = [a_buyer("a", 300), a_buyer("b", 199)]
    bids = [a_bid("s1", 1000, (0, 100), (500, 90)), a_bid("s2", 1000, (0, 95))]

    result = clear(buyers, bids)

    # 499 is short of s1's ¥90 tier, so s1 costs ¥100; s2's 499 × ¥95 = ¥47405 is cheaper.
    assert awarded(result) == {"s1": 0, "s2": 499}
    assert result.objective == 47405


def test_a_supplier_just_below_its_minimum_gets_nothing() -> None:
    buyers = [a_buyer("a", 300), a_buyer("b", 199)]
    bids = [a_bid("s1", 1000, (0, 80), min_quantity=500), a_bid("s2", 1000, (0, 100))]

    result = clear(buyers, bids)

    # Demand 499 is one below s1's minimum of 500: s2 serves it all, 499 × ¥100 = ¥49900.
    assert awarded(result) == {"s1": 0, "s2": 499}
    assert result.objective == 49900
    assert result.supplier("s1").binding == ("min_quantity",)
    assert "minimum award of 500 kg" in result.supplier("s1").explanation


def test_a_supplier_at_exactly_its_minimum_is_awarded() -> None:
    buyers = [a_buyer("a", 300), a_buyer("b", 200)]
    bids = [a_bid("s1", 1000, (0, 80), min_quantity=500), a_bid("s2", 1000, (0, 100))]

    result = clear(buyers, bids)

    # Demand 500 meets s1's minimum: 500 × ¥80 = ¥40000.
    assert awarded(result) == {"s1": 500, "s2": 0}
    assert result.objective == 40000
    assert result.supplier("s1").binding == ("min_quantity", "demand")


# -- capacity ---------------------------------------------------------------------------------


def test_the_cheapest_bid_is_filled_to_capacity_and_the_rest_comes_from_the_next() -> None:
    buyers = [a_buyer("a", 250), a_buyer("b", 150)]
    bids = [a_bid("s1", 300, (0, 110), (260, 90)), a_bid("s2", 1000, (0, 100))]

    result = clear(buyers, bids)

    # s1 is cheapest from 260 (¥90): all 300 it has, 300 × 90 = ¥27000; the other 100 of the
    # 400 come from s2, 100 × ¥100 = ¥10000. Total ¥37000, ¥92.50/kg for everyone.
    assert awarded(result) == {"s1": 300, "s2": 100}
    assert result.objective == 37000
    assert result.supplier("s1").binding == ("capacity",)
    assert "Its whole capacity was awarded." in result.supplier("s1").explanation
    assert result.pool_unit_price == Decimal("92.50")
    # a 250 × 92.5 = ¥23125, b 150 × 92.5 = ¥13875: each less than s2 alone at ¥100/kg
    # (s1 alone is ¥110/kg below 260).
    assert (result.buyer("a").total, result.buyer("b").total) == amounts(23125, 13875)


def test_demand_above_total_capacity_serves_the_most_quantity_and_leaves_the_rest() -> None:
    buyers = [a_buyer("a", 300), a_buyer("b", 400), a_buyer("c", 200)]
    bids = [a_bid("s1", 500)]

    result = clear(buyers, bids)

    # 900 wanted, 500 to be had, needs whole: of the sets that fit ({a} 300, {b} 400, {c} 200,
    # {a, c} 500; {a, b} and {b, c} do not), {a, c} serves most: 500 × ¥100 = ¥50000.
    assert result.status == "optimal"
    assert served(result) == {"a": None, "b": "capacity", "c": None}
    assert result.served_quantity == 500
    assert result.objective == 50000
    assert result.buyer("b").total == 0
    assert "could not serve every need in full" in result.buyer("b").explanation


def test_the_most_quantity_is_served_even_when_a_smaller_need_would_cost_less() -> None:
    buyers = [a_buyer("a", 300, "kiryu"), a_buyer("b", 400, "ota")]
    bids = [a_bid("s", 400, delivery={"kiryu": 0, "ota": 30})]

    result = clear(buyers, bids)

    # Only one of them fits in 400. a costs 300 × ¥100 = ¥30000, b 400 × (¥100 + ¥30) =
    # ¥52000, but b is the more quantity, so b is served.
    assert served(result) == {"a": "capacity", "b": None}
    assert result.objective == 52000
    b = result.buyer("b")
    assert (b.goods_amount, b.delivery_amount) == amounts(40000, 12000)


# -- ties -------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [("s1", "s2"), ("s2", "s1")])
def test_between_identical_bids_the_earlier_in_the_input_wins(order: tuple[str, str]) -> None:
    bids = [a_bid(bid_id, 200, (0, 100), (50, 90), (150, 80)) for bid_id in order]

    result = clear([a_buyer("a", 130), a_buyer("b", 70)], bids)

    # Either bid alone serves the 200 at its ¥80 tier, 200 × 80 = ¥16000 (split, both would
    # pay more); the one listed first gets it all, whichever of the two that is.
    first, second = order
    assert awarded(result) == {first: 200, second: 0}
    assert result.objective == 16000


@pytest.mark.parametrize("order", [("s1", "s2", "s3"), ("s3", "s2", "s1")])
def test_identical_bids_fill_the_earlier_to_capacity_first(order: tuple[str, ...]) -> None:
    bids = [a_bid(bid_id, 200) for bid_id in order]

    result = clear([a_buyer("a", 250)], bids)

    # 250 at ¥100 whichever way: the first listed takes its 200, the second the other 50.
    assert awarded(result) == {order[0]: 200, order[1]: 50, order[2]: 0}
    assert result.objective == 25000


@pytest.mark.parametrize("order", [("a", "b", "c"), ("c", "b", "a")])
def test_between_identical_buyers_the_earlier_is_served_when_only_one_fits(
        order: tuple[str, ...]) -> None:
    buyers = [a_buyer(buyer_id, 100) for buyer_id in order]

    result = clear(buyers, [a_bid("s", 150)])

    # 150 fits one 100 kg need, not two; the buyer listed first gets it.
    first, second, third = order
    assert served(result) == {first: None, second: "capacity", third: "capacity"}


# -- max prices -------------------------------------------------------------------------------


def test_every_max_price_below_every_bid_leaves_everyone_out_and_the_clearing_infeasible() -> None:
    buyers = [a_buyer("a", 300, max_unit_price=90), a_buyer("b", 200, "ota", max_unit_price="95.5")]
    bids = [a_bid("s1", 1000, (0, 100)), a_bid("s2", 1000, (0, 96), delivery={"ota": 5})]

    result = clear(buyers, bids)

    # The lowest delivered price is ¥100 for a (s1) and ¥100 for b (s1; s2 is 96 + 5 = 101),
    # above ¥90 and ¥95.50: nobody can be served.
    assert result.status == "infeasible"
    assert served(result) == {"a": "above_max_price", "b": "above_max_price"}
    assert result.served_quantity == result.total_cost == result.objective == 0
    assert result.awards == ()
    assert "¥100/kg delivered to ota" in result.buyer("b").explanation


def test_a_max_price_met_exactly_keeps_the_buyer_and_is_named_as_binding() -> None:
    buyers = [a_buyer("a", 200, max_unit_price=90), a_buyer("b", 150)]
    bids = [a_bid("s", 1000, (0, 100), (300, 90), (1000, 80))]

    result = clear(buyers, bids)

    # 350 reaches the ¥90 tier: a pays 200 × 90 = ¥18000, exactly its max 200 × ¥90.
    assert served(result) == {"a": None, "b": None}
    assert result.buyer("a").total == 18000
    assert result.buyer("a").binding == ("max_price",)


def test_a_max_price_just_exceeded_by_the_pool_price_leaves_that_buyer_out() -> None:
    buyers = [a_buyer("a", 200, max_unit_price="89.99"), a_buyer("b", 150)]
    bids = [a_bid("s", 1000, (0, 100), (300, 90), (1000, 80))]

    result = clear(buyers, bids)

    # Together, ¥90/kg: a would pay ¥18000, above 200 × ¥89.99 = ¥17998, so a is left out
    # (¥80 at 1000 kg is within its max, so it was not excluded before solving). Alone in the
    # pool, b's 150 is below the ¥90 tier: 150 × ¥100 = ¥15000.
    assert served(result) == {"a": "max_price", "b": None}
    assert "¥90.00/kg delivered, above the max price ¥89.99" in result.buyer("a").explanation
    assert result.buyer("b").total == 15000
    assert result.objective == 15000


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
