"""The marketplace's use cases: each public method is one command on the ledger."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from events import Clock, LedgerApplication, system_clock
from marketplace.domain import NotFoundError, Organisation, Profile
from marketplace.readmodels import OrganisationQueries, build_projectors, hash_api_token

API_TOKEN_PREFIX = "kyodo_"  # noqa: S105 (a prefix that makes leaked tokens greppable)
PROFILE_FIELDS = frozenset({"name_ja", "name_en", "roles", "prefecture", "capabilities"})


class OrganisationNotFoundError(NotFoundError):
    """No organisation has this id."""


@dataclass(frozen=True)
class Registration:
    organisation_id: UUID
    api_token: str
    """Shown once: only its hash is kept."""


class Marketplace(LedgerApplication):
    """Kyodo's one ledger application: every aggregate, every command, one global order."""

    name: ClassVar[str] = "Ledger"  # type: ignore[misc]

    def __init__(self, database_url: str, clock: Clock = system_clock) -> None:
        super().__init__(database_url, projectors=build_projectors(), clock=clock)
        self.organisations = OrganisationQueries(self.engine)

    def register_organisation(self, *, name_ja: str | None = None, name_en: str | None = None,
                              roles: Any, prefecture: str, capabilities: Any = ()) -> Registration:
        """Registers a company with its first API token."""
        profile = Profile.create(name_ja=name_ja, name_en=name_en, roles=roles,
                                 prefecture=prefecture, capabilities=capabilities)

        def decide() -> Registration:
            at = self.clock()
            organisation = Organisation.register(profile, at=at)
            token = _new_api_token()
            organisation.issue_api_token(uuid.uuid4(), hash_api_token(token), at=at)
            self.save(organisation)
            return Registration(organisation.id, token)
        return self.command(decide)

    def update_organisation_profile(self, organisation_id: UUID, **changes: Any) -> bool:
        """Replaces the given profile fields; returns whether anything changed."""
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise TypeError(f"not profile fields: {', '.join(sorted(unknown))}")

        def decide() -> bool:
            organisation = self._organisation(organisation_id)
            changed = organisation.update_profile(at=self.clock(), **changes)
            if changed:
                self.save(organisation)
            return changed
        return self.command(decide)

    def _organisation(self, organisation_id: UUID) -> Organisation:
        try:
            organisation: object = self.repository.get(organisation_id)
        except AggregateNotFoundError:
            raise OrganisationNotFoundError(f"no organisation has id {organisation_id}") from None
        if not isinstance(organisation, Organisation):
            raise OrganisationNotFoundError(f"no organisation has id {organisation_id}")
        return organisation


def _new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)
