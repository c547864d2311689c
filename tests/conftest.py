"""Fixtures shared by the suite; every integration test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events import SettableClock
from events.checkpoints import Signer
from marketplace import schema
from marketplace.application import Marketplace
from tests.databases import database

LAYERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test by the folder it lives in: tests/unit, tests/integration, tests/e2e."""
    for item in items:
        for layer in LAYERS:
            if f"tests/{layer}/" in str(item.path).replace("\\", "/"):
                item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, dropped afterwards."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def migrated_url(database_url: str) -> str:
    schema.upgrade(database_url)
    return database_url


#: The test deployment's checkpoint key (a fixed seed: tests that need another make one).
LEDGER_SIGNER = Signer.from_seed(bytes(range(32)))


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))


@pytest.fixture
def marketplace(migrated_url: str, clock: SettableClock) -> Marketplace:
    return Marketplace(migrated_url, clock=clock, signer=LEDGER_SIGNER)
