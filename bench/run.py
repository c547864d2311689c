"""`make bench`: throughput of the bare event store against the full command path, side by side.

Prints a table and writes bench/results.json as {"figures": {NAME: {"value", "unit"}}}.
Each figure is the median of several rounds; raw and command rounds alternate, so both see
the same machine weather, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

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

from bench.lots import BURST_ROUNDS, measure_burst, measure_commands  # noqa: E402
from bench.lots import OPERATIONS as LOT_OPERATIONS  # noqa: E402
from bench.lots import ROUNDS as LOT_ROUNDS  # noqa: E402
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


def main() -> int:
    figures: dict[str, dict[str, Any]] = {}
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
    RESULTS.write_text(json.dumps({"figures": figures}, indent=2) + "\n")
    width = max(map(len, figures))
    print(f"\n{'figure':<{width}}  {'value':>12}  unit")
    for name, figure in figures.items():
        print(f"{name:<{width}}  {figure['value']:>12,}  {figure['unit']}")
    print(f"\n(raw/command: medians of {ROUNDS} alternating rounds of {OPERATIONS}; pool/bid: "
          f"medians of {LOT_ROUNDS} rounds of {LOT_OPERATIONS}; burst: medians of "
          f"{BURST_ROUNDS} bursts, lost and refused summed; written to "
          f"{RESULTS.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
