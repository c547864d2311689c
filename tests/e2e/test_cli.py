"""The `marketplace` command as a person runs it: one line on bad set-up, never a traceback."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from marketplace import schema
from marketplace.application import Marketplace
from tests.databases import database
from tests.helpers import GUNMA_PRESS, ledger_length

MARKETPLACE = str(Path(sys.executable).with_name("marketplace"))


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MARKETPLACE, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    with database(request.param, tmp_path) as url:
        yield {"MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_VAR_DIR": str(tmp_path / "var")}


def test_migrate_seed_and_replay_from_the_command_line(env: dict[str, str]) -> None:
    assert run("db", "upgrade", env=env).returncode == 0
    seeded = run("demo", "seed", env=env)
    again = run("demo", "seed", env=env)
    replayed = run("replay", "--batch-size", "4", env=env)
    current = run("db", "current", env=env)

    assert seeded.returncode == 0, seeded.stderr
    assert "demo cluster: 13 organisations" in seeded.stderr
    assert "nothing added" in again.stderr
    assert replayed.returncode == 0, replayed.stderr
    assert f"replayed {ledger_length(env['MARKETPLACE_DATABASE_URL'])} events" in replayed.stderr
    head = schema.head_revision()
    assert current.stdout.strip() == f"database: {head}; code: {head}"


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unreachable_database_is_one_line_and_a_failed_exit(tmp_path: Path) -> None:
    env = {"MARKETPLACE_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/kyodo",
           "MARKETPLACE_VAR_DIR": str(tmp_path)}

    for command in (["serve"], ["db", "upgrade"], ["replay"], ["demo", "seed"]):
        assert "cannot reach the database" in one_line_error(run(*command, env=env))


def test_a_database_at_an_older_migration_is_one_line_naming_the_fix(env: dict[str, str]) -> None:
    line = one_line_error(run("serve", env=env))

    assert "marketplace db upgrade" in line


@pytest.mark.parametrize(("setting", "value", "words"), [
    ("MARKETPLACE_DATABASE_URL", "not a url", "not a database URL"),
    ("MARKETPLACE_ENV", "staging", "use development or production"),
    ("MARKETPLACE_SECRET_KEY", "short", "at least 32"),
])
def test_a_malformed_setting_is_one_line(tmp_path: Path, setting: str, value: str,
                                         words: str) -> None:
    env = {"MARKETPLACE_VAR_DIR": str(tmp_path), setting: value}

    assert words in one_line_error(run("serve", env=env))


def test_an_unwritable_var_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    env = {"MARKETPLACE_VAR_DIR": str(tmp_path / "file" / "var")}

    assert "MARKETPLACE_VAR_DIR" in one_line_error(run("db", "upgrade", env=env))


def registered(env: dict[str, str]) -> tuple[Marketplace, UUID]:
    """A migrated marketplace with one organisation, set up in-process (subprocesses are slow)."""
    url = env["MARKETPLACE_DATABASE_URL"]
    schema.upgrade(url)
    marketplace = Marketplace(url)
    return marketplace, marketplace.register_organisation(**GUNMA_PRESS).organisation_id


def test_an_organisations_tokens_are_created_listed_and_revoked_from_the_command_line(
        env: dict[str, str]) -> None:
    marketplace, organisation_id = registered(env)
    listed = run("org", "list", env=env)
    created = run("org", "token", "create", str(organisation_id), "--label", "ERP export",
                  env=env)
    token = created.stdout.strip()
    [issued] = [t for t in marketplace.organisations.api_tokens(organisation_id) if t.label]
    authenticated = marketplace.organisations.organisation_for_token(token)

    revoked = run("org", "token", "revoke", str(organisation_id), str(issued.token_id), env=env)
    tokens = run("org", "token", "list", str(organisation_id), env=env)

    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"^{organisation_id}\s+上州精密プレス\s+buyer,supplier\s+JP-10$",
                     listed.stdout, re.MULTILINE), listed.stdout
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"kyodo_[\w-]{43}\n", created.stdout), "stdout must be the token only"
    assert "shown only this once" in created.stderr
    assert authenticated == organisation_id
    assert revoked.returncode == 0, revoked.stderr
    assert marketplace.organisations.organisation_for_token(token) is None
    header, *rows = tokens.stdout.splitlines()
    assert header.split() == ["token", "id", "label", "issued", "revoked"]
    assert len(rows) == 2
    [erp_row] = [row for row in rows if row.startswith(str(issued.token_id))]
    assert re.fullmatch(rf"{issued.token_id}\s+ERP export\s+\S+Z\s+\S+Z", erp_row), erp_row
    assert token not in tokens.stdout


def test_a_bad_or_unknown_id_is_one_line_and_exit_code_one(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url:
        env = {"MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_VAR_DIR": str(tmp_path / "var")}
        _, organisation_id = registered(env)
        unknown = uuid4()

        malformed = run("org", "token", "create", "not-a-uuid", env=env)
        missing = run("org", "token", "revoke", str(organisation_id), str(unknown), env=env)

    assert malformed.returncode == missing.returncode == 1
    assert "'not-a-uuid' is not an organisation id" in one_line_error(malformed)
    assert f"no API token with id {unknown}" in one_line_error(missing)


def test_openapi_prints_the_api_document_as_json_without_a_database(tmp_path: Path) -> None:
    import json  # appended alone to a file others are editing: its imports stay theirs

    unreachable = {"MARKETPLACE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
                   "MARKETPLACE_VAR_DIR": str(tmp_path / "var")}

    printed = run("openapi", env=unreachable)

    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["info"]["title"] == "Kyodo API"
    assert {"/api/v1/lots", "/api/v1/needs", "/api/v1/bids/{bid_id}"} <= set(document["paths"])
