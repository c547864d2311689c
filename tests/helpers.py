"""Small helpers shared by tests: reading whole tables to compare states."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events import engine_for
from marketplace.readmodels import metadata


def read_model_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, sorted, for comparing two states."""
    engine: Engine = engine_for(url)
    with engine.connect() as connection:
        return {table.name: sorted(tuple(row) for row in connection.execute(sa.select(table)))
                for table in metadata.sorted_tables}


def ledger_length(url: str) -> int:
    with engine_for(url).connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM ledger_events")).scalar_one())


GUNMA_PRESS: dict[str, Any] = {
    "name_ja": "上州精密プレス", "name_en": "Joshu Precision Press", "roles": ["buyer", "supplier"],
    "prefecture": "Gunma", "capabilities": ["press", "spcc"]}


def register_over_http(client: Any, **overrides: Any) -> tuple[str, dict[str, str]]:
    """Registers an organisation through POST /api/v1/organisations (``client`` an httpx
    Client); returns its id and the headers that act as it."""
    response = client.post("/api/v1/organisations", json={**GUNMA_PRESS, **overrides})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["organisation"]["id"], {"Authorization": f"Bearer {body['api_token']}"}
