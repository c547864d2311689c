"""The `marketplace` command as a person runs it: one line on bad set-up, never a traceback."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import database

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
    seeded = run("demo", env=env)
    again = run("demo", env=env)
    replayed = run("replay", "--batch-size", "4", env=env)
    current = run("db", "current", env=env)

    assert seeded.returncode == 0, seeded.stderr
    assert "9 organisations registered" in seeded.stderr
    assert "nothing added" in again.stderr
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 18 events" in replayed.stderr
    assert current.stdout.strip() == "database: 0001; code: 0001"


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unreachable_database_is_one_line_and_a_failed_exit(tmp_path: Path) -> None:
    env = {"MARKETPLACE_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/kyodo",
           "MARKETPLACE_VAR_DIR": str(tmp_path)}

    for command in (["serve"], ["db", "upgrade"], ["replay"], ["demo"]):
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
