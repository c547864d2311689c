"""GET /health: is the database reachable, is the schema current, where is the ledger."""

from __future__ import annotations

from typing import Any

import sqlalchemy.exc
from litestar import MediaType, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from events import DatabaseUnavailableError, check_connection, first_line
from marketplace import schema
from marketplace.application import Marketplace
from web.auth import public


@get("/health", sync_to_thread=True, media_type=MediaType.JSON, opt=public())
def health(marketplace: NamedDependency[Marketplace]) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"database": marketplace.engine.dialect.name}
    try:
        check_connection(marketplace.engine)
        current = schema.current_revision(marketplace.engine)
        head = schema.head_revision()
        body.update(schema={"database": current, "code": head},
                    ledger_position=marketplace.position())
        body["status"] = "ok" if current == head else "schema out of date"
    except (DatabaseUnavailableError, sqlalchemy.exc.OperationalError) as error:
        body.update(status="database unreachable", detail=first_line(error))
    status = HTTP_200_OK if body["status"] == "ok" else HTTP_503_SERVICE_UNAVAILABLE
    return Response(body, status_code=status)
