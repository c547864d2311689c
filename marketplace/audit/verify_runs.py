"""Verify runs started from the auditors' pages: one at a time per deployment, in a background
thread, their progress kept in ``audit_verify_runs`` so that any worker can show it.

The thread writes its progress at most every half second (a verify of a large ledger reports
thousands of batches), and its result when done. A run whose worker died never finishes; once
it has not moved for ``STALE_AFTER`` it no longer stops a new one from starting.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import sqlalchemy.exc

from events import reading, writing
from events.verify import Progress
from marketplace.application import Marketplace
from marketplace.audit.verify import VerifyReport, verify_ledger
from marketplace.readmodels.audit_tables import verify_runs

log = logging.getLogger("kyodo.verify")

#: How often the running thread writes its progress, at most.
WRITE_EVERY_S = 0.5
#: A run that has not written for so long is taken for dead.
STALE_AFTER = timedelta(minutes=10)
ABANDONED = "the run stopped without finishing (the process running it ended)"

#: Runs the verify of the marketplace, telling ``progress`` (phase, done, total) as it goes.
Verifier = Callable[[Marketplace, Progress], VerifyReport]


def verify_with_deployment_key(marketplace: Marketplace, progress: Progress) -> VerifyReport:
    """Every phase, each checkpoint checked against this deployment's own public key."""
    key = None if marketplace.signer is None else marketplace.signer.public_key
    return verify_ledger(marketplace, trusted_key=key, progress=progress)


@dataclass(frozen=True)
class PhaseCount:
    name: str
    count: int
    seconds: float


@dataclass(frozen=True)
class VerifyRun:
    id: UUID
    started_by: UUID
    organisation_id: UUID
    started_at: datetime
    phase: str
    done: int
    total: int
    updated_at: datetime
    finished_at: datetime | None
    ok: bool | None
    problem_position: int | None
    problem_text: str | None
    phases: list[PhaseCount] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.finished_at is None


class VerifyRuns:
    """Starting runs of verify and reading their progress."""

    def __init__(self, marketplace: Marketplace,
                 verifier: Verifier = verify_with_deployment_key) -> None:
        self.marketplace = marketplace
        self.engine = marketplace.engine
        self.verifier = verifier

    def start(self, member_id: UUID, organisation_id: UUID) -> tuple[VerifyRun, bool]:
        """Starts a run in the background, unless one is running: (the run, whether it is
        the one just started)."""
        now = self.marketplace.clock()
        run_id = uuid.uuid4()
        try:
            with writing(self.engine) as connection:
                connection.execute(sa.update(verify_runs).where(
                    verify_runs.c.running.is_(True),
                    verify_runs.c.updated_at < now - STALE_AFTER).values(
                    running=None, finished_at=now, ok=False, problem_text=ABANDONED))
                current = connection.execute(
                    sa.select(verify_runs.c.id).where(verify_runs.c.running.is_(True))).first()
                if current is None:
                    connection.execute(sa.insert(verify_runs).values(
                        id=run_id, started_by=member_id, organisation_id=organisation_id,
                        started_at=now, phase="", done=0, total=0, updated_at=now,
                        running=True))
        except sqlalchemy.exc.IntegrityError:
            current = None  # another worker started one at the same instant
        else:
            if current is None:
                threading.Thread(target=self._run, args=(run_id,), name=f"verify-{run_id}",
                                 daemon=True).start()
                return self._get(run_id), True
        running = self.running()
        if running is None:  # it finished meanwhile: that is the one to show
            latest = self.latest()
            if latest is None:
                raise LookupError("a verify run was running and is gone")
            return latest, False
        return running, False

    def get(self, run_id: UUID) -> VerifyRun | None:
        with reading(self.engine) as connection:
            row = connection.execute(sa.select(verify_runs)
                                     .where(verify_runs.c.id == run_id)).first()
        return None if row is None else _run(row)

    def running(self) -> VerifyRun | None:
        return self._one(sa.select(verify_runs).where(verify_runs.c.running.is_(True)))

    def latest(self) -> VerifyRun | None:
        return self._one(sa.select(verify_runs)
                         .order_by(verify_runs.c.started_at.desc(), verify_runs.c.id).limit(1))

    def _one(self, query: sa.Select[Any]) -> VerifyRun | None:
        with reading(self.engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else _run(row)

    def _get(self, run_id: UUID) -> VerifyRun:
        found = self.get(run_id)
        if found is None:
            raise LookupError(f"no verify run {run_id}")
        return found

    def _run(self, run_id: UUID) -> None:
        reporter = _Reporter(self, run_id)
        try:
            report = self.verifier(self.marketplace, reporter.progress)
        except Exception as error:  # the run must end, and say why
            log.exception("verify run %s stopped", run_id)
            reporter.finish(ok=False, position=None,
                            text=f"verify stopped: {type(error).__name__}: {error}", phases=[])
            return
        problem = report.problem
        reporter.finish(ok=problem is None, position=None if problem is None else problem.position,
                        text=None if problem is None else problem.what,
                        phases=[PhaseCount(p.name, p.count, p.seconds) for p in report.phases])


class _Reporter:
    """The running thread's writes: progress at most every ``WRITE_EVERY_S``, then the result."""

    def __init__(self, runs: VerifyRuns, run_id: UUID) -> None:
        self.runs, self.run_id = runs, run_id
        self.written_at = 0.0
        self.phase = ""
        self.latest: tuple[str, int, int] = ("", 0, 0)

    def progress(self, phase: str, done: int, total: int) -> None:
        self.latest = (phase, done, total)
        if phase != self.phase or time.monotonic() - self.written_at >= WRITE_EVERY_S:
            self.phase = phase
            self._write(phase=phase, done=done, total=total)

    def finish(self, *, ok: bool, position: int | None, text: str | None,
               phases: list[PhaseCount]) -> None:
        phase, done, total = self.latest
        self._write(phase=phase, done=done, total=total, finished_at=self.runs.marketplace.clock(),
                    ok=ok, problem_position=position, problem_text=text, running=None,
                    phases_json=[{"name": p.name, "count": p.count, "seconds": p.seconds}
                                 for p in phases])

    def _write(self, **values: Any) -> None:
        try:
            with writing(self.runs.engine) as connection:
                connection.execute(sa.update(verify_runs).where(verify_runs.c.id == self.run_id)
                                   .values(updated_at=self.runs.marketplace.clock(), **values))
        except sqlalchemy.exc.SQLAlchemyError:
            # Progress is only shown; a write that failed (the database busy) is retried with
            # the next batch, and the result's write is retried once more below.
            if "finished_at" not in values:
                log.warning("verify run %s: progress not written", self.run_id, exc_info=True)
                return
            with writing(self.runs.engine) as connection:
                connection.execute(sa.update(verify_runs).where(verify_runs.c.id == self.run_id)
                                   .values(updated_at=self.runs.marketplace.clock(), **values))
        self.written_at = time.monotonic()


def _run(row: Any) -> VerifyRun:
    phases = [PhaseCount(str(p["name"]), int(p["count"]), float(p["seconds"]))
              for p in row.phases_json or []]
    return VerifyRun(row.id, row.started_by, row.organisation_id, row.started_at, row.phase,
                     int(row.done), int(row.total), row.updated_at, row.finished_at, row.ok,
                     row.problem_position, row.problem_text, phases)
