"""What is bought: item specs, units, currencies, and the quantities and prices of them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from marketplace.domain.errors import RuleViolationError
from marketplace.domain.organisation import normalise_capability

MAX_CATEGORY_LENGTH = 60
MAX_SPECIFICATION_LENGTH = 500
#: Quantities to the gram (0.001 kg); unit prices to 1/100 of a yen (per-kg prices of sheet).
QUANTITY_PLACES = 3
PRICE_PLACES = 2
MAX_AMOUNT = Decimal("1e12")


class Unit(StrEnum):
    """Units a cluster trades in; a lot and every need pooled into it share one."""

    KG = "kg"
    TONNE = "t"
    PIECE = "pcs"
    SHEET = "sheet"
    LITRE = "L"
    CAN = "can"
    BOX = "box"
    METRE = "m"
    SQUARE_METRE = "m2"
    ROLL = "roll"

    @classmethod
    def parse(cls, text: Any) -> Unit:
        value = unicodedata.normalize("NFKC", str(text)).strip()
        for unit in cls:
            if value == unit.value or value.lower() == unit.value.lower():
                return unit
        raise UnknownUnitError(
            f"{text!r} is not a unit we trade in; use one of "
            f"{', '.join(unit.value for unit in cls)}")


class Currency(StrEnum):
    JPY = "JPY"

    @classmethod
    def parse(cls, text: Any) -> Currency:
        try:
            return cls(str(text).strip().upper())
        except ValueError:
            raise UnsupportedCurrencyError(
                f"{text!r} is not a currency the marketplace settles in; use JPY") from None


class UnknownUnitError(RuleViolationError):
    """A unit outside the list the marketplace trades in."""


class UnsupportedCurrencyError(RuleViolationError):
    """A currency the marketplace does not settle in."""


class QuantityNotPositiveError(RuleViolationError):
    """Quantities are more than zero."""


class PriceNotPositiveError(RuleViolationError):
    """Prices are more than zero."""


class AmountInvalidError(RuleViolationError):
    """Not a number, too precise, or too large to be a real quantity or price."""


class CategoryInvalidError(RuleViolationError):
    """An item spec names its category (e.g. 'steel sheet') in 1 to 60 characters."""


class SpecificationInvalidError(RuleViolationError):
    """An item spec describes the item in 1 to 500 characters."""


def _decimal(value: Any, what: str, places: int) -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # 1.1 as the person wrote it, not its binary neighbour
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise AmountInvalidError(f"the {what} {value!r} is not a number") from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise AmountInvalidError(f"the {what} {value!r} is not a usable number")
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise AmountInvalidError(
            f"the {what} {value} has more than {places} decimal places; round it")
    return amount


def quantity(value: Any, what: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    """A positive quantity (or zero, if allowed) to at most three decimal places."""
    amount = _decimal(value, what, QUANTITY_PLACES)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise QuantityNotPositiveError(f"the {what} must be more than zero, not {value}")
    return _plain(amount)


def unit_price(value: Any, what: str = "unit price", *, allow_zero: bool = False) -> Decimal:
    """A positive price per unit (or zero, if allowed) to at most two decimal places."""
    amount = _decimal(value, what, PRICE_PLACES)
    if amount < 0 or (amount == 0 and not allow_zero):
        least = "zero or more" if allow_zero else "more than zero"
        raise PriceNotPositiveError(f"the {what} must be {least}, not {value}")
    return _plain(amount)


def _plain(amount: Decimal) -> Decimal:
    # 1.500, 1.5 and 15E-1 are equal; keep one form, the one people write (1000, not 1E+3).
    amount = amount.normalize().copy_abs() if amount.is_zero() else amount.normalize()
    return amount.quantize(Decimal(1)) if amount.as_tuple().exponent > 0 else amount  # type: ignore[operator]


def whole_number(value: Any, low: int, high: int) -> int | None:
    """``value`` (a number or its text) as a whole number from ``low`` to ``high``, else None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def calendar_date(value: Any, error: type[RuleViolationError], what: str) -> date:
    """A date given as a ``date`` or as YYYY-MM-DD text; ``error`` names which date is wrong."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise error(f"{value!r} is not a date; write the {what} as YYYY-MM-DD, "
                    "e.g. 2026-12-15") from None


YEN = Decimal(1)  # JPY has no minor unit: every amount charged or paid is whole yen


def yen(amount: Decimal) -> Decimal:
    """An amount in whole yen, half a yen rounded up."""
    return amount.quantize(YEN, rounding=ROUND_HALF_UP)


def normalise_category(text: Any) -> str:
    """The canonical form of a category, as of a capability tag: NFKC, lower case, single spaces."""
    category = normalise_capability(str(text or ""))
    if not category or len(category) > MAX_CATEGORY_LENGTH:
        raise CategoryInvalidError(
            f"name the item's category in 1 to {MAX_CATEGORY_LENGTH} characters "
            "(e.g. 'steel sheet')")
    return category


@dataclass(frozen=True)
class ItemSpec:
    """What is bought: a category (what lots are matched on), the spec text, and its unit."""

    category: str
    specification: str
    unit: Unit

    @classmethod
    def create(cls, *, category: Any, specification: Any, unit: Any) -> ItemSpec:
        text = " ".join(str(specification or "").split())
        if not text or len(text) > MAX_SPECIFICATION_LENGTH:
            raise SpecificationInvalidError(
                f"describe the item in 1 to {MAX_SPECIFICATION_LENGTH} characters "
                "(grade, thickness, size, standard)")
        return cls(category=normalise_category(category), specification=text,
                   unit=Unit.parse(unit))

    def __deepcopy__(self, memo: dict[int, Any]) -> ItemSpec:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"category": self.category, "specification": self.specification,
                "unit": self.unit.value}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> ItemSpec:
        return cls(category=data["category"], specification=data["specification"],
                   unit=Unit(data["unit"]))
