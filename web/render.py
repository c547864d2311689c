"""Rendering pages: the whole page, or only its fragment when htmx asks for it."""

from __future__ import annotations

import inspect
from typing import Any

from litestar import Request
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.domain.errors import NotPermittedError
from web.auth import current_member
from web.i18n import gettext, language_of

#: Bases whose rule says too little to stand in for a more specific one: used only when no
#: class nearer the error has a translated rule.
GENERIC_ERRORS: tuple[type[BaseException], ...] = (NotPermittedError, RuleViolationError,
                                                   NotFoundError)


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


def absolute_url(request: Request[Any, Any, Any], path: str) -> str:
    """``path`` on this site, for links handed out of it (invitations, Stripe's way back):
    on ``MARKETPLACE_SITE_URL`` where it is set (always in production), never on a Host
    header a client chose; on the request's own address in development."""
    base = getattr(request.app.state, "site_url", None) or str(request.base_url)
    return base.rstrip("/") + path


def t(request: Request[Any, Any, Any], message: str, **values: Any) -> str:
    """A message of Python code in the request's language."""
    return gettext(language_of(request), message, **values)


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Where to go after logging in: only a path on this site, never another host."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def error_rule(kind: type[BaseException]) -> str | None:
    """The rule an error class states: the first paragraph of its own docstring, on one line
    (the English message id of its translation)."""
    doc = kind.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    return " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())


#: The translated rule of each (language, error class) looked up so far (None: none found).
_translated_rules: dict[tuple[str, type[BaseException]], str | None] = {}


def _translated_rule(language: str, kind: type[BaseException]) -> str | None:
    """The rule of the nearest class of the error's MRO whose rule has a translation, the
    specific ones before the generic bases; Python's own exceptions are never used."""
    if (language, kind) not in _translated_rules:
        _translated_rules[language, kind] = _find_translated_rule(language, kind)
    return _translated_rules[language, kind]


def _find_translated_rule(language: str, kind: type[BaseException]) -> str | None:
    classes = [c for c in kind.__mro__
               if issubclass(c, BaseException) and c.__module__ != "builtins"]
    specific = [c for c in classes if c not in GENERIC_ERRORS]
    for candidate in (*specific, *(c for c in classes if c in GENERIC_ERRORS)):
        rule = error_rule(candidate)
        if rule is not None and (translated := gettext(language, rule)) != rule:
            return translated
    return None


def error_text(language: str, error: BaseException) -> str:
    """An error as a page in ``language`` shows it: in English its own message; otherwise the
    translated rule its class states, then the specific English message in parentheses (the
    message itself when no rule of its classes is translated)."""
    message = str(error)
    if language == "en":
        return message
    rule = _translated_rule(language, type(error))
    if rule is None:
        return message
    return f"{rule}（{message}）" if message else rule


def error_message(request: Request[Any, Any, Any], error: BaseException) -> str:
    """An error raised by the domain as the request's page shows it (see ``error_text``)."""
    return error_text(language_of(request), error)
