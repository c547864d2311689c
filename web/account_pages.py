"""Pages of accounts: sign up, log in and out, invitations, members, and the language switch."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_429_TOO_MANY_REQUESTS

from marketplace.accounts import (
    MIN_PASSWORD_LENGTH,
    Accounts,
    LoginRefusedError,
    LoginThrottledError,
    MemberRole,
)
from marketplace.application import Marketplace
from marketplace.domain import Role, RuleViolationError
from marketplace.domain.prefectures import PREFECTURES
from web.auth import (
    accounts_of,
    current_member,
    marketplace_of,
    members,
    public,
    require_member,
    session_cookie_of,
)
from web.forms import Form, field, fields
from web.i18n import LANGUAGE_COOKIE, LANGUAGES
from web.render import absolute_url, error_message, page, safe_next, see_other


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _logged_in(request: Request[Any, Any, Any], token: str, to: str) -> Redirect:
    """Ends the session the browser came with (the id changes at login) and sets the new one."""
    cookie = session_cookie_of(request)
    old = request.cookies.get(cookie.name)
    if old:
        accounts_of(request).log_out(old)
    return Redirect(to, status_code=303, cookies=[cookie.set(token)])


def _signup_context(values: dict[str, Any], error: str | None = None) -> dict[str, Any]:
    return {"values": values, "error": error, "prefectures": PREFECTURES,
            "min_password": MIN_PASSWORD_LENGTH}

def _organisation_name(request: Request[Any, Any, Any], organisation_id: UUID) -> str:
    view = marketplace_of(request).organisations.get(organisation_id)
    return view.display_name if view else ""

def _members_context(accounts: Accounts, request: Request[Any, Any, Any],
                     **extra: Any) -> dict[str, Any]:
    member = require_member(request)
    return {"members": accounts.members_of(member.organisation_id),
            "invitations": accounts.pending_invitations(member.organisation_id),
            "roles": list(MemberRole), **extra}


class AccountPages(Controller):
    """Sign-up, log-in and out, invitations, members and the language switch.

    (Page handlers live in controllers: Litestar 2.25 wraps a plain function handler twice
    when another shares its path, and the page then answers 500.)
    """

    path = "/"

    @get("/login", opt=public(), sync_to_thread=True)
    def login_form(self, request: Request[Any, Any, Any],
                   next: FromQuery[str | None] = None) -> Response[Any]:
        return page(request, "accounts/login.html", {"next": safe_next(next), "email": ""})

    @post("/login", opt=public(), sync_to_thread=True)
    def log_in(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        email, next_path = field(data, "email"), safe_next(field(data, "next"))
        try:
            _member, token = accounts_of(request).log_in(email, field(data, "password"),
                                                        _address(request))
        except LoginThrottledError as error:
            response = page(request, "accounts/login.html",
                            {"next": next_path, "email": email,
                             "error": error_message(request, error)},
                            status_code=HTTP_429_TOO_MANY_REQUESTS)
            response.headers["Retry-After"] = str(int(error.retry_after.total_seconds()))
            return response
        except LoginRefusedError as error:
            return page(request, "accounts/login.html",
                        {"next": next_path, "email": email, "error": error_message(request, error)},
                        status_code=HTTP_400_BAD_REQUEST)
        return _logged_in(request, token, next_path)

    @post("/logout", opt=members(), sync_to_thread=True)
    def log_out(self, request: Request[Any, Any, Any]) -> Redirect:
        cookie = session_cookie_of(request)
        token = request.cookies.get(cookie.name)
        if token:
            accounts_of(request).log_out(token)
        return Redirect("/login", status_code=303, cookies=[cookie.clear()])

    @get("/signup", opt=public(), sync_to_thread=True)
    def signup_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return page(request, "accounts/signup.html", _signup_context(
            {"roles": ["buyer"], "prefecture": "JP-10", "time_zone": "Asia/Tokyo"}))

    @post("/signup", opt=public(), sync_to_thread=True)
    def sign_up(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        values: dict[str, Any] = {name: field(data, name) for name in (
            "name_ja", "name_en", "prefecture", "clusters", "time_zone", "name", "email")}
        values["roles"] = fields(data, "roles")
        accounts = accounts_of(request)
        try:
            member = accounts.sign_up(
                email=values["email"], password=field(data, "password"), name=values["name"],
                time_zone_name=values["time_zone"] or None,
                organisation={"name_ja": values["name_ja"] or None,
                              "name_en": values["name_en"] or None,
                              "roles": values["roles"], "prefecture": values["prefecture"],
                              "clusters": [c.strip() for c in values["clusters"].split(",")
                                           if c.strip()]})
        except RuleViolationError as error:
            return page(request, "accounts/signup.html",
                        _signup_context(values, error_message(request, error)),
                        status_code=HTTP_400_BAD_REQUEST)
        return _logged_in(request, accounts.start_session(member), "/dashboard")

    @get("/invitations/{token:str}", opt=public(), sync_to_thread=True)
    def invitation_form(self, request: Request[Any, Any, Any],
                        token: FromPath[str]) -> Response[Any]:
        invitation = accounts_of(request).invitation(token)
        return page(request, "accounts/invitation.html",
                    {"invitation": invitation, "token": token, "name": "",
                     "min_password": MIN_PASSWORD_LENGTH,
                     "inviter": _organisation_name(request, invitation.organisation_id)})

    @post("/invitations/{token:str}", opt=public(), sync_to_thread=True)
    def accept_invitation(self, request: Request[Any, Any, Any], token: FromPath[str],
                          data: Form) -> Response[Any]:
        accounts = accounts_of(request)
        invitation = accounts.invitation(token)
        try:
            member = accounts.accept_invitation(token, name=field(data, "name"),
                                                password=field(data, "password"))
        except RuleViolationError as error:
            return page(request, "accounts/invitation.html",
                        {"invitation": invitation, "token": token, "name": field(data, "name"),
                         "min_password": MIN_PASSWORD_LENGTH,
                         "error": error_message(request, error),
                         "inviter": _organisation_name(request, invitation.organisation_id)},
                        status_code=HTTP_400_BAD_REQUEST)
        return _logged_in(request, accounts.start_session(member), "/dashboard")

    @get("/members", opt=members(MemberRole.ADMIN), sync_to_thread=True)
    def members_page(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return page(request, "accounts/members.html",
                    _members_context(accounts_of(request), request, values={"roles": []}))

    @post("/members/invitations", opt=members(MemberRole.ADMIN), sync_to_thread=True)
    def invite_member(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        """Shows the invitation link once, to hand to the invitee (there is no mail port yet)."""
        accounts = accounts_of(request)
        email, roles = field(data, "email"), fields(data, "roles")
        values: dict[str, Any] = {"email": email, "roles": roles}
        try:
            token = accounts.invite(require_member(request), email, roles)
        except RuleViolationError as error:
            return page(request, "accounts/members.html",
                        _members_context(accounts, request, values=values,
                                         error=error_message(request, error)),
                        status_code=HTTP_400_BAD_REQUEST)
        link = absolute_url(request, f"/invitations/{token}")
        return page(request, "accounts/members.html",
                    _members_context(accounts, request, values={"roles": []}, link=link,
                                     invited=values["email"]))

    @post("/members/{member_id:uuid}/roles", opt=members(MemberRole.ADMIN), sync_to_thread=True)
    def change_roles(self, request: Request[Any, Any, Any], member_id: FromPath[UUID],
                     data: Form) -> Response[Any]:
        accounts = accounts_of(request)
        try:
            accounts.set_roles(require_member(request), member_id, fields(data, "roles"))
        except RuleViolationError as error:
            return page(request, "accounts/members.html",
                        _members_context(accounts, request, values={"roles": []},
                                         error=error_message(request, error)),
                        status_code=HTTP_400_BAD_REQUEST)
        return see_other("/members")

    @post("/language", opt=public(), sync_to_thread=False)
    def switch_language(self, data: Form) -> Redirect:
        """Remembers the chosen language for a year and goes back to the page it was chosen on."""
        language = field(data, "language")
        back = safe_next(field(data, "next"), default="/")
        if language not in LANGUAGES:
            return see_other(back)
        return Redirect(back, status_code=303, cookies=[Cookie(
            key=LANGUAGE_COOKIE, value=language, path="/", max_age=365 * 24 * 3600,
            httponly=True, samesite="lax")])

    @get("/", opt=public(), sync_to_thread=True)
    def home(self, request: Request[Any, Any, Any], marketplace: NamedDependency[Marketplace],
             role: FromQuery[Role | None] = None) -> Response[Any]:
        """Members go to their dashboard; visitors see what Kyodo is and who takes part (the
        role filter swaps the table in place with htmx)."""
        if current_member(request) is not None and request.headers.get("hx-request") != "true":
            return see_other("/dashboard")
        return page(request, "home.html",
                    {"organisations": marketplace.organisations.search(role=role, limit=500),
                     "role": role, "roles": list(Role)},
                    fragment="_organisations.html", push_url=f"/?role={role}" if role else "/")
