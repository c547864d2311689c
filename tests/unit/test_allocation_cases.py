"""Small clearings worked out by hand: tiers, minimums, capacity, ties and max prices.

Every expected number is derived in the comment above its assertions. Prices are yen per kg.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.allocation_builders import a_bid, a_buyer, amounts, awarded, clear, served

pytestmark = pytest.mark.unit


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
