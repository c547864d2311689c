"""`marketplace audit verify`: everything an auditor checks, in one run (issue 7, DESIGN §3.2).

Phases, each streaming in constant memory, stopping at the phase where something does not hold:

1. checkpoints — every signature (for the trusted key), one root per size, times in order;
2. entries — every entry re-hashed against its leaf, every aggregate replayed from them, and
   the leaves to the root each checkpoint signs;
3. allocations — each recorded clearing: its input is the lot as it stood at close, its
   result feasible, and solving the input again reaches the same objective;
4. read models — a replay of the ledger into scratch tables equals the live read models.

(events/verify.py says how the first two name the lowest bad position.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from events.checkpoints import Trusted
from events.verify import Problem, Progress, VerificationFailed, check_checkpoints, extent
from events.verify_entries import check_entries
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
    allocated: list[int] = []

    def entries() -> int:
        checked = check_entries(marketplace, progress, total, mark=_is_allocation,
                                scope=scope, workers=workers)
        allocated.extend(checked.marked)
        return checked.count

    steps: list[tuple[str, Callable[[], int]]] = [
        ("checkpoints", lambda: check_checkpoints(marketplace, trusted_key, scope)),
        ("entries", entries),
        ("allocations", lambda: _check_allocations(marketplace, allocated, progress)),
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


def _check_allocations(marketplace: Marketplace, positions: list[int],
                       progress: Progress | None) -> int:
    for done, position in enumerate(sorted(positions), start=1):
        event = _event_at(marketplace, position)
        try:
            check_recorded_allocation(marketplace, event)
        except AllocationCheckError as error:
            raise VerificationFailed(Problem(position, (
                f"the allocation of lot {event.originator_id}: {error}"))) from None
        if progress is not None:
            progress("allocations", done, len(positions))
    return len(positions)


def _event_at(marketplace: Marketplace, position: int) -> Any:
    notifications = marketplace.recorder.select_notifications(position, 1, stop=position)
    return marketplace.mapper.to_domain_event(notifications[0])
