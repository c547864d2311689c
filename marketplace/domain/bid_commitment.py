"""A sealed bid's commitment: the hash that binds a supplier to its terms before the close.

Each placed or revised bid carries ``commitment``, the SHA-256 of a canonical JSON document of
the lot, the bid, its lead, its terms, its consortium's shares and a random salt (the salt, 32
bytes from the command layer, keeps anyone from guessing the terms back from the hash). The
commitment is public on the ledger before the close; the terms and salt are revealed after
it, when anyone allowed can hash them again. docs/sealed-bids.md specifies the document.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

SALT_BYTES = 32


def bid_commitment(*, lot_id: UUID, bid_id: UUID, supplier_id: UUID, terms: dict[str, Any],
                   shares: list[dict[str, Any]], salt: bytes) -> str:
    """The commitment, in lower-case hex, of a bid's terms and shares as its event holds them."""
    return hashlib.sha256(commitment_document(
        lot_id=lot_id, bid_id=bid_id, supplier_id=supplier_id, terms=terms, shares=shares,
        salt=salt)).hexdigest()


def commitment_document(*, lot_id: UUID, bid_id: UUID, supplier_id: UUID,
                        terms: dict[str, Any], shares: list[dict[str, Any]],
                        salt: bytes) -> bytes:
    """The bytes the commitment is the SHA-256 of: canonical JSON, sorted keys, no spaces."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a commitment's salt is {SALT_BYTES} bytes, not {len(salt)}")
    document = {"lot_id": lot_id, "bid_id": bid_id, "supplier_id": supplier_id,
                "terms": terms, "shares": shares, "salt": salt.hex()}
    return json.dumps(canonical(document), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def sealed(lot_id: UUID, bid_id: UUID, supplier_id: UUID, terms: dict[str, Any],
           shares: list[dict[str, Any]], salt: bytes | None) -> dict[str, Any]:
    """A bid event's ``terms``, ``shares``, ``commitment`` and ``salt``. Without a salt (tests
    of other rules) the last two are None, as in bids placed before commitments existed."""
    commitment = None if salt is None else bid_commitment(
        lot_id=lot_id, bid_id=bid_id, supplier_id=supplier_id, terms=terms, shares=shares,
        salt=salt)
    return {"terms": terms, "shares": shares, "commitment": commitment,
            "salt": None if salt is None else salt.hex()}


def canonical(value: Any) -> Any:
    """The JSON value a bid's data is hashed as: decimals as plain text without exponent or
    trailing zeros (``"1200"``, ``"187.5"``), ids as hyphenated lower-case text, dates as
    ``YYYY-MM-DD``; whole numbers, text, true/false and null as themselves."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):
        if type(value) is not date:
            raise TypeError("a bid's dates are calendar dates, not instants")
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"a bid holds no {type(value).__name__} values")


def decimal_text(value: Decimal) -> str:
    """``Decimal("1.2E+3")``, ``"1200.00"`` and ``"1200"`` all read ``"1200"``."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number a bid can hold")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


__all__ = ["SALT_BYTES", "bid_commitment", "canonical", "commitment_document", "decimal_text",
           "sealed"]
