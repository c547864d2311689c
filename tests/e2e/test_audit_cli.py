"""`marketplace audit verify | check-receipt | check-consistency | checkpoint` as an auditor
runs them: exit 0 when everything holds, else one line naming what and where."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from events import engine_for
from events.receipts import build_consistency, build_receipt
from marketplace.bootstrap import open_marketplace
from marketplace.settings import Settings
from tests.e2e.test_cli import env, one_line_error, run

__all__ = ["env"]


@pytest.fixture
def seeded(env: dict[str, str]) -> dict[str, str]:
    for command in (("db", "upgrade"), ("demo", "seed"), ("audit", "checkpoint")):
        result = run(*command, env=env)
        assert result.returncode == 0, result.stderr
    return env


def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env({**os.environ, **env})


def test_verify_passes_then_names_the_row_an_intruder_edited(seeded: dict[str, str]) -> None:
    passed = run("audit", "verify", env=seeded)
    assert passed.returncode == 0, passed.stderr
    assert "entries verified" in passed.stderr
    for phase in ("checkpoints", "entries", "allocations", "read models"):
        assert phase in passed.stderr

    url = seeded["MARKETPLACE_DATABASE_URL"]
    with engine_for(url).begin() as connection:
        position = connection.execute(sa.text(
            "SELECT min(id) FROM ledger_events WHERE topic LIKE '%Lot.BidPlaced'")).scalar_one()
        connection.execute(sa.text(
            "UPDATE ledger_events SET state = CAST(replace(state, '1', '2') AS BLOB) WHERE id = :p"
            if url.startswith("sqlite") else
            "UPDATE ledger_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
            "'1', '2'), 'UTF8') WHERE id = :p"), {"p": position})
    failed = run("audit", "verify", "--database", url, env=seeded)

    assert failed.returncode == 1
    assert f"verify failed at position {position}: " in failed.stderr
    assert "changed after it was recorded" in failed.stderr


def test_check_receipt_and_consistency_files(seeded: dict[str, str], tmp_path: Path) -> None:
    marketplace = open_marketplace(settings(seeded))
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(build_receipt(marketplace, 3)))
    first = marketplace.checkpoints.latest()
    marketplace.update_organisation_profile(
        marketplace.organisations.search(limit=1)[0].id, prefecture="Tochigi")
    second = marketplace.checkpoint("manual")
    assert first is not None
    assert second is not None
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(build_consistency(marketplace, first, second)))

    checked = run("audit", "check-receipt", str(receipt), env=seeded)
    consistent = run("audit", "check-consistency", str(proof), env=seeded)

    assert checked.returncode == 0, checked.stderr
    assert "entry 3 " in checked.stdout
    assert "by the trusted key" in checked.stdout
    assert consistent.returncode == 0, consistent.stderr
    assert f"extends the ledger of {first.tree_size}" in consistent.stdout

    document = json.loads(receipt.read_text())
    document["leaf_index"] += 1
    receipt.write_text(json.dumps(document))
    assert "the receipt does not hold" in one_line_error(
        run("audit", "check-receipt", str(receipt), env=seeded))
    receipt.write_text("not json")
    assert "not JSON" in one_line_error(run("audit", "check-receipt", str(receipt), env=seeded))
    assert "cannot read" in one_line_error(
        run("audit", "check-receipt", str(tmp_path / "missing.json"), env=seeded))
    assert "--public-key must be" in one_line_error(
        run("audit", "check-receipt", str(receipt), "--public-key", "short", env=seeded))


def test_a_bad_database_url_is_one_line(tmp_path: Path) -> None:
    env = {"MARKETPLACE_VAR_DIR": str(tmp_path)}
    line = one_line_error(run("audit", "verify", "--database", "nonsense://", env=env))
    assert "not a database URL" in line or "unsupported database" in line
