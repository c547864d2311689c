"""Checking that the read models are what a replay of the ledger makes of it.

The ledger is replayed through the same projectors into a scratch copy of the read-model
tables, inside one read transaction (so the live tables and the ledger are compared as of one
instant, while commands go on), and every table is compared with its copy in SQL, both ways.
The scratch copy is an attached temporary SQLite file, or on PostgreSQL a schema created in
the transaction and rolled back with it; the live tables are only read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent
from sqlalchemy.engine import Connection

from events.store import event_store_tables
from events.verify import BATCH, Problem, Progress, VerificationFailed, as_uuid
from marketplace.application import Marketplace

SCRATCH = "kyodo_verify_scratch"


def check_read_models(marketplace: Marketplace, progress: Progress | None = None,
                      total: int = 0) -> int:
    """Replays every entry into the scratch tables and compares; returns the entries replayed.
    Raises VerificationFailed naming the first table and row that differ."""
    tables = marketplace.projectors.tables
    with _scratch(marketplace) as connection:
        # The connection writes unqualified names to the scratch schema (the projectors'
        # own statements); the live tables are read under their schema's explicit name.
        live = _live_schema(connection)
        for table in tables:
            table.create(connection)
        replayed = _replay(marketplace, connection, live, progress, total)
        for table in tables:
            _compare(connection, table, live)
    return replayed


def _live_schema(connection: Connection) -> str:
    if connection.dialect.name == "sqlite":
        return "main"
    return str(connection.exec_driver_sql("SELECT current_schema()").scalar_one())


@contextmanager
def _scratch(marketplace: Marketplace) -> Iterator[Connection]:
    engine = marketplace.engine
    with engine.connect() as live:
        if engine.dialect.name == "sqlite":
            descriptor, path = tempfile.mkstemp(prefix="kyodo-verify-", suffix=".sqlite3")
            os.close(descriptor)
            try:
                live.exec_driver_sql(f"ATTACH DATABASE ? AS {SCRATCH}", (path,))
                live.commit()
                try:
                    with live.begin() as transaction:
                        yield live.execution_options(schema_translate_map={None: SCRATCH})
                        transaction.rollback()
                finally:
                    live.rollback()
                    live.exec_driver_sql(f"DETACH DATABASE {SCRATCH}")
                    live.commit()
            finally:
                os.unlink(path)
        else:
            with live.begin() as transaction:
                live.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                live.exec_driver_sql(f"CREATE SCHEMA {SCRATCH}")
                yield live.execution_options(schema_translate_map={None: SCRATCH})
                transaction.rollback()


def _replay(marketplace: Marketplace, connection: Connection, live: str,
            progress: Progress | None, total: int) -> int:
    events = event_store_tables(marketplace.name)["events"].to_metadata(sa.MetaData(),
                                                                      schema=live)
    query = (sa.select(events.c.id, events.c.originator_id, events.c.originator_version,
                       events.c.topic, events.c.state)
             .where(events.c.id > sa.bindparam("after")).order_by(events.c.id).limit(BATCH))
    done, after = 0, 0
    while rows := connection.execute(query, {"after": after}).all():
        for position, aggregate_id, version, topic, state in rows:
            event = marketplace.mapper.to_domain_event(StoredEvent(
                originator_id=as_uuid(aggregate_id), originator_version=version, topic=topic,
                state=bytes(state)))
            marketplace.projectors.apply(connection, event, position)
        done += len(rows)
        after = rows[-1][0]
        if progress is not None:
            progress("read models", done, total)
    return done


def _compare(connection: Connection, table: sa.Table, live: str) -> None:
    scratch_table = table.to_metadata(sa.MetaData(), schema=SCRATCH)
    live_table = table.to_metadata(sa.MetaData(), schema=live)
    for first, second, what in ((live_table, scratch_table, "is not in a replay of the ledger"),
                                (scratch_table, live_table, "is missing from the live table")):
        row = connection.execute(sa.select(*_comparable(first)).except_(
            sa.select(*_comparable(second))).limit(1)).first()
        if row is not None:
            key = {c.name: row[i] for i, c in enumerate(table.c) if c.primary_key}
            raise VerificationFailed(Problem(None, (
                f"read model {table.name}: the row {_describe(key)} {what} (the read models "
                "differ from the ledger; `marketplace replay` rebuilds them)")))


def _comparable(table: sa.Table) -> list[Any]:
    """The columns, JSON ones as their text (PostgreSQL has no equality on json)."""
    return [sa.cast(c, sa.Text) if isinstance(c.type, sa.JSON) else c for c in table.c]


def _describe(key: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in key.items()) or "(no key)"
