"""Rendering pages: the whole page, or only its fragment when htmx asks for it."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web.auth import current_member
from web.i18n import gettext, language_of


def page(request: Request[Any, Any, Any], template: str, context: dict[str, Any] | None = None,
         *, fragment: str | None = None, status_code: int = 200,
         push_url: str | None = None) -> Template:
    """``template`` as a whole page; ``fragment`` (a template holding only the part that
    changes) instead when the request comes from htmx."""
    member = current_member(request)
    values = {"member": member,
              "language": language_of(request), "path": request.url.path, **(context or {})}
    # A member's page is for that member's eyes: no shared cache may keep it.
    headers = {"Cache-Control": "no-store"} if member is not None else {}
    if fragment is not None and request.headers.get("hx-request") == "true":
        return HTMXTemplate(template_name=fragment, context=values, status_code=status_code,
                            push_url=push_url if push_url is not None else False,
                            headers=headers)
    return Template(template_name=template, context=values, status_code=status_code,
                    headers=headers)


def see_other(path: str) -> Redirect:
    """After a form's POST: 303 to the page that shows the result (no resubmission)."""
    return Redirect(path, status_code=HTTP_303_SEE_OTHER)


def t(request: Request[Any, Any, Any], message: str, **values: Any) -> str:
    """A message of Python code in the request's language."""
    return gettext(language_of(request), message, **values)


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Where to go after logging in: only a path on this site, never another host."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value
