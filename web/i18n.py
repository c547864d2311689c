"""Japanese and English: gettext catalogs (Babel), the visitor's language, and how numbers,
money and dates are written in it.

The English text is the message id; Japanese comes from ``web/locales/ja/LC_MESSAGES/*.po``,
one catalog per part of the site, merged at start-up. The language is the remembered choice
(a cookie set by the switch), else the best of Accept-Language, else Japanese.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations
from jinja2 import pass_context
from litestar.connection import ASGIConnection

from marketplace.payments.money import Money

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LANGUAGE_COOKIE = "kyodo_lang"
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


@functools.cache
def translations(language: str) -> Translations:
    """Every catalog of the language merged; English needs none (its text is the id)."""
    merged = Translations()
    for path in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as file:
            catalog = read_po(file, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        merged.merge(Translations(compiled))
    return merged


def negotiate(cookies: Mapping[str, str], accept_language: str | None) -> str:
    chosen = cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and quality > 0:
            ranked.append((-quality, index, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def language_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The request's language, worked out once and kept on the request's state."""
    language = connection.state.get("language")
    if language is None:
        language = negotiate(connection.cookies, connection.headers.get("accept-language"))
        connection.state["language"] = language
    return str(language)


def gettext(language: str, message: str, **values: Any) -> str:
    text = message if language == "en" else translations(language).gettext(message)
    return text % values if values else text


def ngettext(language: str, singular: str, plural: str, n: int, **values: Any) -> str:
    if language == "en":
        text = singular if n == 1 else plural
    else:
        text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **values}


# ---- what templates call ---------------------------------------------------------------------

def _language(context: Mapping[str, Any]) -> str:
    request = context.get("request")
    return language_of(request) if request is not None else DEFAULT_LANGUAGE


@pass_context
def template_gettext(context: Mapping[str, Any], message: str, **values: Any) -> str:
    """``{{ _("Pool %(quantity)s", quantity=...) }}``: the message in the page's language."""
    return gettext(_language(context), message, **values)


@pass_context
def template_ngettext(context: Mapping[str, Any], singular: str, plural: str, n: int,
                      **values: Any) -> str:
    return ngettext(_language(context), singular, plural, n, **values)


def _time_zone(context: Mapping[str, Any]) -> str:
    member = context.get("member")
    return str(getattr(member, "time_zone", None) or "Asia/Tokyo")


@pass_context
def number(context: Mapping[str, Any], value: Decimal | int | float | None,
           places: int | None = None) -> str:
    """A number with the language's separators; ``places`` fixes the decimals."""
    if value is None:
        return "–"
    if places is not None:
        return format_decimal(value, format=f"#,##0.{'0' * places}" if places else "#,##0",
                              locale=_language(context))
    return format_decimal(value, locale=_language(context))


@pass_context
def money(context: Mapping[str, Any], value: Decimal | int | None, currency: str = "JPY") -> str:
    """An amount in its currency's own minor units: yen with no decimals, ¥12,345."""
    if value is None:
        return "–"
    return format_currency(value, currency, locale=_language(context), currency_digits=True)


@pass_context
def minor_money(context: Mapping[str, Any], value: int | None, currency: str = "JPY") -> str:
    """An amount in minor units (as payments keep them: ¥ have none, $ have cents)."""
    if value is None:
        return "–"
    return money(context, Money(value, currency).major, currency)


@pass_context
def unit_price(context: Mapping[str, Any], value: Decimal | None, currency: str = "JPY") -> str:
    """A unit price may carry fractions of a yen (¥12.35 a kg); shown as given, with the symbol."""
    if value is None:
        return "–"
    symbol = Locale.parse(_language(context)).currency_symbols.get(currency, currency)
    return f"{symbol}{format_decimal(value, locale=_language(context))}"


@pass_context
def when(context: Mapping[str, Any], value: datetime | None, style: str = "medium") -> str:
    """An instant in the organisation's time zone (Asia/Tokyo unless it chose another)."""
    if value is None:
        return "–"
    pattern = {"short": "short", "medium": "yyyy-MM-dd HH:mm", "long": "full"}.get(style, style)
    text = format_datetime(value, pattern, tzinfo=ZoneInfo(_time_zone(context)),
                           locale=_language(context))
    return f"{text} {_zone_abbreviation(_time_zone(context))}" if style == "medium" else text


@pass_context
def day(context: Mapping[str, Any], value: date | None) -> str:
    if value is None:
        return "–"
    return format_date(value, "medium", locale=_language(context))


def _zone_abbreviation(zone: str) -> str:
    return "JST" if zone == "Asia/Tokyo" else zone


def install(environment: Any) -> None:
    """Adds ``_``, ``ngettext`` and the format filters to a Jinja environment."""
    environment.globals.update(_=template_gettext, gettext=template_gettext,
                               ngettext=template_ngettext, LANGUAGES=LANGUAGES,
                               LANGUAGE_NAMES=LANGUAGE_NAMES)
    environment.filters.update(number=number, money=money, minor_money=minor_money,
                               unit_price=unit_price, when=when,
                               day=day)
