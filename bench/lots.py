"""Pooled-lot figures: pooling and bidding through the application, and a burst over HTTP.

The burst starts the real server (`marketplace serve`, one process) on a loopback port and
sends it 50 concurrent clients against one lot: buyers pooling needs, suppliers placing and
revising bids. Afterwards every accepted request must be found in the read model: lost = 0.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from events import SettableClock
from marketplace.application import Marketplace

ROOT = Path(__file__).resolve().parents[1]
MARKETPLACE = str(Path(sys.executable).with_name("marketplace"))
CLUSTER = "bench-kai"
ROUNDS = 5
OPERATIONS = 200
BURST_BUYERS = 35
BURST_SUPPLIERS = 15
BURST_REQUESTS = 10  # per client
BURST_ROUNDS = 3


def _organisations(marketplace: Marketplace, count: int, role: str) -> list[tuple[UUID, str]]:
    registered = [marketplace.register_organisation(
        name_en=f"bench {role} {i}", roles=[role], prefecture="Gunma", clusters=[CLUSTER])
        for i in range(count)]
    return [(r.organisation_id, r.api_token) for r in registered]


def _open_lot(marketplace: Marketplace, organiser: UUID) -> UUID:
    return marketplace.open_lot(
        organiser, category="steel sheet", specification="SPCC 1.0 mm", unit="kg",
        closes_at=marketplace.clock() + timedelta(days=7), cluster=CLUSTER,
        thresholds=["1000", "5000", "10000"])


def _needs(marketplace: Marketplace, buyers: list[UUID], count: int) -> list[tuple[UUID, UUID]]:
    return [(buyer, marketplace.post_need(
        buyer, category="steel sheet", specification="SPCC 1.0 mm", unit="kg", quantity="120",
        needed_by="2026-12-24", delivery_prefecture="Gunma", max_unit_price="160"))
        for buyer in (buyers[i % len(buyers)] for i in range(count))]


BID = {"tiers": [{"from_quantity": "0", "unit_price": "150"},
                 {"from_quantity": "1000", "unit_price": "138"}],
       "capacity": "20000", "minimum_quantity": "100", "lead_time_days": 10,
       "valid_until": "2027-01-31"}


def _rate(operations: list[Callable[[], Any]]) -> float:
    started = time.perf_counter()
    for operation in operations:
        operation()
    return len(operations) / (time.perf_counter() - started)


def measure_commands(url: str, progress: Callable[[str], None]) -> dict[str, float]:
    """pool_need and place_bid through the application: medians of ROUNDS, one lot each."""
    marketplace = Marketplace(url, clock=SettableClock(Marketplace(url).clock()))
    buyers = [b for b, _ in _organisations(marketplace, 50, "buyer")]
    suppliers = [s for s, _ in _organisations(marketplace, OPERATIONS, "supplier")]
    pools, bids = [], []
    for round_number in range(1, ROUNDS + 1):
        lot = _open_lot(marketplace, buyers[0])
        needs = _needs(marketplace, buyers, OPERATIONS)
        for supplier in suppliers:
            marketplace.join_lot(supplier, lot)
        pools.append(_rate([lambda b=b, n=n, lot=lot: marketplace.pool_need(b, lot, n)
                            for b, n in needs]))
        bids.append(_rate([lambda s=s, lot=lot: marketplace.place_bid(s, lot, **BID)
                           for s in suppliers]))
        progress(f"round {round_number}/{ROUNDS}: pool_need {pools[-1]:,.0f}/s, "
                 f"place_bid {bids[-1]:,.0f}/s")
    return {"pool": statistics.median(pools), "bid": statistics.median(bids)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(url: str, scratch: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": url,
           "MARKETPLACE_VAR_DIR": str(scratch / "var")}
    command = [MARKETPLACE, "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env,  # noqa: S603 (our own executable)
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the bench server did not start")


def measure_burst(url: str, scratch: Path, progress: Callable[[str], None]) -> dict[str, float]:
    """50 concurrent HTTP clients against one lot, BURST_ROUNDS times (a new lot each):
    medians of commits/s and p99 latency; lost and refused requests summed over the rounds."""
    marketplace = Marketplace(url)
    buyers = _organisations(marketplace, BURST_BUYERS, "buyer")
    suppliers = _organisations(marketplace, BURST_SUPPLIERS, "supplier")
    server, base = _serve(url, scratch)
    try:
        rounds = [_burst(marketplace, base, buyers, suppliers, progress)
                  for _ in range(BURST_ROUNDS)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"commits_per_s": statistics.median(r["commits_per_s"] for r in rounds),
            "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
            "lost": sum(r["lost"] for r in rounds), "refused": sum(r["refused"] for r in rounds)}


def _burst(marketplace: Marketplace, base: str, buyers: list[tuple[UUID, str]],
           suppliers: list[tuple[UUID, str]],
           progress: Callable[[str], None]) -> dict[str, float]:
    lot = _open_lot(marketplace, buyers[0][0])
    needs = {buyer: [n for _, n in _needs(marketplace, [buyer], BURST_REQUESTS)]
             for buyer, _ in buyers}
    latencies: list[float] = []
    accepted_pools: list[UUID] = []
    final_price: dict[UUID, str] = {}
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(BURST_BUYERS + BURST_SUPPLIERS)

    def call(client: httpx.Client, method: str, path: str, body: Any = None) -> httpx.Response:
        started = time.perf_counter()
        response = client.request(method, path, json=body)
        with lock:
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def buyer_client(buyer: UUID, token: str) -> None:
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            barrier.wait()
            for need in needs[buyer]:
                if call(client, "POST", f"/api/v1/lots/{lot}/commitments",
                        {"need_id": str(need)}).status_code == 201:
                    with lock:
                        accepted_pools.append(need)

    def supplier_client(supplier: UUID, token: str) -> None:
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            barrier.wait()
            call(client, "POST", f"/api/v1/lots/{lot}/suppliers")
            placed = call(client, "POST", f"/api/v1/lots/{lot}/bids", BID)
            if placed.status_code != 201:
                return
            bid_id = placed.json()["id"]
            price = "150"
            for revision in range(BURST_REQUESTS - 2):
                candidate = str(149 - revision)
                revised = call(client, "PUT", f"/api/v1/lots/{lot}/bids/{bid_id}", {
                    **BID, "tiers": [{"from_quantity": "0", "unit_price": candidate}]})
                if revised.status_code < 300:
                    price = candidate
            with lock:
                final_price[UUID(bid_id)] = price

    threads = [threading.Thread(target=buyer_client, args=b) for b in buyers]
    threads += [threading.Thread(target=supplier_client, args=s) for s in suppliers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for failure in failures[:5]:
        progress(f"failed: {failure}")
    committed = {c.need_id for buyer, _ in buyers
                 for c in marketplace.lots.commitments(buyer).pooled}
    recorded_price = {b.id: str(b.tiers[0].unit_price) for supplier, _ in suppliers
                      for b in marketplace.lots.bids(supplier, lot_id=lot) if b.status == "live"}
    lost = (len(set(accepted_pools) - committed)
            + sum(1 for bid, price in final_price.items() if recorded_price.get(bid) != price))
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    progress(f"{len(latencies)} requests by {len(threads)} clients in {elapsed:.2f}s, "
             f"{len(failures)} refused, p99 {p99 * 1000:.0f} ms, lost {lost}")
    return {"commits_per_s": (len(latencies) - len(failures)) / elapsed,
            "p99_ms": p99 * 1000, "lost": float(lost), "refused": float(len(failures))}
