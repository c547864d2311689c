"""Time travel: any record as it stood at a ledger position or an instant, and its timeline;
sealed bids and quotes stay sealed until their round closes, in the library and the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.audit.record_state import plain, state_summary
from marketplace.audit.summary_text import OrganisationNames
from marketplace.audit.time_travel import (
    InstantInFutureError,
    NotYetRecordedError,
    PastLedgerEndError,
    PointInvalidError,
    RecordNotFoundError,
    state_at,
    timeline,
)
from marketplace.cli import cli
from tests.lots_builders import CLUSTER, a_cluster, bid_alone, open_lot, pooled_need, post_need
from tests.rfq_builders import QUOTE_B

HOUR = timedelta(hours=1)
TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class History:
    """A lot built one command an hour; the ledger's position after each step."""

    lot_id: UUID
    supplier: UUID
    opened: int
    first_pooled: int
    second_pooled: int
    bid: int
    started: datetime


def a_lot_with_history(marketplace: Marketplace, clock: SettableClock) -> History:
    firms = a_cluster(marketplace, buyers=2, suppliers=1)
    started = clock()
    lot_id = open_lot(marketplace, firms.buyers[0])
    opened = marketplace.position()
    clock.advance(HOUR)
    pooled_need(marketplace, firms.buyers[0], lot_id, 500)
    first = marketplace.position()
    clock.advance(HOUR)
    pooled_need(marketplace, firms.buyers[1], lot_id, 700)
    second = marketplace.position()
    clock.advance(HOUR)
    bid_alone(marketplace, firms.suppliers[0], lot_id)
    return History(lot_id, firms.suppliers[0], opened, first, second, marketplace.position(),
                   started)


def close(marketplace: Marketplace, clock: SettableClock, lot_id: UUID) -> None:
    clock.advance(timedelta(days=8))
    assert marketplace.close_due_lots() == [lot_id]


def summary_at(marketplace: Marketplace, record_id: UUID, *, position: int | None = None,
               at: datetime | None = None) -> dict[str, Any]:
    past = state_at(marketplace, record_id, position=position, at=at)
    return state_summary(marketplace, past, OrganisationNames(marketplace))


def test_the_lot_at_each_position_is_what_it_was_then(marketplace: Marketplace,
                                                      clock: SettableClock) -> None:
    history = a_lot_with_history(marketplace, clock)
    close(marketplace, clock, history.lot_id)

    pooled = {p: summary_at(marketplace, history.lot_id, position=p)["pooled_quantity"]
              for p in (history.opened, history.first_pooled, history.second_pooled,
                        history.bid)}
    statuses = [summary_at(marketplace, history.lot_id, position=p)["status"]
                for p in (history.bid, marketplace.position())]

    assert pooled == {history.opened: Decimal(0), history.first_pooled: Decimal(500),
                      history.second_pooled: Decimal(1200), history.bid: Decimal(1200)}
    assert statuses == ["open", "allocated"]


def test_a_position_between_the_lots_events_shows_it_after_the_one_before(
        marketplace: Marketplace, clock: SettableClock) -> None:
    history = a_lot_with_history(marketplace, clock)
    post_need(marketplace, register_buyer(marketplace))  # an event of another record
    between = marketplace.position()

    past = state_at(marketplace, history.lot_id, position=between)

    assert past.position == history.bid
    assert past.version == len(timeline(marketplace, history.lot_id))


def register_buyer(marketplace: Marketplace) -> UUID:
    return marketplace.register_organisation(name_en="Late Buyer", roles=["buyer"],
                                             prefecture="Gunma",
                                             clusters=[CLUSTER]).organisation_id


def test_the_lot_at_an_instant_is_after_its_last_event_recorded_by_then(
        marketplace: Marketplace, clock: SettableClock) -> None:
    history = a_lot_with_history(marketplace, clock)
    half_past = history.started + HOUR + HOUR / 2

    past = state_at(marketplace, history.lot_id, at=half_past.astimezone(TOKYO))
    exactly = state_at(marketplace, history.lot_id, at=history.started + 2 * HOUR)

    assert (past.version, past.aggregate.pooled_quantity) == (2, Decimal(500))
    assert past.position <= history.first_pooled
    assert (exactly.version, exactly.aggregate.pooled_quantity) == (3, Decimal(1200))


def test_an_old_version_never_replaces_the_cached_current_one(
        marketplace: Marketplace, clock: SettableClock) -> None:
    history = a_lot_with_history(marketplace, clock)
    current: Any = marketplace.repository.get(history.lot_id)
    cache: Any = marketplace.repository.cache

    old = state_at(marketplace, history.lot_id, position=history.opened)
    cached: Any = cache.get(history.lot_id)
    pooled_need(marketplace, register_buyer(marketplace), history.lot_id, 300)

    assert old.version == 1
    assert cached.version == current.version
    assert cached is not old.aggregate
    assert marketplace.repository.get(history.lot_id).pooled_quantity == Decimal(1500)


def test_the_points_that_cannot_be_shown_say_why(marketplace: Marketplace,
                                                 clock: SettableClock) -> None:
    history = a_lot_with_history(marketplace, clock)
    lot = history.lot_id
    end = marketplace.position()

    with pytest.raises(NotYetRecordedError,
                       match=f"did not exist yet at position 1; it was opened at position "
                             f"{history.opened}"):
        state_at(marketplace, lot, position=1)
    with pytest.raises(PastLedgerEndError, match=f"its last position is {end}"):
        state_at(marketplace, lot, position=end + 1)
    with pytest.raises(PointInvalidError, match="positions start at 1"):
        state_at(marketplace, lot, position=0)
    with pytest.raises(InstantInFutureError, match="has not come yet"):
        state_at(marketplace, lot, at=clock() + timedelta(seconds=1))
    with pytest.raises(NotYetRecordedError, match="it was opened at"):
        state_at(marketplace, lot, at=history.started - timedelta(seconds=1))
    with pytest.raises(PointInvalidError, match="with its time zone"):
        state_at(marketplace, lot, at=datetime(2026, 11, 20, 9, 0))
    with pytest.raises(PointInvalidError, match="not both"):
        state_at(marketplace, lot, position=end, at=clock())
    with pytest.raises(RecordNotFoundError, match="no record on the ledger"):
        state_at(marketplace, uuid4(), position=end)
    with pytest.raises(RecordNotFoundError):
        timeline(marketplace, uuid4())


def test_a_timeline_tells_each_event_in_order(marketplace: Marketplace,
                                             clock: SettableClock) -> None:
    history = a_lot_with_history(marketplace, clock)
    close(marketplace, clock, history.lot_id)

    entries = timeline(marketplace, history.lot_id)

    assert [e.version for e in entries] == list(range(1, len(entries) + 1))
    assert [e.position for e in entries] == sorted(e.position for e in entries)
    assert [e.event_type for e in entries] == [
        "Lot.Opened", "Lot.NeedPooled", "Lot.NeedPooled", "Lot.SupplierJoined",
        "Lot.BidPlaced", "Lot.Closed", "Lot.Allocated"]
    lines = [str(e.summary) for e in entries]
    assert lines[1] == "pooled 500 kg by Buyer 0"
    assert lines[4] == ("bid placed by Supplier 0: ¥200 (≥ 100 kg) / ¥180 (≥ 1,000 kg), "
                        "capacity 2,000 kg")
    assert lines[5] == "closed: 1,200 kg pooled by 2 buyer(s), 1 bid(s) counted"
    assert lines[6].startswith("allocated (optimal): 1,200 kg to 2 of 2 buyer(s)")


def test_bids_are_sealed_until_the_lot_closes(marketplace: Marketplace,
                                              clock: SettableClock) -> None:
    history = a_lot_with_history(marketplace, clock)

    placed = str(timeline(marketplace, history.lot_id)[-1].summary)
    before = plain(summary_at(marketplace, history.lot_id, position=history.bid))
    close(marketplace, clock, history.lot_id)
    after = plain(summary_at(marketplace, history.lot_id, position=history.bid))

    assert placed == "a bid was placed (sealed until the lot closes)"
    assert (before["bid_count"], before["bids_sealed"], before["bids"]) == (1, True, None)
    assert "200" not in json.dumps(before["bids"])
    assert after["bids_sealed"] is False
    assert after["bids"][0]["supplier"]["name"] == "Supplier 0"
    assert after["bids"][0]["tiers"][0] == {"from_quantity": "100", "unit_price": "200"}


def test_an_rfqs_quotes_are_sealed_until_its_deadline(marketplace: Marketplace,
                                                      clock: SettableClock) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    buyer, supplier = firms.buyers[0], firms.suppliers[0]
    rfq_id = marketplace.issue_rfq(buyer, need_ids=[post_need(marketplace, buyer, 300)],
                                   title="SPCC for Q1", closes_at=clock() + timedelta(days=2),
                                   invited=[supplier], cluster=CLUSTER)
    marketplace.submit_quote(supplier, rfq_id, QUOTE_B)

    state = plain(summary_at(marketplace, rfq_id))
    lines = [str(e.summary) for e in timeline(marketplace, rfq_id)]

    assert (state["record"], state["quotes"], state["quotes_sealed"]) == ("Rfq", None, True)
    assert state["quote_count"] == 1
    assert lines[-1] == "a quote was submitted (sealed until the deadline)"
    assert "185.5" not in json.dumps(state)


def test_an_organisation_at_a_position_has_the_profile_it_had_then(
        marketplace: Marketplace) -> None:
    organisation = register_buyer(marketplace)
    registered = marketplace.position()
    marketplace.update_organisation_profile(organisation, name_en="Renamed Buyer")

    then = plain(summary_at(marketplace, organisation, position=registered))
    now = plain(summary_at(marketplace, organisation))

    assert then["profile"]["name_en"] == "Late Buyer"
    assert now["profile"]["name_en"] == "Renamed Buyer"
    assert "token_hash" not in json.dumps(now)


# ---- the command line -----------------------------------------------------------------------

def run(url: str, tmp_path: Path, *args: str) -> Result:
    env = {"MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_VAR_DIR": str(tmp_path / "var")}
    return CliRunner().invoke(cli, ["audit", *args], env=env)


def test_the_cli_prints_the_lot_at_a_position_as_json_with_its_bids_sealed(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str,
        tmp_path: Path) -> None:
    history = a_lot_with_history(marketplace, clock)

    result = run(migrated_url, tmp_path, "state", str(history.lot_id),
                 "--position", str(history.first_pooled))
    table = run(migrated_url, tmp_path, "timeline", str(history.lot_id))

    assert result.exit_code == 0, result.output
    state = json.loads(result.stdout)
    assert (state["status"], state["pooled_quantity"]) == ("open", "500")
    assert state["commitments"][0]["name"] == "Buyer 0"
    assert table.exit_code == 0, table.output
    assert "pooled 700 kg by Buyer 1" in table.stdout
    assert "a bid was placed (sealed until the lot closes)" in table.stdout
    assert "¥200" not in table.stdout
    assert "Supplier 0" in table.stdout  # it joined, in the open
    assert "bid placed by" not in table.stdout


def test_the_cli_shows_the_bids_once_the_lot_has_closed(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str,
        tmp_path: Path) -> None:
    history = a_lot_with_history(marketplace, clock)
    close(marketplace, clock, history.lot_id)

    result = run(migrated_url, tmp_path, "state", str(history.lot_id))
    table = run(migrated_url, tmp_path, "timeline", str(history.lot_id))

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["bids"][0]["capacity"] == "2000"
    assert "bid placed by Supplier 0: ¥200" in table.stdout


@pytest.mark.parametrize(("args", "says"), [
    (["--position", "1"], "did not exist yet at position 1; it was opened at position"),
    (["--position", "999999"], "past the end of the ledger"),
    (["--at", "2999-01-01T00:00:00+09:00"], "has not come yet"),
    (["--at", "2026-11-20T09:00:00"], "with its time zone"),
    (["--at", "next tuesday"], "is not an instant"),
    (["--position", "3", "--at", "2026-11-20T09:00:00+09:00"], "not both"),
])
def test_the_cli_refuses_a_point_it_cannot_show_in_one_line(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str, tmp_path: Path,
        args: list[str], says: str) -> None:
    history = a_lot_with_history(marketplace, clock)

    result = run(migrated_url, tmp_path, "state", str(history.lot_id), *args)

    assert result.exit_code != 0
    assert result.stdout == ""
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("record", "says"), [
    ("not-an-id", "is not a record id"),
    (str(uuid4()), "no record on the ledger has id"),
])
def test_the_cli_refuses_an_unknown_record_in_one_line(
        migrated_url: str, tmp_path: Path, record: str, says: str) -> None:
    for command in ("state", "timeline"):
        result = run(migrated_url, tmp_path, command, record)

        assert result.exit_code != 0
        assert says in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_the_instants_of_the_history_are_in_utc_in_the_timeline(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str,
        tmp_path: Path) -> None:
    history = a_lot_with_history(marketplace, clock)

    table = run(migrated_url, tmp_path, "timeline", str(history.lot_id))

    assert history.started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in table.stdout
