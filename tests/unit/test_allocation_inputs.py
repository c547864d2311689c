"""Reading an allocation input: malformed fields are named by path; equal inputs digest alike."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from marketplace.allocation import AllocationInputError, parse_input

pytestmark = pytest.mark.unit


def a_document() -> dict[str, Any]:
    """A well-formed input: two buyers, a plain bid and a tiered bid with delivery costs."""
    return {
        "currency": "JPY", "unit": "kg",
        "buyers": [{"id": "a", "quantity": "500", "max_unit_price": "120", "region": "kiryu"},
                   {"id": "b", "quantity": "300", "max_unit_price": None, "region": "ota"}],
        "bids": [{"id": "s1", "capacity": "1000", "min_quantity": "0",
                  "tiers": [{"min_quantity": "0", "unit_price": "100"}]},
                 {"id": "s2", "capacity": "1000", "min_quantity": "100",
                  "tiers": [{"min_quantity": "0", "unit_price": "105"},
                            {"min_quantity": "500", "unit_price": "95"}],
                  "delivery_cost": {"kiryu": "5", "ota": "0"}}],
        "options": {"max_suppliers": None},
    }


def changed(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = a_document()
    change(document)
    return document


def test_a_well_formed_document_is_read() -> None:
    document = a_document()

    problem = parse_input(document)

    assert [b.id for b in problem.buyers] == ["a", "b"]
    assert problem.bids[1].tiers[1].unit_price == 95
    assert problem.bids[1].delivery_cost == {"kiryu": Decimal(5), "ota": Decimal(0)}


@pytest.mark.parametrize(("document", "message"), [
    pytest.param([], "the input: must be an object", id="not an object"),
    pytest.param(changed(lambda d: d.pop("buyers")), "buyers: must be a list",
                 id="missing buyers list"),
    pytest.param(changed(lambda d: d["buyers"][0].update(quantity="lots")),
                 "buyers[0].quantity: the quantity 'lots' is not a number",
                 id="non-numeric quantity"),
    pytest.param(changed(lambda d: d["buyers"][1].update(quantity="-5")),
                 "buyers[1].quantity: the quantity must be more than zero, not -5",
                 id="negative quantity"),
    pytest.param(changed(lambda d: d["bids"][1]["tiers"][0].update(unit_price="cheap")),
                 "bids[1].tiers[0].unit_price: the unit price 'cheap' is not a number",
                 id="non-numeric price"),
    pytest.param(changed(lambda d: d["bids"][1]["tiers"][1].update(min_quantity="0")),
                 "bids[1].tiers: list the tiers by strictly rising min_quantity",
                 id="tiers not rising"),
    pytest.param(changed(lambda d: d["bids"][1]["tiers"][1].update(unit_price="110")),
                 "bids[1].tiers: the tier from 500 costs more per unit than the one before",
                 id="price rising with volume"),
    pytest.param(changed(lambda d: d["buyers"][1].update(id="a")),
                 "buyers[1].id: 'a' appears twice", id="duplicate buyer id"),
    pytest.param(changed(lambda d: d.update(options={"max_suppliers": 0})),
                 "options.max_suppliers: 0 is not a whole number of suppliers from 1",
                 id="max_suppliers 0"),
    pytest.param(changed(lambda d: d["bids"][0].update(min_quantity="1500")),
                 "bids[0].min_quantity: the minimum quantity 1500 is more than the capacity 1000",
                 id="min_quantity above capacity"),
    pytest.param(changed(lambda d: d["bids"][0].update(
        members=[{"id": "m1", "share": "600"}, {"id": "m2", "share": "300"}])),
                 "bids[0].capacity: the capacity 1000 is more than the members' shares add up "
                 "to (900)", id="consortium capacity above its shares"),
    pytest.param(changed(lambda d: d["bids"][0].update(
        members=[{"id": "m1", "share": "600"}, {"id": "m1", "share": "400"}])),
                 "bids[0].members[1].id: 'm1' appears twice", id="duplicate member id"),
    pytest.param(changed(lambda d: d["buyers"][0].update(max_price="300")),
                 "buyers[0]: unknown field 'max_price'; the fields are id, max_unit_price, "
                 "quantity, region", id="misspelt field"),
    pytest.param(changed(lambda d: d.update(option={})),
                 "the input: unknown field 'option'", id="misspelt top-level field"),
])
def test_a_malformed_document_is_refused_naming_the_field(document: Any, message: str) -> None:
    with pytest.raises(AllocationInputError) as refused:
        parse_input(document)

    assert str(refused.value).startswith(message)


def test_a_field_error_is_a_rule_violation_with_a_stable_code() -> None:
    document = changed(lambda d: d["buyers"][0].update(quantity="lots"))

    with pytest.raises(AllocationInputError, match=re.escape("buyers[0].quantity")) as refused:
        parse_input(document)

    assert refused.value.code == "allocation_input"


def test_equal_inputs_written_differently_have_one_digest() -> None:
    plain = a_document()
    written_otherwise = changed(lambda d: (
        d["buyers"][0].update(quantity="500.0", max_unit_price="120.00"),
        d["buyers"][1].update(quantity=300),
        d["bids"][1].update(delivery_cost={"ota": "0.0", "kiryu": "5.00"})))

    digests = {parse_input(document).digest for document in (plain, written_otherwise)}

    assert len(digests) == 1
    assert next(iter(digests)).startswith("sha256:")


def test_the_digest_changes_when_a_price_changes() -> None:
    cheaper = changed(lambda d: d["bids"][1]["tiers"][1].update(unit_price="94.99"))

    before, after = parse_input(a_document()).digest, parse_input(cheaper).digest

    assert before != after


def test_the_canonical_form_reads_back_to_the_same_input() -> None:
    problem = parse_input(a_document())

    again = parse_input(copy.deepcopy(problem.as_json()))

    assert again == problem
    assert again.digest == problem.digest
