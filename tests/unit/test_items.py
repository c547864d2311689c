from decimal import Decimal

import pytest

from marketplace.domain.items import (
    AmountInvalidError,
    CategoryInvalidError,
    Currency,
    ItemSpec,
    PriceNotPositiveError,
    QuantityNotPositiveError,
    SpecificationInvalidError,
    Unit,
    UnknownUnitError,
    UnsupportedCurrencyError,
    quantity,
    unit_price,
)


def an_item(**overrides: object) -> ItemSpec:
    fields: dict[str, object] = {"category": "Steel sheet", "specification": "SPCC 1.0 mm",
                                 "unit": "kg"}
    fields.update(overrides)
    return ItemSpec.create(**fields)


# -- quantities -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("12", Decimal(12)), (" 12.5 ", Decimal("12.5")), ("0.001", Decimal("0.001")),
    (7, Decimal(7)), (Decimal("3.250"), Decimal("3.25")),
])
def test_a_positive_quantity_is_read_as_a_decimal(text: object, expected: Decimal) -> None:
    assert quantity(text) == expected


def test_a_float_is_read_as_written_not_as_its_binary_neighbour() -> None:
    assert quantity(1.1) == Decimal("1.1")


@pytest.mark.parametrize("text", ["1E+3", "1e3", "1000.000", 1000.0])
def test_a_thousand_is_kept_in_the_form_people_write(text: object) -> None:
    assert str(quantity(text)) == "1000"


def test_a_zero_quantity_is_rejected_with_the_value_given() -> None:
    with pytest.raises(QuantityNotPositiveError, match="more than zero, not 0"):
        quantity("0")


def test_a_zero_quantity_is_accepted_where_zero_means_any_quantity() -> None:
    assert quantity("0", allow_zero=True) == 0


def test_a_negative_zero_is_kept_as_a_plain_zero() -> None:
    assert str(quantity("-0", allow_zero=True)) == "0"


def test_a_negative_quantity_is_rejected_with_the_value_given() -> None:
    with pytest.raises(QuantityNotPositiveError, match="not -5"):
        quantity("-5")


def test_a_quantity_finer_than_a_gram_is_rejected_and_names_the_places() -> None:
    with pytest.raises(AmountInvalidError, match=r"1\.0005 has more than 3 decimal places"):
        quantity("1.0005")


@pytest.mark.parametrize("text", ["twelve", "", "1,000", None, "1/2"])
def test_text_that_is_not_a_number_is_rejected(text: object) -> None:
    with pytest.raises(AmountInvalidError, match="is not a number"):
        quantity(text)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e12", "1e15"])
def test_infinite_or_absurdly_large_amounts_are_rejected(text: str) -> None:
    with pytest.raises(AmountInvalidError, match="not a usable number"):
        quantity(text)


def test_the_error_names_what_was_being_counted() -> None:
    with pytest.raises(QuantityNotPositiveError, match="the capacity must be more than zero"):
        quantity("0", "capacity")


# -- unit prices ----------------------------------------------------------------------------


def test_a_unit_price_may_have_hundredths_of_a_yen() -> None:
    assert unit_price("182.50") == Decimal("182.5")


def test_a_unit_price_finer_than_a_hundredth_is_rejected() -> None:
    with pytest.raises(AmountInvalidError, match=r"182\.505 has more than 2 decimal places"):
        unit_price("182.505")


@pytest.mark.parametrize("text", ["0", "-1", "0.00"])
def test_a_unit_price_of_zero_or_less_is_rejected(text: str) -> None:
    with pytest.raises(PriceNotPositiveError, match=f"not {text}"):
        unit_price(text)


def test_a_float_price_is_read_as_written() -> None:
    assert unit_price(0.1) == Decimal("0.1")


# -- units and currency ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("kg", Unit.KG), ("KG", Unit.KG), ("ｋｇ", Unit.KG), (" t ", Unit.TONNE),
    ("l", Unit.LITRE), ("PCS", Unit.PIECE), ("m²", Unit.SQUARE_METRE),
])
def test_a_unit_is_read_whatever_its_case_or_width(text: str, expected: Unit) -> None:
    assert Unit.parse(text) is expected


def test_an_unknown_unit_is_rejected_with_the_units_we_trade_in() -> None:
    with pytest.raises(UnknownUnitError, match=r"'lbs' is not a unit.*kg, t, pcs"):
        Unit.parse("lbs")


@pytest.mark.parametrize("text", ["JPY", "jpy", " Jpy "])
def test_yen_is_the_currency_the_marketplace_settles_in(text: str) -> None:
    assert Currency.parse(text) is Currency.JPY


@pytest.mark.parametrize("text", ["USD", "円", ""])
def test_any_other_currency_is_rejected_and_yen_is_suggested(text: str) -> None:
    with pytest.raises(UnsupportedCurrencyError, match="use JPY"):
        Currency.parse(text)


# -- item specs -----------------------------------------------------------------------------


def test_an_item_spec_is_normalised_so_that_lots_match_on_category() -> None:
    item = an_item(category="  ＳＴＥＥＬ   Sheet ", specification=" SPCC\n 1.0 mm ", unit="KG")

    assert item == ItemSpec(category="steel sheet", specification="SPCC 1.0 mm", unit=Unit.KG)


@pytest.mark.parametrize("category", ["", "   ", None, "x" * 61])
def test_an_item_spec_names_its_category_in_1_to_60_characters(category: object) -> None:
    with pytest.raises(CategoryInvalidError, match="1 to 60 characters"):
        an_item(category=category)


def test_a_category_of_60_characters_is_accepted() -> None:
    assert an_item(category="x" * 60).category == "x" * 60


@pytest.mark.parametrize("specification", ["", "  \n ", None, "x" * 501])
def test_an_item_spec_describes_the_item_in_1_to_500_characters(specification: object) -> None:
    with pytest.raises(SpecificationInvalidError, match="1 to 500 characters"):
        an_item(specification=specification)


def test_an_item_spec_in_an_unknown_unit_is_rejected() -> None:
    with pytest.raises(UnknownUnitError):
        an_item(unit="bushel")


def test_an_item_spec_survives_its_event_data() -> None:
    item = an_item(unit="m2")

    assert ItemSpec.from_event_data(item.as_event_data()) == item
