"""Organisations: the companies of a cluster, as buyers, suppliers or both."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from marketplace.domain.errors import NotFoundError, RuleViolationError
from marketplace.domain.prefectures import Prefecture
from marketplace.domain.supplier_profile import NotASupplierError, SupplierProfile

MAX_NAME_LENGTH = 120
MAX_CAPABILITY_LENGTH = 40
MAX_CAPABILITIES = 30
MAX_CLUSTER_LENGTH = 60
MAX_CLUSTERS = 10
MAX_TOKEN_LABEL_LENGTH = 80


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


class ClusterNameInvalidError(RuleViolationError):
    """A cluster name that is empty or too long."""


class TooManyClustersError(RuleViolationError):
    """More clusters than an organisation could take part in."""


class ApiTokenLabelTooLongError(RuleViolationError):
    """A token label longer than a person would read in a list."""


class ApiTokenNotFoundError(NotFoundError):
    """The organisation never issued a token with this id."""


class ApiTokenAlreadyRevokedError(RuleViolationError):
    """A revoked token stays revoked; revoking it again changes nothing."""


@dataclass(frozen=True)
class Profile:
    """What an organisation says about itself: names, roles, home prefecture, capabilities,
    and the clusters it belongs to (a lot may later be open to one cluster only)."""

    name_ja: str | None
    name_en: str | None
    roles: frozenset[Role]
    prefecture: Prefecture
    capabilities: tuple[str, ...]
    clusters: tuple[str, ...] = ()

    @classmethod
    def create(cls, *, name_ja: str | None, name_en: str | None, roles: Any,
               prefecture: str, capabilities: Any = (), clusters: Any = ()) -> Profile:
        """Validates and normalises a profile; raises a RuleViolationError naming the rule."""
        profile = cls(
            name_ja=_name(name_ja, "Japanese"),
            name_en=_name(name_en, "English"),
            roles=_roles(roles),
            prefecture=Prefecture.parse(prefecture),
            capabilities=_capabilities(capabilities),
            clusters=_clusters(clusters),
        )
        if profile.name_ja is None and profile.name_en is None:
            raise OrganisationNameMissingError(
                "give the organisation a name in Japanese (name_ja), in English (name_en), or both")
        return profile

    def changed(self, **changes: Any) -> Profile:
        """This profile with some fields replaced, validated as a whole."""
        current: dict[str, Any] = {
            "name_ja": self.name_ja, "name_en": self.name_en, "roles": self.roles,
            "prefecture": self.prefecture.code, "capabilities": self.capabilities,
            "clusters": self.clusters}
        current.update(changes)
        return Profile.create(**current)

    def __deepcopy__(self, memo: dict[int, Any]) -> Profile:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"name_ja": self.name_ja, "name_en": self.name_en,
                "roles": sorted(self.roles), "prefecture": self.prefecture.code,
                "capabilities": list(self.capabilities), "clusters": list(self.clusters)}


class Organisation(Aggregate):
    """A company of the cluster: it buys, supplies, or both, and acts through API tokens."""

    class Registered(Aggregate.Created):
        name_ja: str | None
        name_en: str | None
        roles: list[str]
        prefecture: str
        capabilities: list[str]
        clusters: list[str]

    class ProfileUpdated(Aggregate.Event):
        changes: dict[str, Any]
        """Only the fields that changed, in the form of ``Registered``'s fields."""

    class ApiTokenIssued(Aggregate.Event):
        token_id: UUID
        token_hash: str
        label: str | None
        """Absent from tokens issued before labels existed."""

    class ApiTokenRevoked(Aggregate.Event):
        token_id: UUID

    class SupplierProfilePublished(Aggregate.Event):
        changes: dict[str, Any]
        """Only the fields that changed (all of them the first time), as in ``as_event_data``."""

    #: None until the organisation publishes one (and in organisations recorded before).
    supplier_profile: SupplierProfile | None = None

    @classmethod
    def register(cls, profile: Profile, *, at: datetime) -> Organisation:
        return cls._create(cls.Registered, timestamp=at, **profile.as_event_data())

    def __init__(self, name_ja: str | None, name_en: str | None, roles: list[str],
                 prefecture: str, capabilities: list[str],
                 clusters: list[str] | None = None) -> None:
        # ``clusters`` is None in Registered events recorded before clusters existed.
        self.profile = _profile_from_event_data(
            {"name_ja": name_ja, "name_en": name_en, "roles": roles, "prefecture": prefecture,
             "capabilities": capabilities, "clusters": clusters or []})
        self.live_api_tokens: set[UUID] = set()
        self.revoked_api_tokens: set[UUID] = set()

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

    def publish_supplier_profile(self, *, at: datetime, **changes: Any) -> bool:
        """Publishes the supplier profile, or replaces the given fields of the published one;
        returns False (and records nothing) if none change."""
        if Role.SUPPLIER not in self.profile.roles:
            raise NotASupplierError(
                "only a supplier publishes a supplier profile; add 'supplier' to the "
                "organisation's roles first")
        before = self.supplier_profile.as_event_data() if self.supplier_profile else {}
        after = (self.supplier_profile.changed(**changes) if self.supplier_profile
                 else SupplierProfile.create(**changes)).as_event_data()
        changed = {name: value for name, value in after.items()
                   if name not in before or before[name] != value}
        if not changed:
            return False
        self.trigger_event(self.SupplierProfilePublished, timestamp=at, changes=changed)
        return True

    @event(SupplierProfilePublished)
    def _supplier_profile_published(self, changes: dict[str, Any]) -> None:
        before = self.supplier_profile.as_event_data() if self.supplier_profile else {}
        self.supplier_profile = SupplierProfile.from_event_data({**before, **changes})

    def issue_api_token(self, token_id: UUID, token_hash: str, *, at: datetime,
                        label: str | None = None) -> None:
        """Records the hash of a new API token; the token itself is never stored."""
        self.trigger_event(self.ApiTokenIssued, timestamp=at, token_id=token_id,
                           token_hash=token_hash, label=_token_label(label))

    @event(ApiTokenIssued)
    def _api_token_issued(self, token_id: UUID, token_hash: str,
                          label: str | None = None) -> None:
        # The read model keeps the hashes; the aggregate needs only which tokens are live.
        self.live_api_tokens.add(token_id)

    def revoke_api_token(self, token_id: UUID, *, at: datetime) -> None:
        """Stops a token from acting for this organisation, from now on."""
        if token_id in self.revoked_api_tokens:
            raise ApiTokenAlreadyRevokedError(f"API token {token_id} is already revoked")
        if token_id not in self.live_api_tokens:
            raise ApiTokenNotFoundError(
                f"this organisation has no API token with id {token_id}; "
                "list its tokens to find the id")
        self.trigger_event(self.ApiTokenRevoked, timestamp=at, token_id=token_id)

    @event(ApiTokenRevoked)
    def _api_token_revoked(self, token_id: UUID) -> None:
        self.live_api_tokens.discard(token_id)
        self.revoked_api_tokens.add(token_id)


def _profile_from_event_data(data: dict[str, Any]) -> Profile:
    # Events were validated when decided; replay trusts them and only rebuilds the values.
    return Profile(name_ja=data["name_ja"], name_en=data["name_en"],
                   roles=frozenset(Role(role) for role in data["roles"]),
                   prefecture=Prefecture.parse(data["prefecture"]),
                   capabilities=tuple(data["capabilities"]),
                   clusters=tuple(data["clusters"]))


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
    return _tags(values, max_length=MAX_CAPABILITY_LENGTH, max_count=MAX_CAPABILITIES,
                 invalid=lambda v: CapabilityTagInvalidError(
                     f"capability tag {v!r} must have 1 to {MAX_CAPABILITY_LENGTH} characters"),
                 too_many=lambda n: TooManyCapabilitiesError(
                     f"{n} capability tags given; keep the {MAX_CAPABILITIES} that matter most"))


def _clusters(values: Any) -> tuple[str, ...]:
    return _tags(values, max_length=MAX_CLUSTER_LENGTH, max_count=MAX_CLUSTERS,
                 invalid=lambda v: ClusterNameInvalidError(
                     f"cluster name {v!r} must have 1 to {MAX_CLUSTER_LENGTH} characters"),
                 too_many=lambda n: TooManyClustersError(
                     f"{n} clusters given; an organisation belongs to at most {MAX_CLUSTERS}, "
                     "so keep the ones it trades in"))


def _tags(values: Any, *, max_length: int, max_count: int,
          invalid: Callable[[Any], RuleViolationError],
          too_many: Callable[[int], RuleViolationError]) -> tuple[str, ...]:
    """Normalised, de-duplicated, sorted tags, each 1 to ``max_length`` long, few enough."""
    tags = set()
    for value in values or ():
        tag = normalise_capability(str(value))
        if not tag or len(tag) > max_length:
            raise invalid(value)
        tags.add(tag)
    if len(tags) > max_count:
        raise too_many(len(tags))
    return tuple(sorted(tags))


def _token_label(value: str | None) -> str | None:
    if value is None:
        return None
    label = " ".join(value.split())
    if len(label) > MAX_TOKEN_LABEL_LENGTH:
        raise ApiTokenLabelTooLongError(
            f"the token label has {len(label)} characters; shorten it to at most "
            f"{MAX_TOKEN_LABEL_LENGTH}")
    return label or None
