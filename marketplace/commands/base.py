"""What every group of commands shares: loading aggregates by id and seeing organisations."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from events import LedgerApplication
from marketplace.domain import NotFoundError, Organisation
from marketplace.domain.eligibility import Participant
from marketplace.domain.lot import Lot
from marketplace.domain.need import Need

A = TypeVar("A", bound=Aggregate)


class OrganisationNotFoundError(NotFoundError):
    """No organisation has this id."""


class LotNotFoundError(NotFoundError):
    """No lot has this id (or the caller may not see it)."""


class NeedNotFoundError(NotFoundError):
    """No need of the caller's has this id (other buyers' needs are private)."""


class Commands(LedgerApplication):
    """The base of the marketplace's command groups (mixed into ``Marketplace``)."""

    def _load(self, kind: type[A], aggregate_id: UUID, missing: type[NotFoundError],
              what: str) -> A:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, kind):
            raise missing(f"no {what} has id {aggregate_id}")
        return aggregate

    def _organisation(self, organisation_id: UUID) -> Organisation:
        return self._load(Organisation, organisation_id, OrganisationNotFoundError,
                          "organisation")

    def _participant(self, organisation_id: UUID) -> Participant:
        profile = self._organisation(organisation_id).profile
        return Participant(organisation_id, roles=profile.roles, prefecture=profile.prefecture,
                           clusters=frozenset(profile.clusters))

    def _lot(self, lot_id: UUID) -> Lot:
        return self._load(Lot, lot_id, LotNotFoundError, "lot")

    def _own_need(self, buyer_id: UUID, need_id: UUID) -> Need:
        need = self._load(Need, need_id, NeedNotFoundError, "need of yours")
        if need.buyer_id != buyer_id:
            raise NeedNotFoundError(f"no need of yours has id {need_id}")
        return need
