"""A supplier's profile: what it can do, in the vocabulary's terms and in the buyer's words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.domain.capabilities import (
    CERTIFICATIONS,
    INDUSTRIES,
    MATERIALS,
    PROCESSES,
    Vocabulary,
)
from marketplace.domain.errors import NotPermittedError, RuleViolationError

MAX_DESCRIPTION_LENGTH = 800
MAX_CAPACITY_LENGTH = 200
#: Per list: enough for a real firm, few enough that a buyer reads them all.
MAX_TERMS = {"processes": 15, "materials": 30, "certifications": 15, "industries": 10}
SUPPLIER_PROFILE_FIELDS = frozenset({"processes", "materials", "certifications", "industries",
                                     "capacity", "description_ja", "description_en"})
_VOCABULARIES: dict[str, Vocabulary] = {
    "processes": PROCESSES, "materials": MATERIALS, "certifications": CERTIFICATIONS,
    "industries": INDUSTRIES}


class NotASupplierError(NotPermittedError):
    """Only an organisation that supplies publishes a supplier profile."""


class SupplierProcessesMissingError(RuleViolationError):
    """A supplier is found by what it does: its profile names at least one process."""


class SupplierDescriptionMissingError(RuleViolationError):
    """A supplier profile says, in Japanese or English, what the supplier delivers."""


class SupplierDescriptionTooLongError(RuleViolationError):
    """A description longer than a buyer reads through."""


class SupplierCapacityTooLongError(RuleViolationError):
    """A capacity note is a line, not a brochure."""


class TooManyCapabilityTermsError(RuleViolationError):
    """More terms of one kind than a buyer could weigh."""


@dataclass(frozen=True)
class SupplierProfile:
    """What a supplier can do: processes, materials, certifications, the industries it serves
    (vocabulary codes), its capacity, and the outcomes it delivers, in Japanese and English."""

    processes: tuple[str, ...]
    materials: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    capacity: str | None = None
    """Free text: machines, sizes, monthly volumes (e.g. "200 t presses × 4, 500k parts/month")."""
    description_ja: str | None = None
    description_en: str | None = None

    @classmethod
    def create(cls, *, processes: Any = (), materials: Any = (), certifications: Any = (),
               industries: Any = (), capacity: str | None = None,
               description_ja: str | None = None,
               description_en: str | None = None) -> SupplierProfile:
        """Validates and normalises a profile; raises a RuleViolationError naming the rule.

        Terms may be given by code, Japanese or English name or synonym; codes are kept.
        """
        terms = {field: _terms(field, values) for field, values in (
            ("processes", processes), ("materials", materials),
            ("certifications", certifications), ("industries", industries))}
        if not terms["processes"]:
            raise SupplierProcessesMissingError(
                "name at least one process the supplier does (processes), e.g. press, "
                "precision_machining or 真空包装; GET /api/v1/vocabulary lists them")
        profile = cls(**terms, capacity=_text(capacity, "capacity", MAX_CAPACITY_LENGTH,
                                              SupplierCapacityTooLongError),
                      description_ja=_description(description_ja, "Japanese"),
                      description_en=_description(description_en, "English"))
        if profile.description_ja is None and profile.description_en is None:
            raise SupplierDescriptionMissingError(
                "describe what the supplier delivers, in the buyer's terms, in Japanese "
                "(description_ja), in English (description_en), or both")
        return profile

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> SupplierProfile:
        """Rebuilds a recorded profile: events were validated when decided, so trust them."""
        fields: dict[str, Any] = {name: tuple(value) if name in MAX_TERMS else value
                                  for name, value in data.items()
                                  if name in SUPPLIER_PROFILE_FIELDS}
        return cls(**fields)

    def changed(self, **changes: Any) -> SupplierProfile:
        """This profile with some fields replaced, validated as a whole."""
        return SupplierProfile.create(**{**self.as_event_data(), **changes})

    def __deepcopy__(self, memo: dict[int, Any]) -> SupplierProfile:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"processes": list(self.processes), "materials": list(self.materials),
                "certifications": list(self.certifications),
                "industries": list(self.industries), "capacity": self.capacity,
                "description_ja": self.description_ja, "description_en": self.description_en}


def _terms(field: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    codes = _VOCABULARIES[field].parse_all(str(value) for value in values or ())
    if len(codes) > MAX_TERMS[field]:
        raise TooManyCapabilityTermsError(
            f"{len(codes)} {field} given; keep the {MAX_TERMS[field]} that matter most")
    return codes


def _description(value: str | None, language: str) -> str | None:
    return _text(value, f"the {language} description", MAX_DESCRIPTION_LENGTH,
                 SupplierDescriptionTooLongError)


def _text(value: str | None, what: str, limit: int,
          too_long: type[RuleViolationError]) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    if len(text) > limit:
        raise too_long(f"{what} has {len(text)} characters; shorten it to at most {limit}")
    return text or None
