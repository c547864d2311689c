"""The JSON API, version 1: suppliers' profiles, the capability vocabulary, and matching."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, patch, put
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from marketplace.application import Marketplace
from marketplace.domain import NotFoundError
from marketplace.domain.capabilities import VOCABULARIES, Kind
from marketplace.readmodels.matching import MAX_LIMIT, MatchQuery, SupplierMatch, analyse
from marketplace.readmodels.supplier_profiles import SupplierProfileView, TermView
from web.api import acting_organisation
from web.auth import public


class SupplierProfileNotFoundError(NotFoundError):
    """The organisation has not published a supplier profile."""


class SupplierProfileDocument(msgspec.Struct, forbid_unknown_fields=True):
    """A whole supplier profile; absent lists are empty, absent texts are none. Terms may be
    codes or Japanese or English names (see GET /api/v1/vocabulary)."""

    processes: list[str]
    description_ja: str | None = None
    description_en: str | None = None
    materials: list[str] = msgspec.field(default_factory=list)
    certifications: list[str] = msgspec.field(default_factory=list)
    industries: list[str] = msgspec.field(default_factory=list)
    capacity: str | None = None


class SupplierProfileChange(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to replace on the published profile; absent fields stay, null clears a text."""

    processes: list[str] | msgspec.UnsetType = msgspec.UNSET
    materials: list[str] | msgspec.UnsetType = msgspec.UNSET
    certifications: list[str] | msgspec.UnsetType = msgspec.UNSET
    industries: list[str] | msgspec.UnsetType = msgspec.UNSET
    capacity: str | msgspec.UnsetType | None = msgspec.UNSET
    description_ja: str | msgspec.UnsetType | None = msgspec.UNSET
    description_en: str | msgspec.UnsetType | None = msgspec.UNSET


class VocabularyTerm(msgspec.Struct):
    code: str
    label_en: str
    label_ja: str
    synonyms: list[str]
    broader: str | None


class VocabularyView(msgspec.Struct):
    """Every term suppliers describe themselves in, and buyers' words are read for."""

    processes: list[VocabularyTerm]
    materials: list[VocabularyTerm]
    certifications: list[VocabularyTerm]
    industries: list[VocabularyTerm]


class Understood(msgspec.Struct):
    """The vocabulary terms read from the need (and given with it)."""

    processes: list[TermView]
    materials: list[TermView]
    certifications: list[TermView]
    industries: list[TermView]


class SupplierMatches(msgspec.Struct):
    understood: Understood
    matches: list[SupplierMatch]


class SupplierProfileController(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/supplier-profile"
    tags = ("supplier profiles",)

    @get(sync_to_thread=True, opt=public())
    def get_supplier_profile(self, marketplace: NamedDependency[Marketplace],
                             organisation_id: FromPath[UUID]) -> SupplierProfileView:
        """A supplier's published profile."""
        return _profile(marketplace, organisation_id)

    @put(sync_to_thread=True)
    def publish_supplier_profile(
            self, request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
            organisation_id: FromPath[UUID], data: JSONBody[SupplierProfileDocument],
    ) -> SupplierProfileView:
        """Publish my supplier profile, or replace the whole of it (suppliers only)."""
        _require_self(request, marketplace, organisation_id)
        marketplace.publish_supplier_profile(organisation_id, **msgspec.structs.asdict(data))
        return _profile(marketplace, organisation_id)

    @patch(sync_to_thread=True)
    def change_supplier_profile(
            self, request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
            organisation_id: FromPath[UUID], data: JSONBody[SupplierProfileChange],
    ) -> SupplierProfileView:
        """Replace some fields of my published supplier profile."""
        _require_self(request, marketplace, organisation_id)
        changes = {name: value for name, value in msgspec.structs.asdict(data).items()
                   if value is not msgspec.UNSET}
        marketplace.publish_supplier_profile(organisation_id, **changes)
        return _profile(marketplace, organisation_id)


@get("/api/v1/vocabulary", sync_to_thread=False, tags=["supplier profiles"], opt=public())
def vocabulary() -> VocabularyView:
    """Processes, materials, certifications and industries, with Japanese and English names."""
    def terms(kind: Kind) -> list[VocabularyTerm]:
        return [VocabularyTerm(t.code, t.label_en, t.label_ja, list(t.synonyms), t.broader)
                for t in VOCABULARIES[kind].terms]
    return VocabularyView(processes=terms(Kind.PROCESS), materials=terms(Kind.MATERIAL),
                          certifications=terms(Kind.CERTIFICATION),
                          industries=terms(Kind.INDUSTRY))


Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]


@get("/api/v1/suppliers/matches", sync_to_thread=True, tags=["matching"])
def match_suppliers(
        request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
        q: FromQuery[str] = "", prefecture: FromQuery[str | None] = None,
        process: FromQuery[list[str] | None] = None,
        material: FromQuery[list[str] | None] = None,
        certification: FromQuery[list[str] | None] = None, limit: Limit = 20,
) -> SupplierMatches:
    """Suppliers that fit what you need, best first, and why. ``certification`` is required
    (suppliers without it are left out); ``process`` and ``material`` add to what ``q`` says."""
    me = acting_organisation(request, marketplace)
    return _matches(marketplace, MatchQuery(
        text=q, prefecture=prefecture or None, processes=frozenset(process or ()),
        materials=frozenset(material or ()), certifications=frozenset(certification or ()),
        exclude=frozenset({me}), limit=limit))


@get("/api/v1/needs/{need_id:uuid}/matches", sync_to_thread=True, tags=["matching"])
def match_need(request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
               need_id: FromPath[UUID], limit: Limit = 20) -> SupplierMatches:
    """Suppliers for one of my needs (other buyers' needs are private: 404)."""
    me = acting_organisation(request, marketplace)
    return _matches(marketplace, marketplace.matching.query_for_need(me, need_id, limit=limit))


def _matches(marketplace: Marketplace, query: MatchQuery) -> SupplierMatches:
    need = analyse(query)
    understood = Understood(*([TermView.of(kind, code) for code in sorted(need.wanted(kind))]
                              for kind in Kind))
    return SupplierMatches(understood=understood, matches=marketplace.matching.match(query))


def _require_self(request: Request[Any, Any, Any], marketplace: Marketplace,
                  organisation_id: UUID) -> None:
    if acting_organisation(request, marketplace) != organisation_id:
        raise PermissionDeniedException(
            "an organisation may publish only its own supplier profile")


def _profile(marketplace: Marketplace, organisation_id: UUID) -> SupplierProfileView:
    view = marketplace.supplier_profiles.get(organisation_id)
    if view is None:
        raise SupplierProfileNotFoundError(
            f"organisation {organisation_id} has not published a supplier profile")
    return view
