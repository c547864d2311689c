"""DESIGN.md §3: a pure domain, events/ blind to procurement, Litestar only in web/."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"marketplace", "events", "web", "migrations", "tests", "bench"}


def imports_of(package: str) -> list[tuple[str, str]]:
    """(file, imported module) for every import statement in the package."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    offenders = [(f, m) for f, m in imports_of("marketplace/domain")
                 if top(m) not in allowed and m != "eventsourcing.domain"
                 and not m.startswith("marketplace.domain")]

    assert offenders == []


def test_events_imports_nothing_from_the_marketplace_or_the_web() -> None:
    offenders = [(f, m) for f, m in imports_of("events") if top(m) in {"marketplace", "web"}]

    assert offenders == []


@pytest.mark.parametrize("package", ["marketplace", "events", "migrations"])
def test_only_web_imports_litestar(package: str) -> None:
    offenders = [(f, m) for f, m in imports_of(package) if top(m) in {"litestar", "web"}]

    assert offenders == []


def test_the_rule_checker_sees_imports_at_all() -> None:
    # Guards the guards: if imports_of() silently found nothing, the tests above would pass.
    modules = {m for _, m in imports_of("web")}

    assert "litestar" in {top(m) for m in modules}
    assert "marketplace.application" in modules


def test_only_the_stripe_adapter_imports_stripe() -> None:
    importers = {f for package in ("marketplace", "events", "web")
                 for f, m in imports_of(package) if top(m) == "stripe"}

    assert importers == {"marketplace/payments/stripe_adapter.py"}
