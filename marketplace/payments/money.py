"""Amounts as payment processors take them: whole numbers of a currency's minor unit.

The marketplace computes in ``Decimal`` major units (yen, euros); Stripe and bank transfers
move integers of the minor unit (JPY has none, so ¥1,200 is 1200; USD has cents, so $12.00 is
1200). The exponent per currency is Stripe's (ISO 4217, with its zero-decimal list). An
amount that is not a whole number of minor units is refused unless a rounding is named: money
is never silently rounded, and never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import list_currencies

from marketplace.domain.errors import RuleViolationError

_ISO_4217 = frozenset(list_currencies())

#: Currencies whose amounts have no minor unit (Stripe's zero-decimal currencies).
ZERO_DECIMAL = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf"})
#: Currencies with three decimals (Stripe takes them with the last digit 0).
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


class AmountNotPayableError(RuleViolationError):
    """The amount cannot be paid as it stands: not a whole minor unit, not positive, or too
    large for one payment."""


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit."""
    code = currency.lower()
    if code.upper() not in _ISO_4217:
        raise AmountNotPayableError(f"{currency!r} is not an ISO 4217 currency code "
                                    "(three letters, such as JPY)")
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


@dataclass(frozen=True, order=True)
class Money:
    """An amount in minor units of a currency (lower-case, as Stripe writes it)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise TypeError("a Money amount is an int of minor units")
        object.__setattr__(self, "currency", self.currency.lower())
        exponent(self.currency)

    @classmethod
    def of(cls, amount: Decimal, currency: str, *, rounding: str | None = None) -> Money:
        """``amount`` major units in minor units: exact, unless a ``decimal`` rounding is
        named (``ROUND_HALF_UP`` for a total that multiplied price by quantity)."""
        if not isinstance(amount, Decimal):
            raise TypeError("amounts are Decimal, never float")
        digits = exponent(currency)
        try:
            scaled = amount.scaleb(digits)
            whole = scaled.to_integral_value(rounding=rounding or ROUND_HALF_UP)
        except InvalidOperation:
            raise AmountNotPayableError(f"{amount} is not an amount of money") from None
        if rounding is None and whole != scaled:
            unit = Decimal(1).scaleb(-digits)
            raise AmountNotPayableError(
                f"{amount} {currency.upper()} is not a whole number of {unit} "
                f"{currency.upper()}; round it first")
        return cls(int(whole), currency)

    @property
    def major(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def payable(self, limit: int | None = None) -> Money:
        """This amount, checked as one payment: positive, and within ``limit`` minor units
        (the processor's)."""
        if self.minor <= 0:
            raise AmountNotPayableError(f"{self} is not a positive amount to pay")
        if limit is not None and self.minor > limit:
            raise AmountNotPayableError(
                f"{self} is more than one payment can carry; split it")
        return self

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise AmountNotPayableError(
                f"cannot add {other.currency.upper()} to {self.currency.upper()}")

    def __str__(self) -> str:
        return f"{self.major:,} {self.currency.upper()}"
