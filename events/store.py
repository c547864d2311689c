"""The event store: eventsourcing-sqlalchemy on the shared engine, tables owned by alembic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.utils import Environment
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.models import Base as EventStoreBase  # type: ignore[attr-defined]
from eventsourcing_sqlalchemy.models import (  # type: ignore[attr-defined]
    NotificationTrackingRecord,
    SnapshotRecord,
    StoredEventRecord,
)
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy.orm import Session, sessionmaker

from events.database import engine_for, in_write_transaction

#: The metadata holding the event store's tables, for alembic.
event_store_metadata: sa.MetaData = EventStoreBase.metadata


class LedgerRecorder(SQLAlchemyApplicationRecorder):
    """The library's recorder, reading with SQLAlchemy Core rather than ORM queries.

    Loading an aggregate and replaying the ledger are the hot reads of every command; Core
    does them at a fraction of the ORM's cost per row, with the same SQL.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = self.events_record_cls.__table__
        # The hot read: an aggregate's events after a version (a cached aggregate's
        # fast-forward, or a whole history from version 0), built once.
        self._events_after = (
            sa.select(table.c.originator_id, table.c.originator_version, table.c.topic,
                      table.c.state)
            .where(table.c.originator_id == sa.bindparam("originator_id"),
                   table.c.originator_version > sa.bindparam("gt"))
            .order_by(table.c.originator_version))

    def select_events(self, originator_id: UUID | str, gt: int | None = None,
                      lte: int | None = None, desc: bool = False,
                      limit: int | None = None) -> list[StoredEvent]:
        if lte is None and not desc and limit is None:
            with self.transaction(commit=False) as session:
                rows = session.connection().execute(
                    self._events_after, {"originator_id": originator_id, "gt": gt or 0}).all()
            return _stored_events(rows)
        table = self.events_record_cls.__table__
        query = sa.select(table.c.originator_id, table.c.originator_version, table.c.topic,
                          table.c.state).where(table.c.originator_id == originator_id)
        if gt is not None:
            query = query.where(table.c.originator_version > gt)
        if lte is not None:
            query = query.where(table.c.originator_version <= lte)
        version = table.c.originator_version
        query = query.order_by(version.desc() if desc else version).limit(limit)
        with self.transaction(commit=False) as session:
            rows = session.connection().execute(query).all()
        return _stored_events(rows)

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *,
                             inclusive_of_start: bool = True) -> list[Notification]:
        table = self.events_record_cls.__table__
        query = sa.select(table.c.id, table.c.originator_id, table.c.originator_version,
                          table.c.topic, table.c.state)
        if start is not None:
            query = query.where(table.c.id >= start if inclusive_of_start else table.c.id > start)
        if stop is not None:
            query = query.where(table.c.id <= stop)
        if topics:
            query = query.where(table.c.topic.in_(topics))
        query = query.order_by(table.c.id).limit(limit)
        with self.transaction(commit=False) as session:
            rows = session.connection().execute(query).all()
        return [Notification(id=row[0], originator_id=row[1], originator_version=row[2],
                             topic=row[3], state=bytes(row[4])) for row in rows]


    def _lock_table(self, session: Session) -> None:
        # LedgerApplication.transaction() took this lock when the transaction began.
        if not in_write_transaction():
            super()._lock_table(session)


def _stored_events(rows: Sequence[Any]) -> list[StoredEvent]:
    return [StoredEvent(originator_id=row[0], originator_version=row[1], topic=row[2],
                        state=bytes(row[3])) for row in rows]


class LedgerFactory(SQLAlchemyFactory):
    """eventsourcing-sqlalchemy's factory, bound to the process's shared engine for the URL."""

    application_recorder_class = LedgerRecorder

    def __init__(self, env: Environment):
        # Skip SQLAlchemyFactory.__init__, which would create a second engine of its own.
        super(SQLAlchemyFactory, self).__init__(env)
        self._schema_name = None
        url = self.env.get(self.SQLALCHEMY_URL)
        if not url:
            raise ValueError("the ledger needs SQLALCHEMY_URL")
        self.datastore = SQLAlchemyDatastore(
            session_maker=sessionmaker(bind=engine_for(url), expire_on_commit=False))


def ledger_env(url: str) -> dict[str, str]:
    """The eventsourcing environment of the ledger application on this database."""
    return {
        "PERSISTENCE_MODULE": f"{LedgerFactory.__module__}:{LedgerFactory.__qualname__}",
        "SQLALCHEMY_URL": url,
        "CREATE_TABLE": "no",
    }


def event_store_tables(application_name: str) -> dict[str, sa.Table]:
    """Declares the event, snapshot and tracking tables of the named application.

    The names follow eventsourcing-sqlalchemy's own rule (the application's name, lower-cased,
    then ``_events``, ``_snapshots`` and ``_tracking``) so alembic creates exactly what the
    recorder expects.
    """
    prefix = application_name.lower()
    define: Any = SQLAlchemyDatastore.define_record_class
    records = {
        "events": define(f"{application_name}Event", f"{prefix}_events", None, StoredEventRecord),
        "snapshots": define(f"{application_name}Snapshot", f"{prefix}_snapshots", None,
                            SnapshotRecord),
        "tracking": define("NotificationTrackingRecord", f"{prefix}_tracking", None,
                           NotificationTrackingRecord),
    }
    return {purpose: record.__table__ for purpose, record in records.items()}
