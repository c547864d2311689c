"""Who may take part in a lot: its cluster or its prefectures, and the roles each act needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from marketplace.domain.errors import NotPermittedError, RuleViolationError
from marketplace.domain.organisation import (
    MAX_CLUSTER_LENGTH,
    ClusterNameInvalidError,
    Role,
    normalise_capability,
)
from marketplace.domain.prefectures import Prefecture


class EligibilityMissingError(RuleViolationError):
    """A lot is open to a cluster, to prefectures, or to both; it names which."""


class NotEligibleError(NotPermittedError):
    """The organisation is outside the lot's cluster or prefectures."""


class NotABuyerError(NotPermittedError):
    """Only buyers post needs, open lots and pool needs."""


class NotASupplierError(NotPermittedError):
    """Only suppliers join lots and bid."""


@dataclass(frozen=True)
class Participant:
    """An organisation as a lot sees it: its id, roles, home prefecture and clusters."""

    organisation_id: UUID
    roles: frozenset[Role]
    prefecture: Prefecture
    clusters: frozenset[str]

    def require(self, role: Role, action: str) -> None:
        if role not in self.roles:
            error = NotABuyerError if role is Role.BUYER else NotASupplierError
            raise error(f"only {role}s {action}; add the {role} role to your organisation first")


@dataclass(frozen=True)
class Eligibility:
    """A lot is open to the members of one cluster, to firms of some prefectures, or both."""

    cluster: str | None
    prefectures: frozenset[Prefecture]

    @classmethod
    def create(cls, *, cluster: Any = None, prefectures: Any = ()) -> Eligibility:
        name = normalise_capability(str(cluster)) if cluster else None
        if name is not None and len(name) > MAX_CLUSTER_LENGTH:
            raise ClusterNameInvalidError(
                f"cluster name {cluster!r} has {len(name)} characters; no cluster's name is "
                f"longer than {MAX_CLUSTER_LENGTH}")
        parsed = frozenset(Prefecture.parse(str(p)) for p in prefectures or ())
        eligibility = cls(cluster=name or None, prefectures=parsed)
        if eligibility.cluster is None and not eligibility.prefectures:
            raise EligibilityMissingError(
                "say who may take part: a cluster, one or more prefectures, or both")
        return eligibility

    def admits(self, participant: Participant) -> bool:
        if self.cluster is not None and self.cluster not in participant.clusters:
            return False
        return not self.prefectures or participant.prefecture in self.prefectures

    def require(self, participant: Participant) -> None:
        if not self.admits(participant):
            raise NotEligibleError(
                f"this lot is open to {self.describe()}; your organisation is not among them")

    def describe(self) -> str:
        parts = []
        if self.cluster is not None:
            parts.append(f"members of the cluster {self.cluster!r}")
        if self.prefectures:
            names = ", ".join(sorted(p.name_en for p in self.prefectures))
            parts.append(f"firms in {names}")
        return " who are also ".join(parts)

    def __deepcopy__(self, memo: dict[int, Any]) -> Eligibility:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"cluster": self.cluster,
                "prefectures": sorted(p.code for p in self.prefectures)}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> Eligibility:
        return cls(cluster=data["cluster"],
                   prefectures=frozenset(Prefecture.parse(p) for p in data["prefectures"]))
