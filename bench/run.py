"""`make bench`: throughput of the bare event store against the full command path, side by side,
and the allocation engine's clearing time and memory against a PuLP+CBC baseline.

Prints a table and writes bench/results.json as {"figures": {NAME: {"value", "unit"}}}.
Each figure is the median of several rounds; raw and command rounds alternate, so both see
the same machine weather, on SQLite and on PostgreSQL; so do engine and baseline rounds
(bench/allocation.py). The ledger's verify is timed against a plain decode of 1,000,000
generated events (bench/ledger.py). Supplier matching is timed per need against 10,000
profiles on both databases (bench/matching.py). A member's lot page and its htmx partial are
served by uvicorn in one worker and loaded with wrk, beside a bare Litestar hello world
(bench/web.py).

`python bench/run.py --only allocation` (or `databases`, `matching`, `web`, `ledger`) runs one
part, for quick iteration; its figures replace theirs in results.json and the others are kept.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.allocation import LARGE_ROUNDS as ALLOC_LARGE_ROUNDS  # noqa: E402
from bench.allocation import SMALL_ROUNDS as ALLOC_SMALL_ROUNDS  # noqa: E402
from bench.allocation import TARGETS as ALLOC_TARGETS  # noqa: E402
from bench.allocation import measure_allocation  # noqa: E402
from bench.ledger import AT_LEAST as LEDGER_AT_LEAST  # noqa: E402
from bench.ledger import EVENTS as LEDGER_EVENTS  # noqa: E402
from bench.ledger import ROUNDS as LEDGER_ROUNDS  # noqa: E402
from bench.ledger import TARGETS as LEDGER_TARGETS  # noqa: E402
from bench.ledger import UNITS as LEDGER_UNITS  # noqa: E402
from bench.ledger import measure_ledger  # noqa: E402
from bench.lots import BURST_ROUNDS, measure_burst, measure_commands  # noqa: E402
from bench.lots import OPERATIONS as LOT_OPERATIONS  # noqa: E402
from bench.lots import ROUNDS as LOT_ROUNDS  # noqa: E402
from bench.matching import PROFILES as MATCH_PROFILES  # noqa: E402
from bench.matching import QUERIES as MATCH_QUERIES  # noqa: E402
from bench.matching import TARGETS as MATCH_TARGETS  # noqa: E402
from bench.matching import measure_matching_part  # noqa: E402
from bench.web import AT_LEAST as WEB_AT_LEAST  # noqa: E402
from bench.web import LOAD as WEB_LOAD  # noqa: E402
from bench.web import ROUNDS as WEB_ROUNDS  # noqa: E402
from bench.web import measure_web  # noqa: E402
from events import SettableClock, rebuild_read_models  # noqa: E402
from events.store import ledger_env  # noqa: E402
from marketplace import schema  # noqa: E402
from marketplace.application import Marketplace  # noqa: E402
from marketplace.domain import Organisation, Profile  # noqa: E402
from tests.databases import PostgresUnavailableError, postgres_database, sqlite_database  # noqa: E402

ROUNDS = 7
OPERATIONS = 400
AGGREGATES = 50
RESULTS = ROOT / "bench" / "results.json"
PARTS = ("databases", "allocation", "matching", "web", "ledger")
#: Figure name -> the most it may be; figures without a target are only reported.
TARGETS: dict[str, float] = {**ALLOC_TARGETS, **MATCH_TARGETS, **LEDGER_TARGETS}
#: Figure name -> the least it may be.
AT_LEAST: dict[str, float] = {**WEB_AT_LEAST, **LEDGER_AT_LEAST}


class BareLedger(Application[UUID]):
    """The same event store with nothing of ours around it: no projectors, no retries."""

    name = "Ledger"


def per_second(operations: int, run: Callable[[int], None]) -> float:
    started = time.perf_counter()
    for i in range(operations):
        run(i)
    return operations / (time.perf_counter() - started)


def measure(url: str, progress: Callable[[str], None]) -> dict[str, float]:
    schema.upgrade(url)
    marketplace = Marketplace(url)
    bare = BareLedger(env=ledger_env(url))
    profile = Profile.create(name_ja="ベンチ", name_en=None, roles=["buyer"], prefecture="Gunma")
    clock = SettableClock(marketplace.clock())

    loose = [Organisation.register(profile, at=clock()) for _ in range(AGGREGATES)]
    bare.save(*loose)
    registered = [marketplace.register_organisation(name_ja=f"ベンチ{i}", roles=["buyer"],
                                                    prefecture="Gunma").organisation_id
                  for i in range(AGGREGATES)]
    counter = iter(range(10**9))

    def raw_save(i: int) -> None:
        organisation = loose[i % AGGREGATES]
        organisation.update_profile(at=clock(), name_en=f"raw {next(counter)}")
        bare.save(organisation)

    def command(i: int) -> None:
        marketplace.update_organisation_profile(registered[i % AGGREGATES],
                                                name_en=f"command {next(counter)}")

    raw, full = [], []
    for round_number in range(1, ROUNDS + 1):
        raw.append(per_second(OPERATIONS, raw_save))
        full.append(per_second(OPERATIONS, command))
        progress(f"round {round_number}/{ROUNDS}: raw {raw[-1]:,.0f}/s, command {full[-1]:,.0f}/s")
    started = time.perf_counter()
    replayed = rebuild_read_models(marketplace)
    replay_rate = replayed / (time.perf_counter() - started)
    raw_median, command_median = statistics.median(raw), statistics.median(full)
    return {"raw": raw_median, "command": command_median,
            "ratio": command_median / raw_median, "replay": replay_rate}


def measure_databases(figures: dict[str, dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for kind in ("sqlite", "postgres"):
            print(f"{kind}:", file=sys.stderr)
            try:
                with (sqlite_database(Path(scratch)) if kind == "sqlite"
                      else postgres_database()) as url:
                    def report(line: str) -> None:
                        print(f"  {line}", file=sys.stderr)
                    result = measure(url, report)
                    lots = measure_commands(url, report)
                    burst = measure_burst(url, Path(scratch), report)
            except PostgresUnavailableError as error:
                print(f"  skipped: {error}", file=sys.stderr)
                continue
            figures[f"raw_save_per_s_{kind}"] = {"value": round(result["raw"], 1),
                                                 "unit": "events/s"}
            figures[f"command_per_s_{kind}"] = {"value": round(result["command"], 1),
                                                "unit": "commands/s"}
            figures[f"command_vs_raw_{kind}"] = {"value": round(result["ratio"], 3),
                                                 "unit": "ratio"}
            figures[f"replay_events_per_s_{kind}"] = {"value": round(result["replay"], 1),
                                                      "unit": "events/s"}
            figures[f"pool_need_per_s_{kind}"] = {"value": round(lots["pool"], 1),
                                                  "unit": "commands/s"}
            figures[f"place_bid_per_s_{kind}"] = {"value": round(lots["bid"], 1),
                                                  "unit": "commands/s"}
            figures[f"burst_commits_per_s_{kind}"] = {"value": round(burst["commits_per_s"], 1),
                                                      "unit": "requests/s"}
            figures[f"burst_p99_ms_{kind}"] = {"value": round(burst["p99_ms"], 1), "unit": "ms"}
            figures[f"burst_lost_{kind}"] = {"value": int(burst["lost"]), "unit": "commitments"}
            figures[f"burst_refused_{kind}"] = {"value": int(burst["refused"]),
                                                "unit": "requests"}


def measure_allocation_part(figures: dict[str, dict[str, Any]]) -> None:
    print("allocation:", file=sys.stderr)

    def report(line: str) -> None:
        print(f"  {line}", file=sys.stderr)
    figures.update(measure_allocation(report))


def target(name: str, value: float) -> str:
    if name in AT_LEAST:
        return f"≥ {AT_LEAST[name]:g} {'met' if value >= AT_LEAST[name] else 'MISSED'}"
    if name not in TARGETS:
        return ""
    return f"≤ {TARGETS[name]:g} {'met' if value <= TARGETS[name] else 'MISSED'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kyodo benchmarks: prints a table, writes "
                                     "bench/results.json.")
    parser.add_argument("--only", choices=PARTS, help="run one part (default: all)")
    only = parser.parse_args(argv).only
    figures: dict[str, dict[str, Any]] = {}
    if only in (None, "databases"):
        measure_databases(figures)
    if only in (None, "allocation"):
        measure_allocation_part(figures)
    if only in (None, "matching"):
        print("matching:", file=sys.stderr)
        figures.update(measure_matching_part(lambda line: print(f"  {line}", file=sys.stderr)))
    if only in (None, "web"):
        print("web:", file=sys.stderr)
        figures.update(measure_web(lambda line: print(f"  {line}", file=sys.stderr)))
    if only in (None, "ledger"):
        print("ledger:", file=sys.stderr)
        measured = measure_ledger(lambda line: print(f"  {line}", file=sys.stderr))
        figures.update({name: {"value": round(value, 3 if value < 10 else 1),
                               "unit": LEDGER_UNITS.get(name, "s (median phase)")}
                        for name, value in measured.items()})
    if not figures:
        print("no figures measured; results.json left as it was", file=sys.stderr)
        return 0
    written = dict(figures)
    if only is not None and RESULTS.exists():
        written = {**json.loads(RESULTS.read_text()).get("figures", {}), **figures}
    RESULTS.write_text(json.dumps({"figures": written}, indent=2) + "\n")
    width = max(map(len, figures))
    print(f"\n{'figure':<{width}}  {'value':>12}  {'unit':<27}  target")
    for name, figure in figures.items():
        print(f"{name:<{width}}  {figure['value']:>12,}  {figure['unit']:<27}  "
              f"{target(name, figure['value'])}".rstrip())
    notes = []
    if only in (None, "databases"):
        notes.append(f"raw/command: medians of {ROUNDS} alternating rounds of {OPERATIONS}; "
                     f"pool/bid: medians of {LOT_ROUNDS} rounds of {LOT_OPERATIONS}; burst: "
                     f"medians of {BURST_ROUNDS} bursts, lost and refused summed")
    if only in (None, "allocation"):
        notes.append(f"alloc: medians of {ALLOC_SMALL_ROUNDS} alternating engine/baseline "
                     f"rounds (200x30x4) and {ALLOC_LARGE_ROUNDS} rounds (1000x50x5); peaks "
                     f"from one fresh process each")
    if only in (None, "matching"):
        notes.append(f"match: median and p95 of {MATCH_QUERIES} needs (JA and EN) against "
                     f"{MATCH_PROFILES:,} supplier profiles")
    if only in (None, "web") and "hello_rps" in figures:
        notes.append(f"web: medians of {WEB_ROUNDS} alternating rounds of `{WEB_LOAD}` "
                     f"(hello, page, uncached page, partial), one uvicorn worker each")
    if only in (None, "ledger"):
        notes.append(f"ledger: medians of {LEDGER_ROUNDS} alternating decode-only and verify "
                     f"(without read models) passes over {LEDGER_EVENTS:,} generated events "
                     "in SQLite, verify in a fresh process")
    print(f"\n({'; '.join(notes)}; written to {RESULTS.relative_to(ROOT)}"
          f"{', other figures kept' if only is not None else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
