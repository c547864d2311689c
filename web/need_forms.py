"""The need form of the pages: its fields as posted, the terms they make, and which field a
domain error is about (so that the message stands next to that field)."""

from __future__ import annotations

import unicodedata
from typing import Any
from uuid import UUID

from marketplace.application import Marketplace
from marketplace.domain import RuleViolationError
from marketplace.domain.items import (
    AmountInvalidError,
    CategoryInvalidError,
    PriceNotPositiveError,
    QuantityNotPositiveError,
    SpecificationInvalidError,
    Unit,
    UnknownUnitError,
)
from marketplace.domain.need import NeededByInThePastError, NeededByInvalidError
from marketplace.domain.prefectures import PREFECTURES, UnknownPrefectureError
from marketplace.readmodels.lot_queries import NeedView
from web.forms import field
from web.render import error_text

#: The fields of a need, as the JSON API's NeedPosting names them.
NEED_FIELDS = ("category", "specification", "unit", "quantity", "needed_by",
               "delivery_prefecture", "max_unit_price")

#: Filters of the needs table, in the order offered.
STATUSES = ("open", "pooled", "rfq", "withdrawn")

_FIELD_OF_ERROR: tuple[tuple[type[RuleViolationError], str], ...] = (
    (CategoryInvalidError, "category"), (SpecificationInvalidError, "specification"),
    (UnknownUnitError, "unit"), (NeededByInvalidError, "needed_by"),
    (NeededByInThePastError, "needed_by"), (UnknownPrefectureError, "delivery_prefecture"))


def posted(data: dict[str, Any]) -> dict[str, str]:
    """The form's need fields as text, as typed (re-shown when the form comes back)."""
    return {name: field(data, name).strip() for name in NEED_FIELDS}


def _amount(text: str) -> str:
    """An amount as people type it: full-width digits and thousands separators allowed."""
    return unicodedata.normalize("NFKC", text).replace(",", "").strip()


def terms(values: dict[str, str]) -> dict[str, Any]:
    """The command's keyword arguments: an empty max unit price is none at all."""
    return {**values, "quantity": _amount(values["quantity"]),
            "max_unit_price": _amount(values["max_unit_price"]) or None}


def values_of(need: NeedView) -> dict[str, str]:
    """A need's current terms as the form shows them."""
    return {"category": need.category, "specification": need.specification, "unit": need.unit,
            "quantity": str(need.quantity), "needed_by": need.needed_by.isoformat(),
            "delivery_prefecture": need.delivery_prefecture,
            "max_unit_price": "" if need.max_unit_price is None else str(need.max_unit_price)}


def field_of(error: RuleViolationError) -> str | None:
    """The form field an error of ``NeedLine.create`` is about, if it is about one."""
    for kind, name in _FIELD_OF_ERROR:
        if isinstance(error, kind):
            return name
    if isinstance(error, AmountInvalidError | QuantityNotPositiveError | PriceNotPositiveError):
        return "max_unit_price" if str(error).startswith("the max unit price") else "quantity"
    return None


def prefecture_names(language: str) -> dict[str, str]:
    """Each prefecture's name in the page's language, by its code (JP-10)."""
    return {p.code: p.name_ja if language == "ja" else p.name_en for p in PREFECTURES}


def known_categories(marketplace: Marketplace, buyer_id: UUID) -> list[str]:
    """Categories to suggest: those of the buyer's needs and of the lots open to it. A
    category is free text to the domain (it is matched, normalised), so others are allowed."""
    found = {need.category for need in marketplace.lots.needs(buyer_id)}
    viewer = marketplace.lots.viewer(buyer_id)
    if viewer is not None:
        found |= {lot.category for lot in marketplace.lots.search(
            viewer, now=marketplace.clock(), limit=500)}
    return sorted(found)


def form_context(marketplace: Marketplace, buyer_id: UUID, language: str,
                 values: dict[str, str], error: RuleViolationError | None = None,
                 **extra: Any) -> dict[str, Any]:
    return {"values": values, "error": None if error is None else error_text(language, error),
            "error_field": None if error is None else field_of(error),
            "units": list(Unit), "prefectures": PREFECTURES,
            "categories": known_categories(marketplace, buyer_id),
            "prefecture_names": prefecture_names(language), **extra}
