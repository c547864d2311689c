"""`marketplace audit verify`: everything an auditor checks, in one run (issue 7, DESIGN §3.2).

Phases, each streaming in constant memory, stopping at the phase where something does not hold:

1. checkpoints — every signature (for the trusted key), one root per size, times in order;
2. entries — every entry re-hashed against its leaf, every aggregate replayed from them, and
   the leaves to the root each checkpoint signs;
3. allocations — each recorded clearing: its input is the lot as it stood at close, its
   result feasible, and solving the input again reaches the same objective (solved by the
   entries phase's worker that replays the lot, as it goes by; reported here, once every
   entry holds);
4. read models — a replay of the ledger into scratch tables equals the live read models.

(events/verify.py says how the first two name the lowest bad position.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from events.checkpoints import Trusted
from events.verify import Problem, Progress, VerificationFailed, check_checkpoints, extent
from events.verify_entries import EntriesChecked, check_entries
from marketplace.application import Marketplace
from marketplace.audit.allocation_check import AllocationCheckError, check_recorded_allocation
from marketplace.audit.read_model_check import check_read_models
from marketplace.domain.lot import Lot

PHASES = ("checkpoints", "entries", "allocations", "read models")
#: The CLI's entries phase runs on this many processes at most: two roughly halve its time,
#: and each one more adds its own memory for less.
MAX_DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class PhaseResult:
    name: str
    count: int
    seconds: float


@dataclass
class VerifyReport:
    entries: int = 0
    phases: list[PhaseResult] = field(default_factory=list)
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_ledger(marketplace: Marketplace, *, trusted_key: Trusted = None,
                  progress: Progress | None = None, read_models: bool = True,
                  workers: int = 1) -> VerifyReport:
    """Runs the phases in order; the report names the first problem, if any. ``workers`` > 1
    forks processes for the entries phase (events/verify_entries.py says when that is safe).
    """
    scope = extent(marketplace)  # what stood at the start; later entries wait for the next
    report = VerifyReport(entries=scope.entries)
    total = report.entries
    allocations: list[EntriesChecked] = []

    def entries() -> int:
        # Each allocation is re-solved by the worker that replays its lot, as it goes by,
        # and reported in its own phase once every entry holds.
        checked = check_entries(marketplace, progress, total, mark=_is_allocation,
                                scope=scope, workers=workers,
                                recheck=partial(_check_allocation, marketplace))
        allocations.append(checked)
        return checked.count

    steps: list[tuple[str, Callable[[], int]]] = [
        ("checkpoints", lambda: check_checkpoints(marketplace, trusted_key, scope)),
        ("entries", entries),
        ("allocations", lambda: _allocations_checked(allocations[0], progress)),
    ]
    if read_models:
        steps.append(("read models", lambda: check_read_models(marketplace, progress, total)))
    for name, step in steps:
        started = time.perf_counter()
        try:
            count = step()
        except VerificationFailed as failure:
            report.phases.append(PhaseResult(name, 0, time.perf_counter() - started))
            report.problem = failure.problem
            return report
        report.phases.append(PhaseResult(name, count, time.perf_counter() - started))
    return report


def default_workers() -> int:
    """Two processes where two CPUs are free to this one, else one."""
    return max(1, min(MAX_DEFAULT_WORKERS, len(os.sched_getaffinity(0))))


def _is_allocation(event: Any) -> bool:
    return isinstance(event, Lot.Allocated)


def _check_allocation(marketplace: Marketplace, position: int, event: Any) -> None:
    try:
        check_recorded_allocation(marketplace, event)
    except AllocationCheckError as error:
        raise VerificationFailed(Problem(position, (
            f"the allocation of lot {event.originator_id}: {error}"))) from None


def _allocations_checked(checked: EntriesChecked, progress: Progress | None) -> int:
    """The allocations re-solved during the entries phase: the first that does not hold."""
    if checked.rechecked is not None:
        raise VerificationFailed(checked.rechecked)
    if progress is not None and checked.marked:
        progress("allocations", len(checked.marked), len(checked.marked))
    return len(checked.marked)
