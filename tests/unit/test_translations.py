"""Every message a page shows has a Japanese translation with the same placeholders."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

import marketplace
from marketplace.domain import RuleViolationError
from marketplace.domain.organisation import OrganisationNameMissingError
from web.i18n import LOCALES_DIR, negotiate, translations
from web.render import error_rule, error_text

WEB = Path(__file__).resolve().parents[2] / "web"
TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
#: t(request, message), gettext(language, message), N_(message) in Python code.
PYTHON_KEYWORDS = {"t": (2,), "gettext": (2,), "N_": None}
#: Messages built from data, which extraction cannot see: role names as shown.
DYNAMIC = ["Buyer", "Supplier", "Auditor", "Admin", "Buyers", "Suppliers"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def messages() -> list[tuple[str, str]]:
    """(message, where) for every message of the templates and of web/*.py."""
    found: list[tuple[str, str]] = [(message, "dynamic") for message in DYNAMIC]
    sources = [(path, "jinja2", TEMPLATE_KEYWORDS) for path in WEB.rglob("*.html")]
    sources += [(path, "python", PYTHON_KEYWORDS) for path in WEB.glob("*.py")]
    for path, method, keywords in sources:
        for line, message, _comments, _context in extract_from_file(
                method, str(path), keywords=keywords,
                options={"extensions": "jinja2.ext.do"} if method == "jinja2" else None):
            for text in (message if isinstance(message, tuple) else (message,)):
                if text:
                    found.append((text, f"{path.relative_to(WEB)}:{line}"))
    return found


def test_the_pages_have_messages_to_translate() -> None:
    assert len(messages()) > 50


def test_every_message_has_a_japanese_translation() -> None:
    japanese = translations("ja")

    missing = sorted({f"{where}: {message!r}" for message, where in messages()
                      if japanese.gettext(message) == message})

    assert missing == []


def test_translations_keep_their_placeholders() -> None:
    japanese = translations("ja")

    broken = sorted({message for message, _where in messages()
                     if set(PLACEHOLDER.findall(japanese.gettext(message)))
                     != set(PLACEHOLDER.findall(message))})

    assert broken == []


def test_every_catalog_is_japanese_and_utf8() -> None:
    catalogs = list((LOCALES_DIR / "ja" / "LC_MESSAGES").glob("*.po"))

    assert catalogs
    for path in catalogs:
        text = path.read_text(encoding="utf-8")
        assert '"Language: ja\\n"' in text, path.name
        assert "#, fuzzy" not in text, path.name


@pytest.mark.parametrize(("cookies", "header", "chosen"), [
    ({}, None, "ja"),
    ({}, "en-GB,en;q=0.9", "en"),
    ({}, "fr,en;q=0.2,ja;q=0.8", "ja"),
    ({}, "en;q=0", "ja"),
    ({"kyodo_lang": "en"}, "ja", "en"),
    ({"kyodo_lang": "xx"}, "en", "en"),
])
def test_the_language_is_the_remembered_choice_else_accept_language_else_japanese(
        cookies: dict[str, str], header: str | None, chosen: str) -> None:
    assert negotiate(cookies, header) == chosen


def error_classes() -> list[type[BaseException]]:
    """Every exception class defined in a module of ``marketplace`` with a docstring."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__ == module.__name__ and error_rule(value)):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def test_the_domain_has_error_classes_to_translate() -> None:
    assert len(error_classes()) > 100


def test_every_error_class_has_a_japanese_translation_of_its_rule() -> None:
    japanese = translations("ja")

    missing = [f"{kind.__module__}.{kind.__qualname__}: {error_rule(kind)!r}"
               for kind in error_classes()
               if japanese.gettext(str(error_rule(kind))) == error_rule(kind)]

    assert missing == []


def test_a_japanese_page_shows_the_rule_in_japanese_then_the_english_message() -> None:
    error = OrganisationNameMissingError("the name is missing")

    assert error_text("ja", error) == (
        "組織名を日本語か英語、または両方で入力してください。（the name is missing）")
    assert error_text("en", error) == "the name is missing"


def test_an_error_without_a_translated_rule_falls_back_to_the_nearest_translated_base() -> None:
    class UndocumentedError(OrganisationNameMissingError):
        pass

    class NewRuleError(RuleViolationError):
        """A rule nobody has translated yet."""

    assert error_text("ja", UndocumentedError("no name")).startswith("組織名を")
    assert error_text("ja", NewRuleError("broken")) == (
        "業務ルールに反するため、何も記録されませんでした。（broken）")
    assert error_text("ja", ValueError("not ours")) == "not ours"
