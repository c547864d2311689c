"""The JSON API, version 1: organisations."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from marketplace.application import Marketplace, OrganisationNotFoundError
from marketplace.domain import Prefecture, Role, normalise_capability
from marketplace.readmodels import OrganisationView
from web.auth import public, token_organisation
from web.idempotency import idempotent


class OrganisationRegistration(msgspec.Struct, forbid_unknown_fields=True):
    """A company's sign-up: a name in Japanese and/or English, its roles, where it is."""

    roles: list[str]
    prefecture: str
    name_ja: str | None = None
    name_en: str | None = None
    capabilities: list[str] = msgspec.field(default_factory=list)
    clusters: list[str] = msgspec.field(default_factory=list)


class OrganisationProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to replace; absent fields stay as they are, null clears a name."""

    name_ja: str | msgspec.UnsetType | None = msgspec.UNSET
    name_en: str | msgspec.UnsetType | None = msgspec.UNSET
    roles: list[str] | msgspec.UnsetType = msgspec.UNSET
    prefecture: str | msgspec.UnsetType = msgspec.UNSET
    capabilities: list[str] | msgspec.UnsetType = msgspec.UNSET
    clusters: list[str] | msgspec.UnsetType = msgspec.UNSET


class RegisteredOrganisation(msgspec.Struct):
    organisation: OrganisationView
    api_token: str
    """Shown once; keep it secret. Send it as `Authorization: Bearer <token>`."""


def acting_organisation(request: Request[Any, Any, Any], marketplace: Marketplace) -> UUID:
    """The organisation whose API token authorises this request (the guard checked it)."""
    return token_organisation(request)


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ("organisations",)

    @get(sync_to_thread=True, opt=public())
    def list_organisations(
        self, marketplace: NamedDependency[Marketplace],
        role: FromQuery[Role | None] = None,
        prefecture: FromQuery[str | None] = None,
        capability: FromQuery[str | None] = None,
        cluster: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[OrganisationView]:
        """Organisations by name; filter by role, prefecture, capability tag and cluster."""
        return marketplace.organisations.search(
            role=role, prefecture=Prefecture.parse(prefecture) if prefecture else None,
            capability=normalise_capability(capability) if capability else None,
            cluster=normalise_capability(cluster) if cluster else None,
            limit=limit, offset=offset)

    @post(status_code=HTTP_201_CREATED, sync_to_thread=True, opt=public())
    def register_organisation(
            self, request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
            data: JSONBody[OrganisationRegistration]) -> Response[RegisteredOrganisation]:
        """Register an organisation; the response carries its first API token, once."""
        def produce() -> tuple[int, RegisteredOrganisation]:
            registration = marketplace.register_organisation(**msgspec.structs.asdict(data))
            return HTTP_201_CREATED, RegisteredOrganisation(
                organisation=_get(marketplace, registration.organisation_id),
                api_token=registration.api_token)
        # Registration has no acting organisation yet: its keys share the anonymous scope.
        return idempotent(request, marketplace, None, data, produce)

    @get("/{organisation_id:uuid}", sync_to_thread=True, opt=public())
    def get_organisation(self, marketplace: NamedDependency[Marketplace],
                         organisation_id: FromPath[UUID]) -> OrganisationView:
        return _get(marketplace, organisation_id)

    @patch("/{organisation_id:uuid}", sync_to_thread=True)
    def update_organisation_profile(
            self, request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
            organisation_id: FromPath[UUID], data: JSONBody[OrganisationProfileUpdate],
    ) -> OrganisationView:
        """Update one's own profile (the API token must be this organisation's)."""
        if acting_organisation(request, marketplace) != organisation_id:
            raise PermissionDeniedException("an organisation may update only its own profile")
        changes = {name: value for name, value in msgspec.structs.asdict(data).items()
                   if value is not msgspec.UNSET}
        marketplace.update_organisation_profile(organisation_id, **changes)
        return _get(marketplace, organisation_id)


def _get(marketplace: NamedDependency[Marketplace],
                         organisation_id: FromPath[UUID]) -> OrganisationView:
    view = marketplace.organisations.get(organisation_id)
    if view is None:
        raise OrganisationNotFoundError(f"no organisation has id {organisation_id}")
    return view
