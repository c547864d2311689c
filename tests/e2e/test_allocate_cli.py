"""`marketplace allocate` as an engineer or an auditor runs it: the documented example, a file,
stdin, and bad input that is one line and writes nothing."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import MARKETPLACE, one_line_error

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
EXAMPLE_INPUT = EXAMPLES / "allocation-input.json"
EXAMPLE_OUTPUT = EXAMPLES / "allocation-output.json"


def allocate(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    # An unreachable database: the command must not need one.
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
           "MARKETPLACE_VAR_DIR": str(cwd / "var")}
    return subprocess.run([MARKETPLACE, "allocate", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def example() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE_INPUT.read_text())
    return document


def test_the_documented_example_clears_to_the_documented_output(tmp_path: Path) -> None:
    result = allocate(str(EXAMPLE_INPUT), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(EXAMPLE_OUTPUT.read_text()), (
        "the engine's answer changed: regenerate docs/examples/allocation-output.json with "
        "`marketplace allocate docs/examples/allocation-input.json -o "
        "docs/examples/allocation-output.json` and update the walk-through in "
        "docs/allocation.md")


def test_output_writes_stable_json_to_the_file_and_a_second_run_writes_the_same_bytes(
        tmp_path: Path) -> None:
    first = allocate(str(EXAMPLE_INPUT), "--output", "result.json", cwd=tmp_path)
    written = (tmp_path / "result.json").read_bytes()
    second = allocate(str(EXAMPLE_INPUT), "--output", "result.json", cwd=tmp_path)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == ""
    assert first.stderr == ("optimal; served 3500 kg to 3 of 4 buyers, total cost ¥530500, "
                            "total saving ¥23300; wrote result.json\n")
    assert (tmp_path / "result.json").read_bytes() == written
    document = json.loads(written)
    assert written.decode() == json.dumps(document, indent=2, sort_keys=True,
                                          ensure_ascii=False) + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"], "no temporary left"


def test_the_input_can_be_read_from_stdin(tmp_path: Path) -> None:
    result = allocate("-", cwd=tmp_path, stdin=EXAMPLE_INPUT.read_text())

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(EXAMPLE_OUTPUT.read_text())


def test_a_lot_no_bid_can_serve_is_a_valid_result_and_the_summary_says_infeasible(
        tmp_path: Path) -> None:
    document = example()
    for buyer in document["buyers"]:
        buyer["region"] = "okinawa"
    document["bids"] = [bid for bid in document["bids"] if bid.get("delivery_cost")]

    result = allocate("-", "-o", "result.json", cwd=tmp_path, stdin=json.dumps(document))

    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("infeasible: the bids could serve no need; served 0 kg")
    written = json.loads((tmp_path / "result.json").read_text())
    assert written["status"] == "infeasible"
    assert {b["reason"] for b in written["buyers"]} == {"no_delivery"}


def without_a_quantity() -> str:
    document = example()
    del document["buyers"][2]["quantity"]
    return json.dumps(document)


def with_a_quantity_in_words() -> str:
    document = example()
    document["buyers"][1]["quantity"] = "eight hundred"
    return json.dumps(document)


def with_a_price_in_words() -> str:
    document = example()
    document["bids"][1]["tiers"][0]["unit_price"] = "cheap"
    return json.dumps(document)


@pytest.mark.parametrize(("text", "named"), [
    (without_a_quantity(), "lot.json: buyers[2].quantity: is missing"),
    (with_a_quantity_in_words(), "lot.json: buyers[1].quantity: the quantity 'eight hundred' "
                                 "is not a number"),
    (with_a_price_in_words(), "lot.json: bids[1].tiers[0].unit_price: the unit price 'cheap' "
                              "is not a number"),
    ('{"unit": "kg",\n "buyers": [\n   {"id": "kiryu-kanagu",}\n ]}',
     "lot.json is not JSON: Expecting property name enclosed in double quotes at line 3, "
     "column 26"),
    (None, "cannot read lot.json: No such file or directory"),
], ids=["a missing field", "a non-numeric quantity", "a non-numeric price", "invalid JSON",
        "a missing file"])
def test_a_malformed_input_is_one_line_naming_the_problem_and_writes_no_file(
        tmp_path: Path, text: str | None, named: str) -> None:
    if text is not None:
        (tmp_path / "lot.json").write_text(text)

    result = allocate("lot.json", "--output", "result.json", cwd=tmp_path)

    assert result.returncode == 1
    assert one_line_error(result) == f"Error: {named}"
    assert not (tmp_path / "result.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if text is None else ["lot.json"])


def test_a_failed_run_leaves_the_previous_output_file_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text("the previous result\n")

    result = allocate("-", "--output", "result.json", cwd=tmp_path, stdin=without_a_quantity())

    assert "buyers[2].quantity" in one_line_error(result)
    assert (tmp_path / "result.json").read_text() == "the previous result\n"
