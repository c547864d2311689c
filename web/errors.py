"""The one mapping from errors to HTTP responses: a status and a message a person can act on."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy.exc
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
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


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is defined; it is translated where shown."""
    return message


ERROR_TITLES = {400: N_("This form needs another look"), 401: N_("Please log in"),
                403: N_("Not for you"), 404: N_("Not found"),
                409: N_("Changed by someone else"), 422: N_("That cannot be done"),
                429: N_("Too many attempts"), 500: N_("Something went wrong"),
                503: N_("Temporarily unavailable")}

#: Paths answered in JSON; every other path is a page and gets its errors as a page.
JSON_PREFIXES = ("/api/", "/health", "/webhooks/")


def _respond(request: Request[Any, Any, Any], status: int, code: str, message: str,
             headers: dict[str, str] | None = None, *,
             error: BaseException | None = None) -> Response[Any]:
    """The JSON API answers ``message`` as it is; a page shows ``error`` (when given) in the
    page's language instead."""
    if request.url.path.startswith(JSON_PREFIXES):
        response = error_response(status, code, message)
    else:
        # pages need the app's templates; the API does not
        from web.render import error_message, page, t
        title = t(request, ERROR_TITLES.get(status, ERROR_TITLES[500]))
        shown = message if error is None else error_message(request, error)
        response = page(request, "error.html", {"title": title, "message": shown,
                                                "status": status},
                        fragment="_error_fragment.html", status_code=status)
    if headers:
        response.headers.update(headers)
    return response


def _rule_violation(request: Request[Any, Any, Any], error: RuleViolationError
                    ) -> Response[Any]:
    return _respond(request, HTTP_422_UNPROCESSABLE_ENTITY, error.code, error.message,
                    error=error)


def _not_permitted(request: Request[Any, Any, Any], error: NotPermittedError) -> Response[Any]:
    return _respond(request, HTTP_403_FORBIDDEN, error.code, error.message, error=error)


def _not_found(request: Request[Any, Any, Any], error: NotFoundError) -> Response[Any]:
    return _respond(request, HTTP_404_NOT_FOUND, "not_found", str(error), error=error)


def _conflict(request: Request[Any, Any, Any], error: ConflictError) -> Response[Any]:
    return _respond(request, HTTP_409_CONFLICT, "conflict", str(error), error=error)


def _unavailable(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.error("database unavailable: %s", error)
    return _respond(request, HTTP_503_SERVICE_UNAVAILABLE, "unavailable",
                    "the marketplace cannot reach its database just now; try again shortly")


def _validation(request: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    problems = error.extra if isinstance(error.extra, list) else []
    details = [f"{p.get('key')}: {p.get('message')}" if p.get("key") else str(p.get("message"))
               for p in problems if isinstance(p, dict)]
    message = "; ".join(details) or str(error.detail)
    return _respond(request, error.status_code, "invalid_request", message)


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    from web.auth import NotLoggedInError
    if isinstance(error, NotLoggedInError) and not request.url.path.startswith(JSON_PREFIXES):
        return _to_login(request)
    code = {400: "invalid_request", 401: "unauthorised", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed"}.get(error.status_code, "http_error")
    return _respond(request, error.status_code, code, str(error.detail), error.headers)


def _to_login(request: Request[Any, Any, Any]) -> Response[Any]:
    """A page for members without a session: to the login form, and back here after it."""
    from urllib.parse import quote
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        back = "/dashboard"
    target = f"/login?next={quote(back, safe='/')}"
    if request.headers.get("hx-request") == "true":
        return Response(None, status_code=HTTP_401_UNAUTHORIZED, headers={"HX-Redirect": target})
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unhandled error", exc_info=error)
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error",
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
    reads the request, on every route, so the two databases never disagree about it: raw or
    escaped in a JSON body, percent-encoded in a form, the query or the path.

    No route takes multipart bodies: they are refused before anyone waits on a body that the
    CSRF check has already read from the stream.
    """
    if request.content_type[0] == "multipart/form-data":
        raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            detail="send forms as application/x-www-form-urlencoded")
    body = await request.body() if request.method in {"POST", "PUT", "PATCH"} else b""
    form = request.content_type[0] == "application/x-www-form-urlencoded"
    raw_path = request.scope.get("raw_path") or b""
    if (b"\\u0000" in body or b"\x00" in body or (form and b"%00" in body)
            or "%00" in request.url.query or b"%00" in raw_path
            or "\x00" in request.url.path):
        raise ValidationException("text may not contain NUL characters (\\u0000); remove them")
