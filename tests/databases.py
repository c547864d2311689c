"""Throw-away databases for the tests: a SQLite file, or a PostgreSQL database made and dropped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from events import dispose_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "MARKETPLACE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("MARKETPLACE_REQUIRE_POSTGRES", "") not in ("", "0")


class PostgresUnavailableError(Exception):
    """No PostgreSQL answers at MARKETPLACE_TEST_POSTGRES_URL."""


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    url = f"sqlite:///{directory / 'kyodo-test.sqlite3'}"
    try:
        yield url
    finally:
        dispose_engine(url)


@contextmanager
def postgres_database() -> Iterator[str]:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})
    name = f"kyodo_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise PostgresUnavailableError(
            f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} does not answer: "
            f"{str(error.orig).splitlines()[0]}") from None
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        dispose_engine(url)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    """For tests: the PostgreSQL half is skipped, visibly, when no server answers, unless
    MARKETPLACE_REQUIRE_POSTGRES is set (as on CI), when it fails instead."""
    if kind == "sqlite":
        with sqlite_database(directory) as url:
            yield url
        return
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_database())
        except PostgresUnavailableError as error:
            if REQUIRE_POSTGRES:
                pytest.fail(f"{error} (MARKETPLACE_REQUIRE_POSTGRES is set)")
            pytest.skip(str(error))
        yield url
