"""Page tests' tools: a browser-like HTTP client (cookies, CSRF token on every form) and
members of fresh organisations, logged in over real HTTP."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from marketplace.accounts import Accounts, Member

PASSWORD = "correct horse battery staple"  # noqa: S105 (the test members' password)
_numbers = itertools.count(1)


class Visitor:
    """One browser: keeps its cookies, sends the CSRF token with every form and htmx request
    the way the pages do (a hidden ``_csrf_token`` field, an ``x-csrftoken`` header)."""

    def __init__(self, base_url: str, host: str | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False,
                                   headers={"Host": host} if host else None)

    def get(self, path: str, *, htmx: bool = False,
            headers: dict[str, str] | None = None) -> httpx.Response:
        return self.client.get(path, headers={**(headers or {}),
                                              **({"HX-Request": "true"} if htmx else {})})

    def csrf_token(self) -> str:
        if "csrftoken" not in self.client.cookies:
            self.client.get("/login")
        return str(self.client.cookies["csrftoken"])

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, Any]] | None = None, *,
             htmx: bool = False) -> httpx.Response:
        """Submits a form: ``data`` as a dict, or as pairs for repeated fields."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        expanded = [(k, str(v)) for k, value in pairs
                    for v in (value if isinstance(value, list | tuple) else [value])]
        headers = {"x-csrftoken": self.csrf_token(), "HX-Request": "true"} if htmx else {}
        if not htmx:
            expanded.append(("_csrf_token", self.csrf_token()))
        form: dict[str, list[str]] = {}
        for key, value in expanded:
            form.setdefault(key, []).append(value)
        return self.client.post(path, data=form, headers=headers)

    def close(self) -> None:
        self.client.close()


@dataclass
class Site:
    """The real app served on loopback, and a way to have members of new organisations."""

    base_url: str
    accounts: Accounts
    visitors: list[Visitor] = field(default_factory=list)
    host: str | None = None
    """The Host header every visitor sends (the site's own name, where it is configured)."""

    def visitor(self) -> Visitor:
        visitor = Visitor(self.base_url, self.host)
        self.visitors.append(visitor)
        return visitor

    def new_member(self, *, roles: tuple[str, ...] = ("buyer",), name: str | None = None,
                   prefecture: str = "Gunma", clusters: tuple[str, ...] = ("上州ものづくり",),
                   capabilities: tuple[str, ...] = ()) -> Member:
        """A new organisation with ``roles`` (buyer/supplier) and its first member (an admin
        who also holds those roles)."""
        number = next(_numbers)
        org_roles = [r for r in roles if r in ("buyer", "supplier")] or ["buyer"]
        member = self.accounts.sign_up(
            email=f"member{number}@firm{number}.example.jp", password=PASSWORD,
            name=f"担当者 {number}", organisation={
                "name_ja": name or f"テスト工業{number}株式会社", "name_en": None,
                "roles": org_roles, "prefecture": prefecture, "clusters": list(clusters),
                "capabilities": list(capabilities)})
        return member

    def logged_in(self, member: Member) -> Visitor:
        """A visitor logged in as ``member`` through the login form."""
        visitor = self.visitor()
        response = visitor.post("/login", {"email": member.email, "password": PASSWORD,
                                           "next": "/dashboard"})
        assert response.status_code == 303, response.text
        return visitor

    def member_visitor(self, **kwargs: Any) -> tuple[Member, Visitor]:
        member = self.new_member(**kwargs)
        return member, self.logged_in(member)

    def close(self) -> None:
        for visitor in self.visitors:
            visitor.close()


def ids_in(html: str, prefix: str) -> list[UUID]:
    """The UUIDs in links like ``/lots/<id>`` of a page, in order."""
    return [UUID(found) for found in re.findall(
        prefix + r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", html)]
