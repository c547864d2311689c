"""Organisations: the companies of a cluster, as buyers, suppliers or both."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from marketplace.domain.errors import RuleViolationError
from marketplace.domain.prefectures import Prefecture

MAX_NAME_LENGTH = 120
MAX_CAPABILITY_LENGTH = 40
MAX_CAPABILITIES = 30


class Role(StrEnum):
    BUYER = "buyer"
    SUPPLIER = "supplier"


class OrganisationNameMissingError(RuleViolationError):
    """An organisation needs a name in Japanese, in English, or both."""


class OrganisationNameTooLongError(RuleViolationError):
    """A name longer than a person could print on an invoice."""


class OrganisationRoleMissingError(RuleViolationError):
    """An organisation must buy, supply, or both."""


class UnknownRoleError(RuleViolationError):
    """Only buyer and supplier are roles of an organisation."""


class CapabilityTagInvalidError(RuleViolationError):
    """A capability tag that is empty or too long."""


class TooManyCapabilitiesError(RuleViolationError):
    """More capability tags than a buyer could read through."""


@dataclass(frozen=True)
class Profile:
    """What an organisation says about itself: names, roles, home prefecture, capabilities."""

    name_ja: str | None
    name_en: str | None
    roles: frozenset[Role]
    prefecture: Prefecture
    capabilities: tuple[str, ...]

    @classmethod
    def create(cls, *, name_ja: str | None, name_en: str | None, roles: Any,
               prefecture: str, capabilities: Any = ()) -> Profile:
        """Validates and normalises a profile; raises a RuleViolationError naming the rule."""
        profile = cls(
            name_ja=_name(name_ja, "Japanese"),
            name_en=_name(name_en, "English"),
            roles=_roles(roles),
            prefecture=Prefecture.parse(prefecture),
            capabilities=_capabilities(capabilities),
        )
        if profile.name_ja is None and profile.name_en is None:
            raise OrganisationNameMissingError(
                "give the organisation a name in Japanese (name_ja), in English (name_en), or both")
        return profile

    def changed(self, **changes: Any) -> Profile:
        """This profile with some fields replaced, validated as a whole."""
        current: dict[str, Any] = {
            "name_ja": self.name_ja, "name_en": self.name_en, "roles": self.roles,
            "prefecture": self.prefecture.code, "capabilities": self.capabilities}
        current.update(changes)
        return Profile.create(**current)

    def __deepcopy__(self, memo: dict[int, Any]) -> Profile:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"name_ja": self.name_ja, "name_en": self.name_en,
                "roles": sorted(self.roles), "prefecture": self.prefecture.code,
                "capabilities": list(self.capabilities)}


class Organisation(Aggregate):
    """A company of the cluster: it buys, supplies, or both, and acts through API tokens."""

    class Registered(Aggregate.Created):
        name_ja: str | None
        name_en: str | None
        roles: list[str]
        prefecture: str
        capabilities: list[str]

    class ProfileUpdated(Aggregate.Event):
        changes: dict[str, Any]
        """Only the fields that changed, in the form of ``Registered``'s fields."""

    class ApiTokenIssued(Aggregate.Event):
        token_id: UUID
        token_hash: str

    @classmethod
    def register(cls, profile: Profile, *, at: datetime) -> Organisation:
        return cls._create(cls.Registered, timestamp=at, **profile.as_event_data())

    def __init__(self, name_ja: str | None, name_en: str | None, roles: list[str],
                 prefecture: str, capabilities: list[str]) -> None:
        self.profile = _profile_from_event_data(
            {"name_ja": name_ja, "name_en": name_en, "roles": roles, "prefecture": prefecture,
             "capabilities": capabilities})

    def update_profile(self, *, at: datetime, **changes: Any) -> bool:
        """Replaces the given profile fields; returns False (and records nothing) if none change."""
        before = self.profile.as_event_data()
        after = self.profile.changed(**changes).as_event_data()
        changed = {name: value for name, value in after.items() if before[name] != value}
        if not changed:
            return False
        self.trigger_event(self.ProfileUpdated, timestamp=at, changes=changed)
        return True

    @event(ProfileUpdated)
    def _profile_updated(self, changes: dict[str, Any]) -> None:
        self.profile = _profile_from_event_data({**self.profile.as_event_data(), **changes})

    def issue_api_token(self, token_id: UUID, token_hash: str, *, at: datetime) -> None:
        """Records the hash of a new API token; the token itself is never stored."""
        self.trigger_event(self.ApiTokenIssued, timestamp=at, token_id=token_id,
                           token_hash=token_hash)

    @event(ApiTokenIssued)
    def _api_token_issued(self, token_id: UUID, token_hash: str) -> None:
        pass  # the read model keeps the hashes; no decision of the aggregate needs them yet


def _profile_from_event_data(data: dict[str, Any]) -> Profile:
    # Events were validated when decided; replay trusts them and only rebuilds the values.
    return Profile(name_ja=data["name_ja"], name_en=data["name_en"],
                   roles=frozenset(Role(role) for role in data["roles"]),
                   prefecture=Prefecture.parse(data["prefecture"]),
                   capabilities=tuple(data["capabilities"]))


def _name(value: str | None, language: str) -> str | None:
    if value is None:
        return None
    name = " ".join(value.split())
    if len(name) > MAX_NAME_LENGTH:
        raise OrganisationNameTooLongError(
            f"the {language} name has {len(name)} characters; shorten it to at most "
            f"{MAX_NAME_LENGTH}")
    return name or None


def _roles(values: Any) -> frozenset[Role]:
    roles = set()
    for value in values or ():
        try:
            roles.add(Role(str(value).strip().lower()))
        except ValueError:
            raise UnknownRoleError(
                f"{value!r} is not a role; an organisation is a buyer, a supplier, or both"
            ) from None
    if not roles:
        raise OrganisationRoleMissingError(
            "say whether the organisation is a buyer, a supplier, or both (roles)")
    return frozenset(roles)


def normalise_capability(text: str) -> str:
    """The canonical form of a capability tag: NFKC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _capabilities(values: Any) -> tuple[str, ...]:
    tags = set()
    for value in values or ():
        tag = normalise_capability(str(value))
        if not tag or len(tag) > MAX_CAPABILITY_LENGTH:
            raise CapabilityTagInvalidError(
                f"capability tag {value!r} must have 1 to {MAX_CAPABILITY_LENGTH} characters")
        tags.add(tag)
    if len(tags) > MAX_CAPABILITIES:
        raise TooManyCapabilitiesError(
            f"{len(tags)} capability tags given; keep the {MAX_CAPABILITIES} that matter most")
    return tuple(sorted(tags))


