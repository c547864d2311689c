"""`marketplace audit export`: the ledger as JSON Lines, lots and RFQs as OCDS (docs/export.md).

The OCDS output is validated against the official OCDS 1.1 schemas vendored in
tests/ocds_schema/ (see the README there), with jsonschema's Draft 4 validator and a local
registry: no schema is ever fetched from the network.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from jsonschema import Draft4Validator
from ocdsmerge.rules import get_merge_rules
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from events import SettableClock, engine_for, event_store_tables
from events.checkpoints import rfc3339
from events.entries import entry_hash
from marketplace.application import Marketplace
from marketplace.audit.cli_export import atomic_file
from marketplace.audit.export import write_jsonl
from marketplace.audit.ocds import MERGE_RULES, write_record_package
from marketplace.cli import cli
from tests.lot_scenes import Scene
from tests.lots_builders import a_cluster, bid_alone, open_lot
from tests.rfq_builders import an_rfq

SCHEMAS = {path.stem: json.loads(path.read_text())
           for path in (Path(__file__).parent.parent / "ocds_schema").glob("*.json")}
REGISTRY: Registry = Registry().with_resources(
    (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4))
    for schema in SCHEMAS.values())
PREFIX = "ocds-kyodo0-"


def ocds_errors(document: Any, schema: str) -> list[str]:
    validator = Draft4Validator(SCHEMAS[schema], registry=REGISTRY,
                                format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
            for error in validator.iter_errors(document)]


def release_package(records: dict[str, Any]) -> dict[str, Any]:
    """The records' releases in a release package, as `ocdskit` would separate them."""
    return {**{k: v for k, v in records.items() if k != "records"},
            "releases": [r for record in records["records"] for r in record["releases"]]}


def exported_lines(marketplace: Marketplace) -> list[dict[str, Any]]:
    buffer = io.BytesIO()
    write_jsonl(marketplace, buffer, end=marketplace.position(), batch_size=7)
    return [json.loads(line) for line in buffer.getvalue().decode().splitlines()]


def exported_records(marketplace: Marketplace) -> dict[str, Any]:
    buffer = io.BytesIO()
    write_record_package(marketplace, buffer, end=marketplace.position(), ocid_prefix=PREFIX,
                         publisher="Kyodo test")
    document: dict[str, Any] = json.loads(buffer.getvalue())
    return document


def record_of(document: dict[str, Any], process_id: UUID) -> dict[str, Any]:
    found = [r for r in document["records"] if r["ocid"] == f"{PREFIX}{process_id}"]
    assert len(found) == 1
    return found[0]


def stored_events(url: str) -> list[Any]:
    events = event_store_tables("Ledger")["events"]
    with engine_for(url).connect() as connection:
        return list(connection.execute(sa.select(
            events.c.id, events.c.originator_id, events.c.originator_version, events.c.topic,
            events.c.state).order_by(events.c.id)))


def cleared(scene: Scene) -> None:
    """The consortium's other member accepts its share; the lot closes and is cleared."""
    firms = scene.firms
    scene.marketplace.accept_consortium_share(firms.suppliers[2], scene.lot_id,
                                              scene.consortium_bid)
    scene.after_close()
    assert scene.marketplace.close_due_lots() == [scene.lot_id]


# ---- JSON Lines -----------------------------------------------------------------------------

def test_the_jsonl_is_one_line_per_event_in_ledger_order_with_each_entrys_leaf_hash(
        scene: Scene, migrated_url: str) -> None:
    cleared(scene)
    stored = stored_events(migrated_url)

    lines = exported_lines(scene.marketplace)

    assert [line["position"] for line in lines] == [row.id for row in stored]
    assert [line["leaf_hash"] for line in lines] == [
        entry_hash(row.id, UUID(str(row.originator_id)), row.originator_version, row.topic,
                   bytes(row.state)).hex() for row in stored]
    assert [(line["aggregate_id"], line["version"], line["topic"]) for line in lines] == [
        (str(row.originator_id), row.originator_version, row.topic) for row in stored]
    first = lines[0]
    assert (first["type"], first["aggregate_type"], first["time"]) == (
        "Organisation.Registered", "Organisation", "2026-11-20T09:00:00.000000Z")
    opened = next(line for line in lines if line["type"] == "Lot.Opened")
    assert opened["aggregate_type"] == "Lot"
    assert opened["data"]["thresholds"] == ["1000", "5000"]
    assert opened["data"]["organiser_id"] == str(scene.firms.buyers[0])
    assert "originator_id" not in opened["data"]
    allocated = next(line for line in lines if line["type"] == "Lot.Allocated")
    assert allocated["data"]["result"]["total_cost"] == "152000"


def test_the_bids_of_an_open_lot_are_sealed_and_shown_once_it_has_closed(
        scene: Scene) -> None:
    bidders = {str(s) for s in scene.firms.suppliers[:3]}
    scene.marketplace.accept_consortium_share(scene.firms.suppliers[2], scene.lot_id,
                                              scene.consortium_bid)

    sealed = exported_lines(scene.marketplace)
    cleared(scene)
    revealed = {line["position"]: line for line in exported_lines(scene.marketplace)}

    offers = [line for line in sealed if line["type"] in (
        "Lot.BidPlaced", "Lot.ConsortiumShareAccepted")]
    assert [line["data"] for line in offers] == [
        {"sealed": True, "bid_id": str(scene.consortium_bid)},
        {"sealed": True, "bid_id": str(scene.bid)},
        {"sealed": True, "bid_id": str(scene.consortium_bid)}]
    assert not any(bidder in json.dumps(line) for line in offers for bidder in bidders)
    shown = [revealed[line["position"]] for line in offers]
    assert [line["data"].get("supplier_id") for line in shown] == [
        str(scene.firms.suppliers[1]), str(scene.firms.suppliers[0]), None]
    assert shown[1]["data"]["terms"]["tiers"][1] == {"from_quantity": "1000",
                                                     "unit_price": "180"}
    assert [line["leaf_hash"] for line in shown] == [line["leaf_hash"] for line in offers]


def test_the_quotes_of_an_rfq_are_sealed_until_its_deadline_is_recorded(
        marketplace: Marketplace, clock: SettableClock) -> None:
    rfq = an_rfq(marketplace, clock)
    quotes = rfq.quote_all()
    rfq.after_deadline()

    before = exported_lines(marketplace)
    marketplace.open_quotes(rfq.rfq_id)
    after = {line["position"]: line for line in exported_lines(marketplace)}

    submitted = [line for line in before if line["type"] == "Rfq.QuoteSubmitted"]
    assert [line["data"] for line in submitted] == [
        {"sealed": True, "quote_id": str(quotes[s])} for s in (rfq.a, rfq.b, rfq.c)]
    assert [after[line["position"]]["data"]["supplier_id"] for line in submitted] == [
        str(rfq.a), str(rfq.b), str(rfq.c)]


# ---- OCDS -----------------------------------------------------------------------------------

def test_a_cleared_lot_is_an_ocds_record_whose_award_is_the_recorded_clearing(
        scene: Scene) -> None:
    lead, member = scene.firms.suppliers[1], scene.firms.suppliers[2]
    cleared(scene)

    document = exported_records(scene.marketplace)

    assert ocds_errors(document, "record-package-schema") == []
    assert ocds_errors(release_package(document), "release-package-schema") == []
    record = record_of(document, scene.lot_id)
    assert [r["tag"] for r in record["releases"]] == [["tender"], ["tenderUpdate"], ["award"]]
    compiled = record["compiledRelease"]
    assert compiled["tender"]["status"] == "complete"
    assert compiled["tender"]["items"][0]["quantity"] == 800
    assert compiled["tender"]["items"][0]["unit"] == {"scheme": "UNCEFACT", "id": "KGM",
                                                      "name": "kg"}
    assert {t["id"] for t in compiled["tender"]["tenderers"]} == {
        str(s) for s in scene.firms.suppliers[:3]}
    (award,) = compiled["awards"]
    assert award["id"] == str(scene.consortium_bid)
    assert award["value"] == {"amount": 152000, "currency": "JPY"}
    assert [s["id"] for s in award["suppliers"]] == [str(lead), str(member)]
    assert award["items"][0]["quantity"] == 800
    assert award["items"][0]["unit"]["value"] == {"amount": 190, "currency": "JPY"}
    roles = {p["id"]: p["roles"] for p in compiled["parties"]}
    assert roles[str(scene.firms.buyers[0])] == ["procuringEntity"]
    assert roles[str(scene.firms.buyers[1])] == ["buyer"]
    assert roles[str(scene.firms.suppliers[0])] == ["tenderer"]
    assert roles[str(lead)] == roles[str(member)] == ["tenderer", "supplier"]


def test_an_open_lot_is_its_tender_alone_with_nothing_of_its_bids(scene: Scene) -> None:
    document = exported_records(scene.marketplace)

    record = record_of(document, scene.lot_id)
    assert ocds_errors(document, "record-package-schema") == []
    assert [r["tag"] for r in record["releases"]] == [["tender"]]
    text = json.dumps(record)
    assert not any(str(s) in text for s in scene.firms.suppliers)
    assert record["compiledRelease"]["tender"]["tenderPeriod"]["endDate"].endswith("Z")


def test_an_awarded_rfq_is_an_ocds_record_with_its_awards_and_purchase_orders(
        marketplace: Marketplace, clock: SettableClock) -> None:
    rfq = an_rfq(marketplace, clock)
    quotes = rfq.quote_all()
    rfq.after_deadline()
    marketplace.open_quotes(rfq.rfq_id)
    marketplace.award_rfq(rfq.buyer, rfq.rfq_id, lines={1: quotes[rfq.b], 2: quotes[rfq.a]},
                          reason="cheapest per line")

    document = exported_records(marketplace)

    assert ocds_errors(document, "record-package-schema") == []
    assert ocds_errors(release_package(document), "release-package-schema") == []
    record = record_of(document, rfq.rfq_id)
    assert [r["tag"] for r in record["releases"]] == [
        ["tender"], ["tenderUpdate"], ["award"], ["contract"], ["contract"]]
    compiled = record["compiledRelease"]
    assert compiled["buyer"]["id"] == str(rfq.buyer)
    assert [(i["id"], i["quantity"]) for i in compiled["tender"]["items"]] == [
        ("1", 800), ("2", 50)]
    assert {t["id"] for t in compiled["tender"]["tenderers"]} == {
        str(rfq.a), str(rfq.b), str(rfq.c)}
    # Line 1: 800 kg at B's 185.5; line 2: 50 pcs at A's 33.5 (tests/rfq_builders.py).
    assert [(a["id"], a["suppliers"][0]["id"], a["value"]["amount"])
            for a in compiled["awards"]] == [
        (str(quotes[rfq.b]), str(rfq.b), 148400), (str(quotes[rfq.a]), str(rfq.a), 1675)]
    assert compiled["awards"][0]["items"][0]["unit"]["value"]["amount"] == 185.5
    assert [(c["awardID"], c["value"]["amount"]) for c in compiled["contracts"]] == [
        (str(quotes[rfq.b]), 148400), (str(quotes[rfq.a]), 1675)]


def test_an_amended_rfq_and_a_cancelled_lot_are_told_by_their_releases(
        marketplace: Marketplace, clock: SettableClock) -> None:
    rfq = an_rfq(marketplace, clock)
    later = rfq.closes_at + timedelta(days=2)
    marketplace.amend_rfq(rfq.buyer, rfq.rfq_id, lines=[{"line": 1, "quantity": 900}],
                          closes_at=later)
    amended_at = marketplace.position()
    lot_id = open_lot(marketplace, rfq.buyer)
    marketplace.cancel_lot(rfq.buyer, lot_id, "the order was called off")

    document = exported_records(marketplace)

    assert ocds_errors(document, "record-package-schema") == []
    amended = record_of(document, rfq.rfq_id)
    assert [r["tag"] for r in amended["releases"]] == [["tender"], ["tenderAmendment"]]
    assert amended["releases"][-1]["id"] == f"{PREFIX}{rfq.rfq_id}-{amended_at}"
    tender = amended["compiledRelease"]["tender"]
    assert tender["items"][0]["quantity"] == 900
    assert tender["tenderPeriod"]["endDate"] == rfc3339(later)
    assert [a["id"] for a in tender["amendments"]] == [str(amended_at)]
    cancelled = record_of(document, lot_id)
    assert [r["tag"] for r in cancelled["releases"]] == [["tender"], ["tenderCancellation"]]
    assert cancelled["compiledRelease"]["tender"]["status"] == "cancelled"


def test_the_schema_check_rejects_what_ocds_does_not_allow(scene: Scene) -> None:
    cleared(scene)
    document = exported_records(scene.marketplace)
    award = record_of(document, scene.lot_id)["compiledRelease"]["awards"][0]

    award["value"]["amount"] = "152000"
    award["date"] = "yesterday"

    assert len(ocds_errors(document, "record-package-schema")) == 2


def test_the_merge_rules_are_those_of_the_ocds_release_schema() -> None:
    assert get_merge_rules(SCHEMAS["release-schema"]) == MERGE_RULES


# ---- the command ----------------------------------------------------------------------------

def run(url: str, tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["audit", "export", *args], env={
        "MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_VAR_DIR": str(tmp_path / "var")})


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_the_command_writes_each_format_whole_with_its_progress_on_stderr(
        marketplace: Marketplace, migrated_url: str, tmp_path: Path) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0])
    bid_alone(marketplace, firms.suppliers[0], lot_id)
    events = marketplace.position()

    jsonl = run(migrated_url, tmp_path, "--format", "jsonl", "--output",
                str(tmp_path / "ledger.jsonl"))
    ocds = run(migrated_url, tmp_path, "--format", "ocds", "-o", str(tmp_path / "ocds.json"),
               "--ocid-prefix", "ocds-test01-")

    assert jsonl.exit_code == 0, jsonl.stderr
    assert "Exporting the ledger" in jsonl.stderr
    assert f"exported {events} events, positions 1 to {events}" in jsonl.stderr
    assert len((tmp_path / "ledger.jsonl").read_text().splitlines()) == events
    assert ocds.exit_code == 0, ocds.stderr
    assert "exported 1 lots and RFQs as an OCDS record package" in ocds.stderr
    document = json.loads((tmp_path / "ocds.json").read_text())
    assert [r["ocid"] for r in document["records"]] == [f"ocds-test01-{lot_id}"]
    assert leftovers(tmp_path) == []


def test_a_format_we_do_not_export_is_one_line_and_writes_nothing(
        migrated_url: str, tmp_path: Path) -> None:
    result = run(migrated_url, tmp_path, "--format", "xml", "--output", str(tmp_path / "x"))

    assert one_line_error(result) == (
        "Error: --format 'xml' is not a format we export; use --format jsonl or --format ocds")
    assert not (tmp_path / "x").exists()


def test_an_output_that_cannot_be_written_is_one_line_and_leaves_no_file(
        marketplace: Marketplace, migrated_url: str, tmp_path: Path) -> None:
    a_cluster(marketplace, buyers=1, suppliers=1)

    missing = run(migrated_url, tmp_path, "--format", "jsonl", "-o",
                  str(tmp_path / "nowhere" / "ledger.jsonl"))
    directory = run(migrated_url, tmp_path, "--format", "jsonl", "-o", str(tmp_path))

    assert one_line_error(missing).startswith(
        f"Error: cannot write {tmp_path / 'nowhere' / 'ledger.jsonl'}: No such file")
    assert one_line_error(directory) == f"Error: cannot write {tmp_path}: Is a directory"
    assert leftovers(tmp_path) == []


def test_an_ocds_export_of_a_ledger_without_lots_or_rfqs_is_one_line_and_keeps_the_old_file(
        marketplace: Marketplace, migrated_url: str, tmp_path: Path) -> None:
    a_cluster(marketplace, buyers=1, suppliers=1)  # organisations, but no lot nor RFQ
    output = tmp_path / "ocds.json"
    output.write_text("the previous export\n")

    result = run(migrated_url, tmp_path, "--format", "ocds", "-o", str(output))

    assert one_line_error(result) == (
        "Error: the ledger holds no lot or RFQ, and an OCDS record package needs at least "
        "one; nothing was written")
    assert output.read_text() == "the previous export\n"
    assert leftovers(tmp_path) == []


def test_a_file_whose_writing_fails_midway_is_the_old_file_with_no_part_of_the_new(
        tmp_path: Path) -> None:
    output = tmp_path / "ledger.jsonl"
    output.write_text("the previous export\n")

    def export_that_fails() -> None:
        with atomic_file(output) as file:
            file.write(b'{"position":1}\n')
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        export_that_fails()

    assert output.read_text() == "the previous export\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("prefix", ["", "ocds kyodo", "ocds/../x-"])
def test_an_ocid_prefix_that_is_not_one_is_one_line(
        migrated_url: str, tmp_path: Path, prefix: str) -> None:
    result = run(migrated_url, tmp_path, "--format", "ocds", "-o", str(tmp_path / "o.json"),
                 "--ocid-prefix", prefix)

    assert one_line_error(result).startswith(f"Error: --ocid-prefix {prefix!r} is not an ocid")
    assert not (tmp_path / "o.json").exists()
