"""Ledger verification figures on a ledger of 1,000,000 generated events in SQLite.

The events are real: a small cluster's activity (firms, needs, lots, poolings, sealed and
consortium bids; in the first copies also a lot closed and cleared) is recorded through the
marketplace's commands once, then copied with fresh ids for every aggregate, bid and need until
the ledger holds a million entries, each with its leaf. Copies of cleared lots get their
allocation's digest recomputed, so verify re-solves real allocations.

Side by side, alternating, on the same file: a plain decode-only pass over every event (read in
position order and decoded to domain events) and `verify` without its read-model phase
(checkpoint signatures, every hash and signed root, every aggregate replayed, every allocation
re-solved), run as the CLI runs it: in a fresh process, its entries phase shared with a forked
worker where two CPUs are free. Peak memory is the largest sum, sampled every 20 ms, of the
proportional set sizes of the verify process and its worker. The incremental checkpoint is timed
after 10,000 more events. The read-model phase (a full replay into scratch tables) is timed
on its own, on a copy of the scenario with read models, because it writes every row again.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent

from events import SettableClock, engine_for
from events.checkpoints import Signer
from events.entries import entry_hash
from events.integrity_tables import leaves
from events.store import event_store_tables
from marketplace import schema
from marketplace.allocation.inputs import canonical_json
from marketplace.application import Marketplace

ROOT = Path(__file__).resolve().parents[1]
EVENTS = 1_000_000
MORE = 10_000
ROUNDS = 3
SIGNER = Signer.from_seed(hashlib.sha256(b"kyodo bench ledger").digest())
AT_LEAST = {"verify_events_per_s": 50_000.0, "verify_vs_decode": 0.5}
UNITS = {"verify_events_per_s": "events/s", "decode_events_per_s": "events/s",
         "verify_vs_decode": "ratio", "verify_peak_mb": "MB (PSS, all workers)",
         "verify_workers": "processes",
         "checkpoint_incremental_s": "s (+10,000 events)",
         "verify_read_models_events_per_s": "events/s (read-model phase)"}
TARGETS = {"verify_peak_mb": 200.0, "checkpoint_incremental_s": 0.5}
UUIDS = re.compile(rb"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
TABLE = event_store_tables("Ledger")["events"]
Row = tuple[uuid.UUID, int, str, bytes]


def scenario(url: str, *, cleared: bool) -> list[Row]:
    """A cluster's activity through the commands; its events in position order."""
    from tests.lots_builders import CONSORTIUM_TERMS, a_cluster, bid_alone, open_lot, pooled_need
    schema.upgrade(url)
    clock = SettableClock(datetime(2026, 11, 20, 9, tzinfo=UTC))
    marketplace = Marketplace(url, clock=clock, signer=SIGNER)
    firms = a_cluster(marketplace, buyers=4, suppliers=4)
    for _ in range(3):
        lot_id = open_lot(marketplace, firms.buyers[0])
        for buyer, quantity in zip(firms.buyers[1:], (800, 700, 1200), strict=True):
            pooled_need(marketplace, buyer, lot_id, quantity)
        bid_alone(marketplace, firms.suppliers[0], lot_id)
        bid_alone(marketplace, firms.suppliers[3], lot_id)
        lead, member = firms.suppliers[1], firms.suppliers[2]
        marketplace.join_lot(lead, lot_id)
        bid = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                    shares={lead: 600, member: 400})
        marketplace.accept_consortium_share(member, lot_id, bid)
    if cleared:
        clock.advance(timedelta(days=30))
        marketplace.close_due_lots()
    with marketplace.engine.connect() as connection:
        rows = connection.execute(sa.select(TABLE.c.originator_id, TABLE.c.originator_version,
                                            TABLE.c.topic, TABLE.c.state)
                                  .order_by(TABLE.c.id)).all()
    return [(uuid.UUID(str(r[0])), r[1], r[2], bytes(r[3])) for r in rows]


def copies(template: list[Row]) -> Callable[[], list[Row]]:
    """A maker of copies of the template with every id in it replaced by a fresh one."""
    ids = {match for _, _, _, state in template for match in UUIDS.findall(state)}
    ids |= {row[0].hex.encode() for row in template}

    def copy() -> list[Row]:
        fresh = {old.replace(b"-", b""): uuid.uuid4() for old in ids}
        mapping = {}
        for old, new in fresh.items():
            mapping[old] = new.hex.encode()
            mapping[str(uuid.UUID(old.decode())).encode()] = str(new).encode()

        def replace(match: re.Match[bytes]) -> bytes:
            return mapping.get(match.group(0), match.group(0))
        made = []
        for aggregate_id, version, topic, state in template:
            state = UUIDS.sub(replace, state)
            if topic.endswith("Lot.Allocated"):
                state = _redigest(state)
            made.append((fresh[aggregate_id.hex.encode()], version, topic, state))
        return made
    return copy


def _redigest(state: bytes) -> bytes:
    document = json.loads(state)
    digest = "sha256:" + hashlib.sha256(canonical_json(document["input"])).hexdigest()
    document["input_digest"] = digest
    document["result"]["input_digest"] = digest
    return json.dumps(document, separators=(",", ":")).encode()


def append(url: str, rows: Iterator[Row], count: int, start: int) -> int:
    """Inserts ``count`` entries with their leaves from position ``start + 1``."""
    engine = engine_for(url)
    position = start
    batch: list[dict[str, Any]] = []
    leaf_batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        index = connection.execute(sa.select(sa.func.count()).select_from(leaves)).scalar_one()
        for aggregate_id, version, topic, state in rows:
            position += 1
            batch.append({"id": position, "originator_id": aggregate_id,
                          "originator_version": version, "topic": topic, "state": state})
            leaf_batch.append({"leaf_index": index, "position": position,
                               "leaf_hash": entry_hash(position, aggregate_id, version, topic,
                                                       state)})
            index += 1
            if len(batch) == 20_000 or position - start == count:
                connection.execute(TABLE.insert(), batch)
                connection.execute(leaves.insert(), leaf_batch)
                batch.clear()
                leaf_batch.clear()
            if position - start == count:
                break
    return position


def generated(templates: list[tuple[Callable[[], list[Row]], int]]) -> Iterator[Row]:
    """Copies of each template, as many as it asks for, the last one forever."""
    for make, times in templates:
        for _ in range(times):
            yield from make()
    make = templates[-1][0]
    while True:
        yield from make()


def decode_pass(marketplace: Marketplace) -> float:
    """Reads every event in position order and decodes it; seconds taken."""
    # Ids read raw (16 bytes) and made UUIDs directly, as verify does: the column type's own
    # conversion would slow the baseline and flatter the ratio.
    raw_id = sa.type_coerce(TABLE.c.originator_id, sa.LargeBinary)
    query = (sa.select(TABLE.c.id, raw_id, TABLE.c.originator_version, TABLE.c.topic,
                       TABLE.c.state)
             .where(TABLE.c.id > sa.bindparam("after")).order_by(TABLE.c.id).limit(10_000))
    to_event = marketplace.mapper.to_domain_event
    started = time.perf_counter()
    with marketplace.engine.connect() as connection:
        after = 0
        while rows := connection.execute(query, {"after": after}).all():
            for _, aggregate_id, version, topic, state in rows:
                to_event(StoredEvent(originator_id=uuid.UUID(bytes=aggregate_id),
                                     originator_version=version, topic=topic,
                                     state=bytes(state)))
            after = rows[-1][0]
    return time.perf_counter() - started


VERIFY_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from bench.ledger import SIGNER
from marketplace.application import Marketplace
from marketplace.audit.verify import default_workers, verify_ledger
marketplace = Marketplace({url!r}, signer=SIGNER)
started = time.perf_counter()
report = verify_ledger(marketplace, trusted_key=SIGNER.public_key, read_models={read_models},
                       workers=default_workers())
seconds = time.perf_counter() - started
print(json.dumps({{"ok": report.ok, "problem": str(report.problem), "seconds": seconds,
                  "entries": report.entries,
                  "phases": {{p.name: p.seconds for p in report.phases}},
                  "workers": default_workers(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def verify_child(url: str, *, read_models: bool = False) -> dict[str, Any]:
    """Verifies in a fresh process, as the CLI does (with its default workers); its peak
    memory is the largest sum, sampled every 20 ms, of the proportional set sizes (PSS) of
    it and its worker processes: pages they share after the fork are counted once."""
    script = VERIFY_CHILD.format(root=str(ROOT), url=url, read_models=read_models)
    with subprocess.Popen([sys.executable, "-c", script],  # noqa: S603 (our own script)
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, _pss_mb(child.pid))
            time.sleep(0.02)
        out, err = child.communicate()
    if child.returncode:
        raise RuntimeError(f"the verify child failed ({child.returncode}): {err}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if not result["ok"]:
        raise RuntimeError(f"verify failed on the bench ledger: {result['problem']}")
    result["peak_mb"] = peak
    return result


def _pss_mb(pid: int) -> float:
    """The PSS of a process and its descendants, in MB (0 for those already gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


def measure_ledger(progress: Callable[[str], None]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kyodo-bench-ledger-") as directory:
        base = Path(directory)
        cleared = scenario(f"sqlite:///{base / 'cleared.sqlite3'}", cleared=True)
        open_only = scenario(f"sqlite:///{base / 'open.sqlite3'}", cleared=False)
        url = f"sqlite:///{base / 'ledger.sqlite3'}"
        schema.upgrade(url)
        progress(f"generating {EVENTS:,} events ({len(cleared)} and {len(open_only)} a copy)")
        rows = generated([(copies(cleared), 20), (copies(open_only), 1)])
        position = append(url, rows, EVENTS, 0)
        marketplace = Marketplace(url, signer=SIGNER)
        marketplace.checkpoint("bench")
        decode, verify, phases = [], [], []
        peak, workers = 0.0, 1
        for round_ in range(ROUNDS):
            progress(f"round {round_ + 1}/{ROUNDS}: decode pass, then verify")
            decode.append(decode_pass(marketplace))
            result = verify_child(url)
            verify.append(result["seconds"])
            phases.append(result["phases"])
            peak = max(peak, result["peak_mb"])
            workers = result["workers"]
        incremental = []
        for _ in range(ROUNDS):
            position = append(url, rows, MORE, position)
            started = time.perf_counter()
            marketplace.checkpoint("bench")
            incremental.append(time.perf_counter() - started)
        read_models = measure_read_models(base, progress)
    decode_s, verify_s = statistics.median(decode), statistics.median(verify)
    figures = {
        "verify_events_per_s": EVENTS / verify_s,
        "decode_events_per_s": EVENTS / decode_s,
        "verify_vs_decode": decode_s / verify_s,
        "verify_peak_mb": peak,
        "verify_workers": workers,
        "checkpoint_incremental_s": statistics.median(incremental),
        "verify_read_models_events_per_s": read_models,
    }
    for name in phases[0]:
        figures[f"verify_phase_{name.replace(' ', '_')}_s"] = statistics.median(
            p[name] for p in phases)
    return figures


def measure_read_models(base: Path, progress: Callable[[str], None]) -> float:
    """The read-model phase's rate: a copy of the scenario grown through the commands (so the
    live read models exist) to about 20,000 events, then verified with read models."""
    from events import rebuild_read_models
    url = f"sqlite:///{base / 'read_models.sqlite3'}"
    schema.upgrade(url)
    template = scenario(f"sqlite:///{base / 'rm_template.sqlite3'}", cleared=False)
    append(url, generated([(copies(template), 1)]), 20_000, 0)
    progress("read-model phase: projecting 20,000 events, then verifying with read models")
    rebuild_read_models(Marketplace(url, signer=SIGNER), batch_size=2_000)
    rates = []
    for _ in range(ROUNDS):
        result = verify_child(url, read_models=True)
        rates.append(result["entries"] / result["phases"]["read models"])
    return statistics.median(rates)
