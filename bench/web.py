"""Web-serving figures: a member's lot page and its htmx partial, against a bare hello world.

A migrated SQLite database holds one realistic lot: ten buyers of a cluster pooling needs into
it (three announced thresholds), five suppliers joined with sealed bids, and a member who logs
in (an admin of one of the buyers). The real app (bench/web_server.py) and a bare Litestar
hello world (bench/web_hello.py) are each served by uvicorn in one worker process; `wrk`
drives them in turn, hello, page, uncached page, partial, ROUNDS times, and the figures are
medians, so the machine's weather hits all alike. The page is kept per member until the
ledger moves (web/page_cache.py), so the repeated page measures that path; the uncached page,
served by a second app that keeps nothing, is what a view costs after any new commitment.
Every path must answer 200 before and after each run (wrk counts only 4xx and 5xx as errors,
so a 303 to /login would pass it unnoticed).

`python -m bench.web --page /members --partial /members` tries the harness on other pages.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.web_server import DATABASE_URL
from marketplace import schema
from marketplace.accounts import Accounts
from marketplace.application import Marketplace
from tests.databases import sqlite_database

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(Path(sys.executable))
ROUNDS = 3
THREADS, CONNECTIONS, DURATION = 2, 16, "10s"
LOAD = f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}"
PAGE, PARTIAL = "/lots/{lot}", "/lots/{lot}/progress"
#: Figure name -> the least it may be.
AT_LEAST: dict[str, float] = {"lot_page_vs_hello": 0.25}
CLUSTER = "上州ものづくり"
EMAIL, PASSWORD = "buyer@bench.example.jp", "correct horse battery staple"
SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def seed(url: str) -> tuple[UUID, str]:
    """One lot (3 thresholds) with 10 buyers' needs pooled and 5 sealed bids; the lot's id
    and the e-mail address of a member of one of its buyers."""
    schema.upgrade(url)
    marketplace = Marketplace(url)
    member = Accounts(marketplace).sign_up(
        email=EMAIL, password=PASSWORD, name="購買 太郎", organisation={
            "name_ja": "ベンチ精機株式会社", "name_en": "Bench Seiki", "roles": ["buyer"],
            "prefecture": "Gunma", "clusters": [CLUSTER]})

    def register(role: str, i: int) -> UUID:
        return marketplace.register_organisation(
            name_ja=f"ベンチ{'工業' if role == 'buyer' else '製鋼'}{i}株式会社",
            name_en=f"Bench {role} {i}", roles=[role], prefecture="Gunma",
            clusters=[CLUSTER]).organisation_id

    buyers = [member.organisation_id, *(register("buyer", i) for i in range(1, 10))]
    suppliers = [register("supplier", i) for i in range(5)]
    lot = marketplace.open_lot(
        buyers[1], category="steel sheet", specification="SPCC 1.0 mm, cold rolled", unit="kg",
        closes_at=marketplace.clock() + timedelta(days=7), cluster=CLUSTER,
        thresholds=["1000", "5000", "10000"])
    for i, buyer in enumerate(buyers):
        need = marketplace.post_need(
            buyer, category="steel sheet", specification="SPCC 1.0 mm", unit="kg",
            quantity=str(300 + 150 * i), needed_by="2026-12-24", delivery_prefecture="Gunma",
            max_unit_price="190")
        marketplace.pool_need(buyer, lot, need)
    for i, supplier in enumerate(suppliers):
        marketplace.join_lot(supplier, lot)
        marketplace.place_bid(
            supplier, lot, tiers=[{"from_quantity": "100", "unit_price": str(180 - 2 * i)},
                                  {"from_quantity": "5000", "unit_price": str(165 - 3 * i)}],
            capacity=str(6000 + 2000 * i), minimum_quantity="100", lead_time_days=10 + i,
            valid_until="2027-01-31")
    return lot, member.email


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(factory: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """uvicorn with one worker serving ``factory`` on a free loopback port; its base URL.
    The server is stopped however the block ends."""
    port = _free_port()
    command = [PYTHON, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1", "--log-level", "warning"]
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},  # noqa: S603
                                  stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{factory} did not start:\n"
                                       f"{log.read_text()[-2000:]}") from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def log_in(base: str, email: str) -> str:
    """The Cookie header of a browser logged in through the login form (session and CSRF)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/login").raise_for_status()
        response = client.post("/login", data={
            "email": email, "password": PASSWORD, "next": "/",
            "_csrf_token": client.cookies["csrftoken"]})
        if response.status_code != 303 or "kyodo_session" not in client.cookies:
            raise RuntimeError(f"log-in failed: {response.status_code} {response.text[:300]}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def answer(url: str, headers: dict[str, str]) -> int:
    """The body size of one 200 answer; anything else stops the bench."""
    response = httpx.get(url, headers=headers, timeout=30, follow_redirects=False)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code} "
                           f"{response.headers.get('location', '')}, not 200: nothing to time")
    return len(response.content)


def wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    """Requests/s and p99 latency (ms) of one wrk run; refuses runs with errors."""
    command = [*LOAD.split(), "--latency", "--timeout", "10s", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    if rate is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if failed:
        raise RuntimeError(f"{url}: {failed.group(1)} responses were not 2xx:\n{output}")
    errors = re.search(r"Socket errors: (.*)", output)
    if errors and re.search(r"timeout [1-9]", errors.group(1)):
        raise RuntimeError(f"{url}: wrk timed out requests:\n{output}")
    return {"rps": float(rate.group(1)), "p99_ms": float(p99.group(1)) * SCALE[p99.group(2)]}


def measure_web(progress: Callable[[str], None], page: str = PAGE,
                partial: str = PARTIAL) -> dict[str, dict[str, Any]]:
    """The web figures, or none (with one line saying why) when wrk is not installed."""
    if shutil.which("wrk") is None:
        progress("wrk is not installed (apt-get install wrk): web figures skipped")
        return {}
    with tempfile.TemporaryDirectory() as scratch, sqlite_database(Path(scratch)) as url, \
            ExitStack() as servers:
        lot, email = seed(url)
        kyodo = servers.enter_context(serving("bench.web_server:app", {DATABASE_URL: url},
                                              Path(scratch) / "kyodo.log"))
        uncached = servers.enter_context(serving(
            "bench.web_server:uncached_app", {DATABASE_URL: url}, Path(scratch) / "cold.log"))
        hello = servers.enter_context(serving("bench.web_hello:app", {},
                                              Path(scratch) / "hello.log"))
        cookie = {"Cookie": log_in(kyodo, email)}
        cold_cookie = {"Cookie": log_in(uncached, email)}
        targets = {"hello": (f"{hello}/", {}),
                   "page": (kyodo + page.format(lot=lot), cookie),
                   "uncached": (uncached + page.format(lot=lot), cold_cookie),
                   "partial": (kyodo + partial.format(lot=lot), {**cookie, "HX-Request": "true"})}
        sizes = {name: answer(*target) for name, target in targets.items()}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for round_number in range(1, ROUNDS + 1):
            for name, (target_url, headers) in targets.items():
                answer(target_url, headers)
                runs[name].append(wrk(target_url, headers))
                answer(target_url, headers)
            progress(f"round {round_number}/{ROUNDS} ({LOAD}): " + ", ".join(
                f"{name} {runs[name][-1]['rps']:,.0f}/s p99 {runs[name][-1]['p99_ms']:.1f} ms"
                for name in targets))

    def median(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    return {"lot_page_rps": {"value": round(median("page", "rps"), 1), "unit": "requests/s"},
            "lot_page_p99_ms": {"value": round(median("page", "p99_ms"), 1), "unit": "ms"},
            "lot_page_bytes": {"value": sizes["page"], "unit": "bytes"},
            "lot_page_uncached_rps": {"value": round(median("uncached", "rps"), 1),
                                      "unit": "requests/s"},
            "lot_page_uncached_p99_ms": {"value": round(median("uncached", "p99_ms"), 1),
                                         "unit": "ms"},
            "lot_partial_rps": {"value": round(median("partial", "rps"), 1),
                                "unit": "requests/s"},
            "lot_partial_p99_ms": {"value": round(median("partial", "p99_ms"), 1), "unit": "ms"},
            "lot_partial_bytes": {"value": sizes["partial"], "unit": "bytes"},
            "hello_rps": {"value": round(median("hello", "rps"), 1), "unit": "requests/s"},
            "lot_page_vs_hello": {"value": round(median("page", "rps")
                                                 / median("hello", "rps"), 3), "unit": "ratio"}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Web figures alone, on chosen paths "
                                     "({lot} is the lot's id); results.json is left alone.")
    parser.add_argument("--page", default=PAGE)
    parser.add_argument("--partial", default=PARTIAL)
    arguments = parser.parse_args()
    for figure_name, figure in measure_web(lambda line: print(f"  {line}", file=sys.stderr),
                                           arguments.page, arguments.partial).items():
        print(f"{figure_name:<20} {figure['value']:>12,} {figure['unit']}")
