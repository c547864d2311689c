"""The one mapping from errors to HTTP responses: a status and a message a person can act on."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy.exc
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from events import ConflictError, DatabaseUnavailableError
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.domain.errors import NotPermittedError

log = logging.getLogger("kyodo.web")


def error_response(status: int, code: str, message: str, **extra: Any) -> Response[Any]:
    return Response({"error": {"code": code, "message": message, **extra}},
                    status_code=status, media_type=MediaType.JSON)


def _rule_violation(_: Request[Any, Any, Any], error: RuleViolationError) -> Response[Any]:
    return error_response(HTTP_422_UNPROCESSABLE_ENTITY, error.code, error.message)


def _not_permitted(_: Request[Any, Any, Any], error: NotPermittedError) -> Response[Any]:
    return error_response(HTTP_403_FORBIDDEN, error.code, error.message)


def _not_found(_: Request[Any, Any, Any], error: NotFoundError) -> Response[Any]:
    return error_response(HTTP_404_NOT_FOUND, "not_found", str(error))


def _conflict(_: Request[Any, Any, Any], error: ConflictError) -> Response[Any]:
    return error_response(HTTP_409_CONFLICT, "conflict", str(error))


def _unavailable(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.error("database unavailable: %s", error)
    return error_response(HTTP_503_SERVICE_UNAVAILABLE, "unavailable",
                          "the marketplace cannot reach its database just now; try again shortly")


def _validation(_: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    problems = error.extra if isinstance(error.extra, list) else []
    details = [f"{p.get('key')}: {p.get('message')}" if p.get("key") else str(p.get("message"))
               for p in problems if isinstance(p, dict)]
    message = "; ".join(details) or str(error.detail)
    return error_response(error.status_code, "invalid_request", message)


def _http(_: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    code = {400: "invalid_request", 401: "unauthorised", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed"}.get(error.status_code, "http_error")
    response = error_response(error.status_code, code, str(error.detail))
    if error.headers:
        response.headers.update(error.headers)
    return response


def _internal(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unhandled error", exc_info=error)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error",
                          "something went wrong on our side; nothing was recorded")


exception_handlers: dict[type[Exception] | int, Any] = {
    RuleViolationError: _rule_violation,
    NotPermittedError: _not_permitted,
    NotFoundError: _not_found,
    ConflictError: _conflict,
    DatabaseUnavailableError: _unavailable,
    sqlalchemy.exc.OperationalError: _unavailable,
    ValidationException: _validation,
    HTTPException: _http,
    HTTP_500_INTERNAL_SERVER_ERROR: _internal,
}


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> None:
    """No text of ours holds NUL, and PostgreSQL cannot store it: refused before any handler
    reads the request, on every route, so the two databases never disagree about it."""
    body = await request.body() if request.method in {"POST", "PUT", "PATCH"} else b""
    if b"\\u0000" in body or b"\x00" in body or "%00" in request.url.query:
        raise ValidationException("text may not contain NUL characters (\\u0000); remove them")
