"""Time travel: any record of the ledger as it stood at a ledger position or an instant, and
its timeline, entry by entry.

The past state is the aggregate replayed from its own events up to that point: the ledger
decides it, never a read model. Sealed offers stay sealed: while a lot or an RFQ has not
closed, nobody, auditors included, sees its bids or quotes here (``revealed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from events import LedgerApplication, event_store_tables, reading
from marketplace.audit.event_summaries import OrganisationNames, Summariser, Summary
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.domain.sealed_round import SealedRound


class TimeTravelError(RuleViolationError):
    """A point of the ledger's history at which the record cannot be shown."""


class PointInvalidError(TimeTravelError):
    """A ledger position is a whole number from 1; an instant is a date and time with its time
    zone."""


class PastLedgerEndError(TimeTravelError):
    """A ledger position after the last recorded event."""


class InstantInFutureError(TimeTravelError):
    """An instant that has not come yet: the ledger holds only what has happened."""


class NotYetRecordedError(TimeTravelError):
    """The record did not exist yet at that point of the ledger."""


class RecordNotFoundError(NotFoundError):
    """No record on the ledger has this id."""


#: How a record's first event is told: "lot X ... it was opened at ...".
_CREATION = {"Lot": ("lot", "opened"), "Rfq": ("RFQ", "issued"), "Need": ("need", "posted"),
             "Organisation": ("organisation", "registered")}


@dataclass(frozen=True)
class PastState:
    """A record as it stood after its last event at or before the point asked for."""

    aggregate: Any
    position: int
    """The ledger position of the last of its events included."""
    revealed: bool
    """Whether sealed offers may be shown: its round has closed by now (always, for records
    that hold none)."""
    asked_position: int | None = None
    asked_at: datetime | None = None

    @property
    def kind(self) -> str:
        return type(self.aggregate).__name__

    @property
    def version(self) -> int:
        return int(self.aggregate.version)

    @property
    def recorded_at(self) -> datetime:
        modified: datetime = self.aggregate.modified_on
        return modified


@dataclass(frozen=True)
class Entry:
    """One event of a record's timeline."""

    position: int
    version: int
    recorded_at: datetime
    event_type: str
    """The event's class as the ledger names it, e.g. ``Lot.NeedPooled``."""
    summary: Summary


def state_at(app: LedgerApplication, aggregate_id: UUID, *, position: int | None = None,
             at: datetime | None = None) -> PastState:
    """The record after its last event at or before ledger ``position``, or recorded at or
    before the instant ``at``; its latest state when neither is given."""
    if position is not None and at is not None:
        raise PointInvalidError("give a ledger position or an instant, not both")
    if position is not None:
        version, included = _version_at_position(app, aggregate_id, position)
    elif at is not None:
        version, included = _version_at_instant(app, aggregate_id, at)
    else:
        version, included = _latest(app, aggregate_id)
    # With a version the repository replays from the store and bypasses its cache, so the
    # commands' cached aggregates never hold an old version.
    aggregate: Any = app.repository.get(aggregate_id, version=version)
    return PastState(aggregate, included, _revealed(app, aggregate_id), position, at)


def timeline(app: LedgerApplication, aggregate_id: UUID,
             names: OrganisationNames | None = None) -> list[Entry]:
    """Every event of the record in order, each with a one-line summary (sealed offers
    summarised without their content while the round is not closed)."""
    rows = _rows(app, aggregate_id)
    if not rows:
        raise _not_found(aggregate_id)
    events = [_decode(app, aggregate_id, row) for row in rows]
    names = names or OrganisationNames(app)
    names.prefetch(_organisation_ids(events))
    summarise = Summariser(names, _revealed(app, aggregate_id))
    return [Entry(row.id, row.originator_version, event.timestamp, type(event).__qualname__,
                  summarise(event)) for row, event in zip(rows, events, strict=True)]


def positions(app: LedgerApplication, aggregate_id: UUID) -> list[int]:
    """The ledger positions of the record's events, in order."""
    table = _events(app)
    with reading(app.engine) as connection:
        return list(connection.execute(
            sa.select(table.c.id).where(table.c.originator_id == aggregate_id)
            .order_by(table.c.originator_version)).scalars())


def recorded_event(app: LedgerApplication, aggregate_id: UUID, event_class: type, *,
                   upto: int) -> Any | None:
    """The record's last event of ``event_class`` at or before version ``upto``, or None."""
    table = _events(app)
    with reading(app.engine) as connection:
        row = connection.execute(
            sa.select(table.c.id, table.c.originator_version, table.c.topic, table.c.state)
            .where(table.c.originator_id == aggregate_id,
                   table.c.topic == get_topic(event_class),
                   table.c.originator_version <= upto)
            .order_by(table.c.originator_version.desc()).limit(1)).first()
    return None if row is None else _decode(app, aggregate_id, row)


# ---- finding the version -------------------------------------------------------------------

def _version_at_position(app: LedgerApplication, aggregate_id: UUID,
                         position: int) -> tuple[int, int]:
    if position < 1:
        raise PointInvalidError(f"ledger positions start at 1; {position} is not one")
    end = app.position()
    if position > end:
        raise PastLedgerEndError(f"position {position} is past the end of the ledger; its "
                                 f"last position is {end}")
    table = _events(app)
    upto = table.c.id <= position
    # One read of the record's rows through its (originator_id, version) index: where it was
    # created, and its last event at or before the position (ids and versions rise together).
    query = (sa.select(sa.func.min(table.c.id),
                       sa.func.max(sa.case((upto, table.c.originator_version))),
                       sa.func.max(sa.case((upto, table.c.id))))
             .where(table.c.originator_id == aggregate_id))
    with reading(app.engine) as connection:
        created, version, included = connection.execute(query).one()
    if created is None:
        raise _not_found(aggregate_id)
    if version is None:
        noun, verb = _creation(app, aggregate_id)
        raise NotYetRecordedError(f"{noun} {aggregate_id} did not exist yet at position "
                                  f"{position}; it was {verb} at position {created}")
    return int(version), int(included)


def _latest(app: LedgerApplication, aggregate_id: UUID) -> tuple[int, int]:
    table = _events(app)
    query = (sa.select(sa.func.max(table.c.originator_version), sa.func.max(table.c.id))
             .where(table.c.originator_id == aggregate_id))
    with reading(app.engine) as connection:
        version, included = connection.execute(query).one()
    if version is None:
        raise _not_found(aggregate_id)
    return int(version), int(included)


def _version_at_instant(app: LedgerApplication, aggregate_id: UUID,
                        at: datetime) -> tuple[int, int]:
    if at.tzinfo is None:
        raise PointInvalidError(f"give the instant {at.isoformat()} with its time zone, e.g. "
                                "2026-11-20T09:00:00+09:00")
    now = app.clock()
    if at > now:
        raise InstantInFutureError(f"{at.isoformat()} has not come yet (it is now "
                                   f"{now.isoformat(timespec='seconds')}); the ledger holds "
                                   "only what has happened")
    rows = _rows(app, aggregate_id)
    if not rows:
        raise _not_found(aggregate_id)
    found: tuple[int, int] | None = None
    for row in rows:
        timestamp = _decode(app, aggregate_id, row).timestamp
        if timestamp > at:
            if found is None:
                noun, verb = _creation(app, aggregate_id, rows[0])
                raise NotYetRecordedError(
                    f"{noun} {aggregate_id} did not exist yet at {at.isoformat()}; it was "
                    f"{verb} at {timestamp.astimezone(at.tzinfo).isoformat()} (position "
                    f"{row.id})")
            break
        found = row.originator_version, row.id
    assert found is not None  # noqa: S101 (the loop ran over at least one row)
    return found


def _revealed(app: LedgerApplication, aggregate_id: UUID) -> bool:
    current: Any = app.repository.get(aggregate_id)
    return not isinstance(current, SealedRound) or current.closed


# ---- the record's rows ---------------------------------------------------------------------

def _events(app: LedgerApplication) -> sa.Table:
    return event_store_tables(app.name)["events"]


def _rows(app: LedgerApplication, aggregate_id: UUID, limit: int | None = None
          ) -> Sequence[Any]:
    table = _events(app)
    with reading(app.engine) as connection:
        return connection.execute(
            sa.select(table.c.id, table.c.originator_version, table.c.topic, table.c.state)
            .where(table.c.originator_id == aggregate_id)
            .order_by(table.c.originator_version).limit(limit)).all()


def _decode(app: LedgerApplication, aggregate_id: UUID, row: Any) -> Any:
    return app.mapper.to_domain_event(StoredEvent(
        originator_id=aggregate_id, originator_version=row.originator_version,
        topic=row.topic, state=bytes(row.state)))


def _creation(app: LedgerApplication, aggregate_id: UUID,
              first: Any | None = None) -> tuple[str, str]:
    if first is None:
        first = _rows(app, aggregate_id, limit=1)[0]
    kind = type(_decode(app, aggregate_id, first)).__qualname__.split(".")[0]
    return _CREATION.get(kind, (kind.lower(), "created"))


def _organisation_ids(events: list[Any]) -> set[UUID]:
    """Every id an event names in a field of an organisation (``buyer_id``, ``supplier_ids``,
    ...): the names its summary may show."""
    found: set[UUID] = set()
    for event in events:
        for name, value in vars(event).items():
            if name in _ORGANISATION_FIELDS:
                found.update(value if isinstance(value, list) else [value])
    return {value for value in found if isinstance(value, UUID)}


_ORGANISATION_FIELDS = frozenset({"organiser_id", "buyer_id", "supplier_id", "member_id",
                                  "supplier_ids"})


def _not_found(aggregate_id: UUID) -> RecordNotFoundError:
    return RecordNotFoundError(f"no record on the ledger has id {aggregate_id}; give the id of "
                               "a lot, an RFQ, a need or an organisation")
