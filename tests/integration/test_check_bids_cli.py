"""`marketplace audit check-bids LOT_ID` as an auditor runs it: one line per bid entry, exit 0
when none fails, 1 when one does; one line and exit 1 for a lot it cannot check."""

from __future__ import annotations

import base64
from pathlib import Path
from uuid import UUID, uuid4

from click.testing import CliRunner, Result

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.cli import cli
from marketplace.domain.lot import Lot
from tests.sealed_bids import a_lot_with_bids, close_on_time, edit_stored_state

#: The tests' deployment key (tests.conftest.LEDGER_SIGNER's seed), as the settings take it.
LEDGER_KEY = base64.b64encode(bytes(range(32))).decode()


def check_bids(url: str, tmp_path: Path, lot_id: UUID | str) -> Result:
    return CliRunner().invoke(cli, ["audit", "check-bids", str(lot_id)], env={
        "MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_VAR_DIR": str(tmp_path / "var"),
        "MARKETPLACE_LEDGER_KEY": LEDGER_KEY})


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def test_every_bid_holding_prints_one_line_each_and_exits_0(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str,
        tmp_path: Path) -> None:
    lot = a_lot_with_bids(marketplace)
    close_on_time(marketplace, clock, lot.lot_id)

    result = check_bids(migrated_url, tmp_path, lot.lot_id)

    lines = result.stdout.splitlines()
    assert result.exit_code == 0, result.output
    assert len(lines) == 4
    assert all(" · OK · its terms hash to commitment " in line for line in lines)
    assert f"bid {lot.revised} revised" in lines[1]
    assert f"lot {lot.lot_id}: 4 bid entries checked" in result.stderr


def test_a_bid_edited_after_the_close_fails_the_run_naming_its_position(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str,
        tmp_path: Path) -> None:
    lot = a_lot_with_bids(marketplace)
    close_on_time(marketplace, clock, lot.lot_id)
    consortium = lot.entry(Lot.BidPlaced, 1)
    edit_stored_state(migrated_url, consortium.position, '"_data_":"190"', '"_data_":"180"')

    result = check_bids(migrated_url, tmp_path, lot.lot_id)

    failed = [line for line in result.stdout.splitlines() if " · FAILED · " in line]
    assert result.exit_code == 1
    assert failed == [line for line in result.stdout.splitlines()
                      if line.startswith(f"position {consortium.position} ")]
    assert "do not hash to its commitment" in failed[0]
    assert result.stderr.strip() == (
        f"Error: 1 of 4 bid entries of lot {lot.lot_id} fail their commitment, first at "
        f"position {consortium.position}")


def test_an_open_lot_an_unknown_lot_and_a_malformed_id_are_one_line_each(
        marketplace: Marketplace, migrated_url: str, tmp_path: Path) -> None:
    lot = a_lot_with_bids(marketplace)

    still_open = one_line_error(check_bids(migrated_url, tmp_path, lot.lot_id))
    unknown = one_line_error(check_bids(migrated_url, tmp_path, uuid4()))
    malformed = one_line_error(check_bids(migrated_url, tmp_path, "lot-42"))

    assert still_open == (f"Error: lot {lot.lot_id} has not closed: its bids stay sealed until "
                          "its close is recorded")
    assert unknown.startswith("Error: no lot has id ")
    assert malformed.startswith("Error: 'lot-42' is not a lot id")
