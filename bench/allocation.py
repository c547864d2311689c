"""Allocation figures: the clearing engine on generated instances, against a PuLP+CBC baseline.

Times are medians of several rounds of `allocate()` on an already parsed input: the whole
clearing (solves, leave-out rounds, alone prices, explanations). On 200 × 30 × 4 the engine
and the baseline (`bench/allocation_baseline.py`, model built and solved) alternate round by
round, so both see the same machine weather. Every clearing must end optimal with a gap of at
most 1e-6, and the engine's program with every buyer served and no leave-out must reach the
baseline's optimum, or the bench stops.

Peak memory is measured in a fresh interpreter per measurement (this module, run as
``python -m bench.allocation peak KIND SIZE``): the peak resident set of the run above the
resident set after imports, which counts the generated document, the parsed input and
everything the run builds. CBC is a process of its own, so the baseline's figure adds CBC's
whole peak resident set.

On Linux the peaks come from /proc (VmHWM), not from getrusage: Linux carries ``ru_maxrss``
over exec from the address space being replaced, so a runner started by a large bench process,
and CBC started by PuLP, would each report their parent's peak instead of their own (for CBC,
RUSAGE_CHILDREN shows the runner's peak, not CBC's). The runner therefore reads CBC's VmHWM
while it runs. Elsewhere it falls back to RUSAGE_SELF and RUSAGE_CHILDREN.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import allocation_baseline
from bench.allocation_instances import instance
from marketplace.allocation import (
    AllocationInput,
    AllocationResult,
    allocate,
    parse_input,
    program,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = 1
SMALL = (200, 30, 4)
LARGE = (1000, 50, 5)
SMALL_ROUNDS = 5  # engine and baseline, alternating
LARGE_ROUNDS = 3
MAX_GAP = 1e-6
SAME_OPTIMUM = 1e-6  # relative
POLL_SECONDS = 0.002
HAS_PROC = Path("/proc/self/status").exists()

#: Figure name -> the most it may be (the issue's targets), for run.py's table.
TARGETS: dict[str, float] = {
    "alloc_200x30x4_s": 1.0,
    "alloc_vs_baseline_200x30x4": 1.0,
    "alloc_1000x50x5_s": 10.0,
}


class AllocationBenchError(RuntimeError):
    """A run did not solve what it should have: the figures would mean nothing."""


def label(size: tuple[int, int, int]) -> str:
    return "x".join(map(str, size))


def measure_allocation(progress: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """All the allocation figures, as run.py's {NAME: {"value", "unit"}}."""
    figures: dict[str, dict[str, Any]] = {}
    small = _measure_small(progress)
    figures[f"alloc_{label(SMALL)}_s"] = {"value": round(small["engine"], 4), "unit": "s"}
    figures[f"alloc_vs_baseline_{label(SMALL)}"] = {
        "value": round(small["engine"] / small["baseline"], 3), "unit": "ratio"}
    large = _measure_large(progress)
    figures[f"alloc_{label(LARGE)}_s"] = {"value": round(large, 4), "unit": "s"}
    for name, kind, size in ((f"alloc_{label(SMALL)}_peak_mib", "engine", SMALL),
                             (f"alloc_{label(LARGE)}_peak_mib", "engine", LARGE),
                             (f"alloc_baseline_{label(SMALL)}_peak_mib", "baseline", SMALL)):
        peak = _peak_in_fresh_process(kind, size)
        line = (f"peak {kind} {label(size)}: {peak['above_imports']:.1f} MiB over imports "
                f"({peak['after_imports']:.1f} → {peak['peak']:.1f} MiB resident)")
        if kind == "baseline":
            line += f" + CBC {peak['cbc']:.1f} MiB ({peak['cbc_source']})"
            figures[name] = {"value": round(peak["above_imports"] + peak["cbc"], 1),
                             "unit": "MiB over imports + CBC peak"}
        else:
            figures[name] = {"value": round(peak["above_imports"], 1), "unit": "MiB over imports"}
        progress(line)
    return figures


def _measure_small(progress: Callable[[str], None]) -> dict[str, float]:
    document = instance(*SMALL, seed=SEED)
    problem = parse_input(document)
    engine, baseline, optima = [], [], []
    for round_number in range(1, SMALL_ROUNDS + 1):
        seconds, result = _clear(problem)
        engine.append(seconds)
        started = time.perf_counter()
        optima.append(allocation_baseline.solve(document))
        baseline.append(time.perf_counter() - started)
        progress(f"{label(SMALL)} round {round_number}/{SMALL_ROUNDS}: allocate "
                 f"{engine[-1]:.3f} s, baseline {baseline[-1]:.3f} s")
    progress(f"{label(SMALL)} clearing: {_summary(problem, result)}")
    _check_same_problem(problem, optima, progress)
    return {"engine": statistics.median(engine), "baseline": statistics.median(baseline)}


def _measure_large(progress: Callable[[str], None]) -> float:
    problem = parse_input(instance(*LARGE, seed=SEED))
    times = []
    for round_number in range(1, LARGE_ROUNDS + 1):
        seconds, result = _clear(problem)
        times.append(seconds)
        progress(f"{label(LARGE)} round {round_number}/{LARGE_ROUNDS}: allocate {seconds:.3f} s")
    progress(f"{label(LARGE)} clearing: {_summary(problem, result)}")
    return statistics.median(times)


def _clear(problem: AllocationInput) -> tuple[float, AllocationResult]:
    started = time.perf_counter()
    result = allocate(problem)
    seconds = time.perf_counter() - started
    _check_solved(result)
    return seconds, result


def _check_solved(result: AllocationResult) -> None:
    if result.status != "optimal" or not result.solver.gap <= MAX_GAP:
        raise AllocationBenchError(
            f"the clearing ended {result.status!r} with gap {result.solver.gap!r} "
            f"(solver status {result.solver.status!r}); expected 'optimal' with gap ≤ {MAX_GAP}")


def _summary(problem: AllocationInput, result: AllocationResult) -> str:
    served = sum(b.served for b in result.buyers)
    return (f"objective ¥{result.objective:,}, {served} of {len(problem.buyers)} buyers served, "
            f"{result.solver.solves} solves")


def _check_same_problem(problem: AllocationInput, optima: list[float],
                        progress: Callable[[str], None]) -> None:
    """Our program with every buyer served and no leave-out must reach the baseline's optimum."""
    ours = program.solve(problem.buyers, problem.bids, problem.options, serve_all=True)
    if ours.status is not program.SolveStatus.OPTIMAL or not ours.gap <= MAX_GAP:
        raise AllocationBenchError(f"the engine's serve-all program ended {ours.status.value} "
                                   f"with gap {ours.gap!r}")
    theirs = optima[0]
    if any(abs(other - theirs) > SAME_OPTIMUM * abs(theirs) for other in optima):
        raise AllocationBenchError(f"the baseline's optimum varied between rounds: {optima}")
    difference = abs(ours.objective - theirs) / max(abs(theirs), 1.0)
    progress(f"{label(SMALL)} same problem (every buyer served, no leave-out): engine "
             f"{ours.objective:,.3f}, baseline {theirs:,.3f}, relative difference "
             f"{difference:.1e}")
    if difference > SAME_OPTIMUM:
        raise AllocationBenchError(
            f"the engine and the baseline disagree on the {label(SMALL)} optimum: "
            f"{ours.objective!r} against {theirs!r} (relative {difference:.3e} > {SAME_OPTIMUM})")


def _peak_in_fresh_process(kind: str, size: tuple[int, int, int]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.allocation", "peak", kind, label(size)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,  # noqa: S603 (our own module)
                          check=False)
    if done.returncode != 0:
        raise AllocationBenchError(f"the memory run {' '.join(command[1:])} failed:\n"
                                   f"{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# The runner: one measurement in this fresh interpreter, its figures as one line of JSON.

def _mib_from_rusage(kilobytes_or_bytes: int) -> float:
    return kilobytes_or_bytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _proc_status(pid: int | str) -> dict[str, float]:
    """VmRSS and VmHWM of a process in MiB; {} if it is gone or has no address space."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found


class _ChildPeaks:
    """Polls the VmHWM of this process's children (CBC) while a run lasts."""

    def __init__(self) -> None:
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        pid = os.getpid()
        self._children = Path(f"/proc/{pid}/task/{pid}/children")

    def __enter__(self) -> _ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                children = self._children.read_text().split()
            except OSError:
                children = []
            for child in children:
                try:
                    peak = _proc_status(child).get("VmHWM", 0.0)
                except OSError:
                    continue  # it ended between the listing and the read
                self.peaks[child] = max(self.peaks.get(child, 0.0), peak)
            self._stop.wait(POLL_SECONDS)


def _peak(kind: str, size: tuple[int, int, int]) -> dict[str, Any]:
    gc.collect()
    if HAS_PROC:
        after_imports = _proc_status("self")["VmRSS"]
    else:
        after_imports = _mib_from_rusage(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    document = instance(*size, seed=SEED)
    cbc, cbc_source = 0.0, "none"
    if kind == "engine":
        _check_solved(allocate(parse_input(document)))
    elif HAS_PROC:
        with _ChildPeaks() as children:
            allocation_baseline.solve(document)
        if children.peaks:
            cbc, cbc_source = max(children.peaks.values()), "VmHWM, polled"
    else:
        allocation_baseline.solve(document)
    if kind == "baseline" and cbc_source == "none":
        # Not seen while it ran: RUSAGE_CHILDREN, an upper bound on Linux (see the docstring).
        cbc = _mib_from_rusage(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        cbc_source = "RUSAGE_CHILDREN"
    if HAS_PROC:
        peak = _proc_status("self")["VmHWM"]
    else:
        peak = _mib_from_rusage(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return {"after_imports": after_imports, "peak": peak,
            "above_imports": max(0.0, peak - after_imports), "cbc": cbc, "cbc_source": cbc_source}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "peak" or argv[1] not in ("engine", "baseline"):
        print("usage: python -m bench.allocation peak {engine,baseline} BUYERSxSUPPLIERSxTIERS",
              file=sys.stderr)
        return 2
    buyers, suppliers, tiers = (int(part) for part in argv[2].split("x"))
    print(json.dumps(_peak(argv[1], (buyers, suppliers, tiers))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
