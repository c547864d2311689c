"""The event store: eventsourcing-sqlalchemy on the shared engine, tables owned by alembic."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from eventsourcing.utils import Environment
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.models import Base as EventStoreBase  # type: ignore[attr-defined]
from eventsourcing_sqlalchemy.models import (  # type: ignore[attr-defined]
    NotificationTrackingRecord,
    SnapshotRecord,
    StoredEventRecord,
)
from sqlalchemy.orm import sessionmaker

from events.database import engine_for

#: The metadata holding the event store's tables, for alembic.
event_store_metadata: sa.MetaData = EventStoreBase.metadata


class LedgerFactory(SQLAlchemyFactory):
    """eventsourcing-sqlalchemy's factory, bound to the process's shared engine for the URL."""

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
