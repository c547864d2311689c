"""How well a supplier fits a need, and why: the scoring behind supplier matching.

Pure functions over what the matching query read from the database, so the ranking is the
same on SQLite and PostgreSQL. See docs/matching.md for the formula and its weights.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from marketplace.domain import Prefecture
from marketplace.domain.capabilities import VOCABULARIES, Kind, Vocabulary

#: The weight of each part of the fit. Only the parts a need speaks of count, and the score is
#: divided by their total weight, so a perfect fit scores 1 whatever the need says.
WEIGHTS: dict[str, float] = {"process": 0.40, "material": 0.20, "certification": 0.10,
                             "text": 0.20, "distance": 0.10}
#: How much a held term counts for a wanted one: the term itself or a kind of it (SPCC for
#: steel) fully; its broader term (press working for deep drawing, stainless steel for
#: SUS304) by half. Other terms of its family (SUS316 for SUS304) do not count: they would
#: bring in half the suppliers for every need, for little.
BROADER_FIT = 0.5
#: Below this score a supplier's fit is too thin to show.
MIN_SCORE = 0.1
#: Proximity falls linearly from 1 in the delivery prefecture to 0 at this distance.
DISTANCE_SCALE_KM = 800.0


@dataclass(frozen=True)
class MatchReason:
    code: str
    """process, material, certification, missing_certification, text, industry,
    other_industry or distance."""
    text_en: str
    text_ja: str


@dataclass(frozen=True)
class Need:
    """A need as the ranking reads it: vocabulary codes, search tokens, where to deliver."""

    processes: frozenset[str]
    materials: frozenset[str]
    certifications: frozenset[str]
    """Wanted: mentioned in the text or required; each one held counts."""
    required: frozenset[str]
    """Required: suppliers without every one of them are not candidates at all."""
    industries: frozenset[str]
    tokens: frozenset[str]
    prefecture: Prefecture | None

    def wanted(self, kind: Kind) -> frozenset[str]:
        return {Kind.PROCESS: self.processes, Kind.MATERIAL: self.materials,
                Kind.CERTIFICATION: self.certifications,
                Kind.INDUSTRY: self.industries}[kind]


@dataclass
class Candidate:
    """A supplier as far as the ranking knows it."""

    prefecture: str
    fits: dict[Kind, float] = field(default_factory=dict)
    """How well its terms meet the wanted ones, per kind (``kind_fit``; absent: 0)."""
    tokens: frozenset[str] = frozenset()
    """Its search tokens that are also the need's."""
    terms: dict[Kind, set[str]] = field(default_factory=dict)
    """All its terms: read for the finalists only, to say why they matched."""


def fit_groups(vocabulary: Vocabulary, wanted: str) -> tuple[tuple[frozenset[str], float], ...]:
    """What held terms count for a wanted one, best first: (terms, how much)."""
    broader = vocabulary[wanted].broader
    return ((vocabulary.narrower(wanted), 1.0),
            *(((frozenset({broader}), BROADER_FIT),) if broader else ()))


@dataclass(frozen=True)
class TermFit:
    score: float
    exact: tuple[str, ...]
    """Held terms that are a wanted one or a kind of it."""
    related: tuple[str, ...]
    """Held broader terms of a wanted one that is not met exactly."""
    unmet: tuple[str, ...]
    """Wanted terms met only by a related one."""


def term_fit(vocabulary: Vocabulary, wanted: frozenset[str], held: set[str]) -> TermFit:
    """The mean, over the wanted terms, of the best that the held terms count for it.

    The database computes the same mean (``MatchingSql``) to choose the shortlist; this one
    says which terms met which.
    """
    exact: set[str] = set()
    related: set[str] = set()
    unmet, total = [], 0.0
    for code in sorted(wanted):
        for codes, value in fit_groups(vocabulary, code):
            if met := held & codes:
                total += value
                if value == 1.0:
                    exact |= met
                else:
                    related |= met
                    unmet.append(code)
                break
    return TermFit(total / len(wanted) if wanted else 0.0, tuple(sorted(exact)),
                   tuple(sorted(related - exact)), tuple(unmet))


def idf(documents: int, profiles: int) -> float:
    """BM25's inverse document frequency: a token few profiles hold weighs most."""
    return math.log(1 + (profiles - documents + 0.5) / (documents + 0.5))


def proximity(need: Need, prefecture: str) -> float:
    """1 in the delivery prefecture, falling linearly to 0 at DISTANCE_SCALE_KM."""
    if need.prefecture is None:
        return 0.0
    return max(0.0, 1 - _km(need.prefecture.code, prefecture) / DISTANCE_SCALE_KM)


def distance_km(need: Need, candidate: Candidate) -> float | None:
    if need.prefecture is None:
        return None
    return _km(need.prefecture.code, candidate.prefecture)


@functools.cache
def _km(delivery: str, home: str) -> float:
    return round(Prefecture.parse(delivery).distance_km(Prefecture.parse(home)), 1)


def parts(need: Need, candidate: Candidate, idf: dict[str, float]) -> dict[str, float]:
    """Each part of the fit the need speaks of, between 0 and 1. Text: the share of the
    need's tokens, weighted by their inverse document frequency, found in the profile."""
    found = {kind.value: candidate.fits.get(kind, 0.0)
             for kind in (Kind.PROCESS, Kind.MATERIAL, Kind.CERTIFICATION) if need.wanted(kind)}
    if need.tokens:
        found["text"] = (sum(idf[token] for token in candidate.tokens)
                         / sum(idf[token] for token in need.tokens))
    if need.prefecture is not None:
        found["distance"] = proximity(need, candidate.prefecture)
    return found


def score(need: Need, found: dict[str, float]) -> float:
    """The weighted mean of the parts; 0 when the supplier shows no capability the need asks
    for (being near is not enough)."""
    if not any(value for name, value in found.items() if name != "distance"):
        return 0.0
    weights = sum(WEIGHTS[name] for name in found)
    total = sum(WEIGHTS[name] * value for name, value in found.items()) / weights
    return total if total >= MIN_SCORE else 0.0


def reasons(need: Need, candidate: Candidate, found: dict[str, float]) -> tuple[MatchReason, ...]:
    """Why the candidate matched, in sentences a purchasing manager reads."""
    said: list[MatchReason] = []
    for kind in (Kind.PROCESS, Kind.MATERIAL):
        fit = term_fit(VOCABULARIES[kind], need.wanted(kind), candidate.terms.get(kind, set()))
        said += _term_reasons(kind, fit)
    said += _certification_reasons(need, candidate.terms.get(Kind.CERTIFICATION, set()))
    if found.get("text"):
        percent = round(100 * found["text"])
        said.append(MatchReason(
            "text", f"Its own description matches {percent}% of the words of your need "
            "(rare words count more).",
            f"紹介文がご依頼の文言の{percent}%と一致します（特徴的な語ほど重く数えます）。"))
    said += _industry_reasons(need, candidate)
    km = distance_km(need, candidate)
    if need.prefecture is not None and km is not None:
        said.append(_distance_reason(need.prefecture, Prefecture.parse(candidate.prefecture),
                                     km))
    return tuple(said)


def _labels(kind: Kind, codes: Iterable[str]) -> tuple[str, str]:
    """The terms' labels as a phrase: "press working and deep drawing", "プレス加工、深絞り加工"."""
    terms = [VOCABULARIES[kind][code] for code in sorted(codes)]
    english = [_in_sentence(t.label_en) for t in terms]
    phrase = (", ".join(english[:-1]) + " and " + english[-1]) if len(english) > 1 else english[0]
    return phrase, "、".join(t.label_ja for t in terms)


def _in_sentence(label: str) -> str:
    """Lower-cases a capitalised word (Press working) but not an acronym (SPCC, ISO 9001)."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _term_reasons(kind: Kind, fit: TermFit) -> list[MatchReason]:
    said = []
    if fit.exact:
        en, ja = _labels(kind, fit.exact)
        said.append(MatchReason(kind.value, *(
            (f"Does {en}, as your need asks.", f"ご依頼の{ja}を行っています。")
            if kind is Kind.PROCESS else
            (f"Works with {en}, as your need asks.", f"ご依頼の{ja}を扱っています。"))))
    if fit.related:
        en, ja = _labels(kind, fit.related)
        asked_en, asked_ja = _labels(kind, fit.unmet)
        does_en, does_ja = (("Does", "行っています") if kind is Kind.PROCESS
                            else ("Works with", "扱っています"))
        said.append(MatchReason(
            kind.value, f"{does_en} {en}, which covers the {asked_en} you asked for.",
            f"ご依頼の{asked_ja}を含む{ja}を{does_ja}。"))
    return said


def _certification_reasons(need: Need, held: set[str]) -> list[MatchReason]:
    said = []
    if have := need.certifications & held:
        en, ja = _labels(Kind.CERTIFICATION, have)
        said.append(MatchReason("certification", f"Holds {en}.", f"{ja}を取得しています。"))
    if lacking := need.certifications - held:
        en, ja = _labels(Kind.CERTIFICATION, lacking)
        said.append(MatchReason("missing_certification",
                                f"Does not hold {en}, which your need mentions.",
                                f"ご依頼に記載の{ja}は取得していません。"))
    return said


def _industry_reasons(need: Need, candidate: Candidate) -> list[MatchReason]:
    served = candidate.terms.get(Kind.INDUSTRY, set())
    if not need.industries or not served:
        return []
    if common := need.industries & served:
        en, ja = _labels(Kind.INDUSTRY, common)
        return [MatchReason("industry", f"Already serves {en}.", f"{ja}分野の実績があります。")]
    capability = candidate.terms.get(Kind.PROCESS, set()) & {
        code for wanted in need.processes for code in VOCABULARIES[Kind.PROCESS].related(wanted)}
    if not capability:
        return []
    served_en, served_ja = _labels(Kind.INDUSTRY, served)
    yours_en, yours_ja = _labels(Kind.INDUSTRY, need.industries)
    how_en, how_ja = _labels(Kind.PROCESS, capability)
    return [MatchReason(
        "other_industry",
        f"A cross-industry match: it serves {served_en}; its {how_en} can serve {yours_en} "
        "too.",
        f"異業種マッチ：{served_ja}向けの{how_ja}の技術を{yours_ja}に活かせます。")]


def _distance_reason(delivery: Prefecture, home: Prefecture, km: float) -> MatchReason:
    if home == delivery:
        return MatchReason("distance", f"Based in {home.name_en}, the delivery prefecture.",
                           f"納入先と同じ{home.name_ja}にあります。")
    return MatchReason(
        "distance", f"Based in {home.name_en}, about {km:,.0f} km from delivery in "
        f"{delivery.name_en}.",
        f"{home.name_ja}にあり、納入先の{delivery.name_ja}から約{km:,.0f} kmです。")
