"""Stripe's form encoding read back into nested values (``metadata[lot]=1``, ``expand[0]=x``,
``expand[]=x``), and typed, validated reads of the parameters an endpoint accepts."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from tests.fake_stripe.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

#: The currencies the fake accepts (Stripe takes many more; amounts are in minor units, and
#: jpy and krw have none: 1000 jpy is ¥1,000, 1000 usd is $10.00).
CURRENCIES = frozenset({"jpy", "krw", "usd", "eur", "gbp", "aud", "cad", "chf", "cny", "hkd",
                        "sgd", "twd", "nzd", "sek", "dkk", "nok", "thb", "inr"})


def parse_form(text: str) -> dict[str, Any]:
    """``a[b][0]=x&a[b][1]=y&c=z`` as ``{"a": {"b": ["x", "y"]}, "c": "z"}``."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node = root
        for segment in path[:-1]:
            child = node.setdefault(segment or str(len(node)), {})  # "x[]": the next index
            if not isinstance(child, dict):
                raise invalid(f"Invalid nesting of parameter {key}", param=key)
            node = child
        leaf = path[-1] or str(len(node))
        node[leaf] = value
    return {key: _lists(key, value) for key, value in root.items()}


def _lists(key: str, value: Any) -> Any:
    """Dicts keyed 0..n-1 become lists (but metadata keys are the user's, never indices)."""
    if not isinstance(value, dict):
        return value
    if key == "metadata":
        return value
    items = {k: _lists(k, v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


class Params:
    """The parameters of one request, read with Stripe's checks and Stripe's error messages."""

    def __init__(self, values: dict[str, Any], allowed: frozenset[str]) -> None:
        self.values = values
        for name in values:
            if name not in allowed and name != "expand":
                raise invalid(f"Received unknown parameter: {name}", param=name,
                              code="parameter_unknown")

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise invalid(f"Missing required param: {name}.", param=name,
                              code="parameter_missing")
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {name}", param=name)
        return value

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def choice(self, name: str, options: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(name)
        if value is None:
            return default
        if value not in options:
            raise invalid(f"Invalid {name}: must be one of {', '.join(options)}", param=name)
        return value

    def flag(self, name: str) -> bool:
        value = self.text(name)
        if value is None:
            return False
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=name)
        return value == "true"

    def amount(self, name: str) -> int:
        """A positive whole number of the currency's minor unit."""
        value = self.optional_amount(name)
        if value is None:
            raise invalid(f"Missing required param: {name}.", param=name,
                          code="parameter_missing")
        return value

    def optional_amount(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not re.fullmatch(r"-?\d+", value):
            raise invalid(f"Invalid integer: {value}", param=name,
                          code="parameter_invalid_integer")
        if int(value) < 1:
            raise invalid(f"This value must be greater than or equal to 1 ({name}).",
                          param=name, code="amount_too_small")
        return int(value)

    def currency(self) -> str:
        value = self.required("currency").lower()
        if value not in CURRENCIES:
            raise invalid(f"Invalid currency: {value}.", param="currency")
        return value

    def metadata(self) -> dict[str, str]:
        value = self.values.get("metadata", {})
        if value == "":  # metadata="" clears it in Stripe
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise invalid("Invalid metadata: must be a hash of strings", param="metadata")
        return dict(value)

    def expand(self) -> list[str]:
        value = self.values.get("expand", [])
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise invalid("Invalid array", param="expand")
        return [str(path) for path in value]

    def limit(self) -> int:
        value = self.text("limit") or "10"
        if not value.isdigit() or not 1 <= int(value) <= 100:
            raise invalid("Invalid limit: must be between 1 and 100", param="limit")
        return int(value)

