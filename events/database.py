"""One SQLAlchemy engine per database URL, shared by the event store and the read models.

SQLite gets WAL, a busy timeout and foreign keys; a write transaction opened inside
`write_intent()` starts with ``BEGIN IMMEDIATE`` so that the aggregate is loaded under the
write lock and two writers never race on a stale snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import OperationalError as SAOperationalError

SUPPORTED_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_write_connection: ContextVar[Connection | None] = ContextVar("write_connection", default=None)
_engines: dict[str, Engine] = {}
#: How long an SQLite writer waits for another process's write lock (the ledger's
#: LOCK_TIMEOUT_S on PostgreSQL is the same 30 s).
SQLITE_BUSY_TIMEOUT_MS = 30_000
_writer_locks: dict[Engine, threading.Lock] = {}
_engines_lock = threading.Lock()


class DatabaseUnavailableError(Exception):
    """The database cannot be reached or refused the connection."""


class DatabaseURLError(ValueError):
    """A database URL that we cannot use."""


def normalise_url(url: str) -> str:
    """Checks a database URL and names the driver we ship (psycopg 3 for PostgreSQL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(f"{url!r} is not a database URL (expected sqlite:///PATH or "
                               "postgresql+psycopg://USER@HOST:PORT/DB)") from None
    driver = SUPPORTED_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise DatabaseURLError(f"unsupported database {parsed.drivername!r} in "
                               f"{safe_url(url)} (use sqlite or postgresql)")
    if driver == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise DatabaseURLError("an in-memory SQLite database cannot hold the ledger; "
                               "give a file path, e.g. sqlite:///var/kyodo.sqlite3")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def safe_url(url: str | URL) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<malformed URL>"


def in_write_transaction() -> bool:
    return _write_intent.get()


@contextmanager
def write_intent() -> Iterator[None]:
    """Marks the transactions begun inside as writers (``BEGIN IMMEDIATE`` on SQLite)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def writing_on(connection: Connection) -> Iterator[None]:
    """Makes ``reading`` in this context see this write transaction's own changes."""
    token = _write_connection.set(connection)
    try:
        yield
    finally:
        _write_connection.reset(token)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection to read from: the current write transaction's, if one is open on this
    engine (so a command's response can include what it just wrote), else a fresh one."""
    current = _write_connection.get()
    if current is not None and current.engine is engine:
        yield current
        return
    with engine.connect() as connection:
        yield connection


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A short write transaction outside the ledger (sessions, accounts), queued with the
    ledger's writers on SQLite; inside a write transaction on this engine, that one."""
    current = _write_connection.get()
    if current is not None and current.engine is engine:
        yield current
        return
    queue = writer_queue(engine) if engine.dialect.name == "sqlite" else nullcontext()
    with queue, write_intent(), engine.begin() as connection, writing_on(connection):
        yield connection


def engine_for(url: str) -> Engine:
    """The process's one engine for this URL, created on first use."""
    url = normalise_url(url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
        return engine


def dispose_engine(url: str) -> None:
    """Closes the pooled connections of this URL's engine (tests drop their databases)."""
    with _engines_lock:
        engine = _engines.pop(normalise_url(url), None)
    if engine is not None:
        engine.dispose()


def check_connection(engine: Engine) -> None:
    """Raises DatabaseUnavailableError with one line a person can act on."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except (DBAPIError, SAOperationalError) as error:
        raise DatabaseUnavailableError(
            f"cannot reach the database at {safe_url(engine.url)}: {first_line(error)}") from None


def first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                            connect_args={"connect_timeout": 5})


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # A commitment once acknowledged must survive a power cut, hence synchronous=FULL.
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so we can choose IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def writer_queue(engine: Engine) -> threading.Lock:
    """The in-process queue of writers to an SQLite file.

    SQLite lets one writer in at a time and makes the others poll with growing sleeps (its
    busy handler), so under load a waiting writer sleeps past the moment the lock is freed.
    Queueing the process's writers on a lock first hands the file over at once; the busy
    handler is left to arbitrate between processes only.
    """
    with _engines_lock:
        return _writer_locks.setdefault(engine, threading.Lock())


def _begin_sqlite_transaction(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
