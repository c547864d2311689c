"""The controlled vocabularies of supplier capabilities: processes, materials, certifications
and the industries a supplier serves.

Each term has a stable code (``press``, ``sus304``, ``iso_13485``), a Japanese and an English
label, and synonyms in both languages. Suppliers describe themselves in these terms and buyers
describe needs in their own words; ``find_terms`` reads the vocabulary out of a buyer's words,
which is what lets a care-bed maker's "pressed steel frame parts" find a press shop that has
only ever written プレス加工 for car makers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from marketplace.domain.capability_terms import TERMS
from marketplace.domain.errors import RuleViolationError


class Kind(StrEnum):
    PROCESS = "process"
    MATERIAL = "material"
    CERTIFICATION = "certification"
    INDUSTRY = "industry"


class UnknownCapabilityTermError(RuleViolationError):
    """The text names no term of the vocabulary it was given for."""


@dataclass(frozen=True)
class Term:
    """One term of a vocabulary; ``broader`` is the code of the family it belongs to."""

    kind: Kind
    code: str
    label_en: str
    label_ja: str
    synonyms: tuple[str, ...] = ()
    broader: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Every way of writing this term: code, labels and synonyms."""
        return (self.code, self.label_en, self.label_ja, *self.synonyms)


def key(text: str) -> str:
    """How terms are compared: NFKC, lower case, without spaces, hyphens or underscores,
    so that ``ISO 13485``, ``iso_13485`` and ``ＩＳＯ１３４８５`` are one term."""
    return re.sub(r"[\s\-_・/]+", "", unicodedata.normalize("NFKC", text).lower())


class Vocabulary:
    """The terms of one kind, looked up by code, label or synonym."""

    def __init__(self, kind: Kind, terms: Iterable[Term]) -> None:
        self.kind = kind
        self.terms: tuple[Term, ...] = tuple(terms)
        self._by_code = {term.code: term for term in self.terms}
        self._by_key: dict[str, Term] = {}
        for term in self.terms:
            for name in term.names:
                found = self._by_key.setdefault(key(name), term)
                if found is not term:
                    raise ValueError(f"{name!r} names both {found.code} and {term.code}")
        self._narrower = {term.code: frozenset({term.code} | {t.code for t in self.terms
                                                  if t.broader == term.code})
                          for term in self.terms}

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Term:
        return self._by_code[code]

    def parse(self, text: str) -> Term:
        """The term the text names, by code, label or synonym, in Japanese or English."""
        term = self._by_key.get(key(str(text)))
        if term is None:
            examples = ", ".join(t.code for t in self.terms[:4])
            raise UnknownCapabilityTermError(
                f"{text!r} is not a {self.kind} in Kyodo's vocabulary; use a code, a Japanese "
                f"or an English name from GET /api/v1/vocabulary (e.g. {examples})")
        return term

    def parse_all(self, values: Iterable[str]) -> tuple[str, ...]:
        """The codes the values name, de-duplicated and sorted."""
        return tuple(sorted({self.parse(value).code for value in values}))

    def narrower(self, code: str) -> frozenset[str]:
        """The term and the terms directly under it (SPCC and SPHC are kinds of steel)."""
        return self._narrower[code]

    def related(self, code: str) -> frozenset[str]:
        """The terms that meet a need for this one, fully or in part: it, the terms under it,
        and its broader term (a shop that does press working may take on deep drawing)."""
        broader = self._by_code[code].broader
        return self._narrower[code] | ({broader} if broader else frozenset())


VOCABULARIES: dict[Kind, Vocabulary] = {
    kind: Vocabulary(kind, (Term(kind, *fields) for fields in TERMS[kind.value]))
    for kind in Kind}
PROCESSES = VOCABULARIES[Kind.PROCESS]
MATERIALS = VOCABULARIES[Kind.MATERIAL]
CERTIFICATIONS = VOCABULARIES[Kind.CERTIFICATION]
INDUSTRIES = VOCABULARIES[Kind.INDUSTRY]


@dataclass(frozen=True)
class Mentions:
    """The vocabulary terms a text mentions, by kind."""

    processes: frozenset[str] = frozenset()
    materials: frozenset[str] = frozenset()
    certifications: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()


def normalise_text(text: str) -> str:
    """NFKC and lower case: full-width Ｓ and half-width ｶﾅ read as S and カナ."""
    return unicodedata.normalize("NFKC", text).lower()


def find_terms(text: str) -> Mentions:
    """The vocabulary terms a buyer's words mention, in Japanese or English.

    The longest name wins where names overlap: 真空包装 is vacuum packaging, not also
    packaging; 冷間圧延鋼板 is SPCC, not also steel. Latin names match whole words, plurals
    included (presses, stampings).
    """
    found: dict[Kind, set[str]] = {kind: set() for kind in Kind}
    for match in _MENTION.finditer(normalise_text(text)):
        for term in _mentioned(match.group()):
            found[term.kind].add(term.code)
    return Mentions(*(frozenset(found[kind]) for kind in Kind))


def _mentioned(matched: str) -> tuple[Term, ...]:
    matched = key(matched)
    for candidate in (matched, matched.removesuffix("s"), matched.removesuffix("es")):
        if candidate in _BY_NAME:
            return _BY_NAME[candidate]
    return ()


def _pattern(name: str) -> str:
    words = re.split(r"[\s\-_・/]+", normalise_text(name).strip())
    body = r"[\s\-_・/]?".join(re.escape(word) for word in words)
    if name.isascii():
        plural = "(?:e?s)?" if name[-1].isalpha() else ""
        return rf"(?<![a-z0-9]){body}{plural}(?![a-z0-9])"
    return body


#: Every name of every term (a name may belong to terms of several kinds, like 段ボール).
_BY_NAME: dict[str, tuple[Term, ...]] = {}
for _vocabulary in VOCABULARIES.values():
    for _term in _vocabulary.terms:
        for _name in _term.names:
            if _term not in _BY_NAME.get(key(_name), ()):
                _BY_NAME[key(_name)] = (*_BY_NAME.get(key(_name), ()), _term)
_NAMES = {name for terms in _BY_NAME.values() for term in terms for name in term.names}
_MENTION = re.compile("|".join(_pattern(name) for name in sorted(
    _NAMES, key=lambda name: (-len(key(name)), name))))
