"""Who may call what: every route declares an access policy, and one guard enforces it.

Default deny: a route without a policy answers 403, and a test lists every route with its
policy (tests/integration/test_route_guards.py). Pages know their member from the session
cookie; the JSON API knows its organisation from a bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from marketplace.accounts import SESSION_LIFETIME, Accounts, Member, MemberRole
from marketplace.application import Marketplace


@dataclass(frozen=True)
class Access:
    """A route's policy: open to anyone, to API tokens, or to members holding any of
    ``roles`` (any member at all when empty)."""

    kind: Literal["public", "token", "member"]
    roles: frozenset[MemberRole] = frozenset()


def public() -> dict[str, Any]:
    return {"access": Access("public")}


def api_token() -> dict[str, Any]:
    return {"access": Access("token")}


def members(*roles: MemberRole) -> dict[str, Any]:
    return {"access": Access("member", frozenset(roles))}


class NotLoggedInError(NotAuthorizedException):
    """A page for members, asked for without a live session: the handler sends to /login."""


@dataclass(frozen=True)
class SessionCookie:
    """The session cookie's name and flags: ``__Host-`` and Secure outside the embedded
    default on http://127.0.0.1; HttpOnly and SameSite=Lax always."""

    secure: bool

    @property
    def name(self) -> str:
        return "__Host-kyodo_session" if self.secure else "kyodo_session"

    def set(self, token: str) -> Cookie:
        return Cookie(key=self.name, value=token, path="/", secure=self.secure, httponly=True,
                      samesite="lax", max_age=int(SESSION_LIFETIME.total_seconds()))

    def clear(self) -> Cookie:
        return Cookie(key=self.name, value="", path="/", secure=self.secure, httponly=True,
                      samesite="lax", max_age=0)


def accounts_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Accounts:
    accounts: Accounts = connection.app.state.accounts
    return accounts


def marketplace_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Marketplace:
    """The app's one marketplace (pages reach it here rather than through a dependency)."""
    marketplace: Marketplace = connection.app.state.marketplace
    return marketplace


def session_cookie_of(connection: ASGIConnection[Any, Any, Any, Any]) -> SessionCookie:
    cookie: SessionCookie = connection.app.state.session_cookie
    return cookie


def current_member(connection: ASGIConnection[Any, Any, Any, Any]) -> Member | None:
    """The member of the request's session, looked up once per request."""
    if "member" not in connection.state:
        token = connection.cookies.get(session_cookie_of(connection).name)
        connection.state["member"] = accounts_of(connection).resume(token) if token else None
    member: Member | None = connection.state["member"]
    return member


def require_member(connection: ASGIConnection[Any, Any, Any, Any]) -> Member:
    member = current_member(connection)
    if member is None:
        raise NotLoggedInError("log in to see this page")
    return member


def token_organisation(connection: ASGIConnection[Any, Any, Any, Any]) -> UUID:
    """The organisation whose API token authorises this request, looked up once."""
    if "organisation_id" not in connection.state:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException(
                "send your organisation's API token as 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"})
        organisations = marketplace_of(connection).organisations
        organisation_id = organisations.organisation_for_token(token.strip())
        if organisation_id is None:
            raise NotAuthorizedException("this API token is unknown or revoked",
                                         headers={"WWW-Authenticate": "Bearer"})
        connection.state["organisation_id"] = organisation_id
    found: UUID = connection.state["organisation_id"]
    return found


def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app's one guard: applies the handler's access policy, refusing any route without."""
    access = handler.opt.get("access")
    if not isinstance(access, Access):
        raise PermissionDeniedException("this route has no access policy, so nobody may use it")
    if access.kind == "public":
        return
    if access.kind == "token":
        token_organisation(connection)
        return
    member = require_member(connection)
    if access.roles and not member.has(*access.roles):
        needed = " or ".join(sorted(access.roles))
        raise PermissionDeniedException(f"this page is for members with the {needed} role; "
                                        "ask your organisation's admin")
