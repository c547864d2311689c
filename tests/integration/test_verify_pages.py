"""Verify from the auditors' pages: a run in the background, its progress polled, one run at a
time, and the first bad position named when a stored event was tampered with; a tampered
entry's own page; verify covers the whole ledger while the pages show an auditor only what its
organisation may see."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from events import SettableClock
from events.verify import Problem
from marketplace.application import Marketplace
from marketplace.audit.verify import PHASES, PhaseResult, VerifyReport
from marketplace.audit.verify_runs import ABANDONED, STALE_AFTER, VerifyRun, VerifyRuns
from marketplace.readmodels.audit_tables import verify_runs
from tests.integration.test_allocation_pages import ENGLISH
from tests.integration.test_ledger_pages import Scene, a_scene, everything
from tests.pages import Site, Visitor

#: Long enough for a verify of a small ledger on a slow machine; a run that takes longer
#: has hung, and the test says so.
PATIENCE_S = 120


def started(visitor: Visitor) -> str:
    response = visitor.post("/audit/verify")
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert re.fullmatch(r"/audit/verify/[0-9a-f-]{36}", location)
    return location


def finished(visitor: Visitor, path: str) -> str:
    """The run's progress as htmx polls it, until it is no longer running."""
    deadline = time.monotonic() + PATIENCE_S
    while True:
        fragment = visitor.get(path, htmx=True, headers=ENGLISH).text
        assert "<html" not in fragment
        if 'data-state="running"' not in fragment:
            return fragment
        assert 'hx-trigger="every 1s"' in fragment
        assert time.monotonic() < deadline, "the verify run never finished"
        time.sleep(0.05)


def test_verify_runs_in_the_background_and_reports_every_phase_ok(
        site: Site, clock: SettableClock) -> None:
    scene = a_scene(site, clock)
    scene.marketplace.checkpoint("manual")

    path = started(scene.auditor)
    result = finished(scene.auditor, path)
    page = scene.auditor.get("/audit/verify", headers=ENGLISH).text

    assert 'data-state="ok"' in result
    assert "hx-get" not in result  # the polling stops
    assert 'id="verify-result"' in result
    phases = re.findall(r'<tr data-phase="([a-z ]+)">', result)
    assert tuple(phases) == PHASES
    assert f'data-run="{path.rsplit("/", 1)[1]}"' in page


def test_verify_names_the_position_of_a_tampered_event(site: Site, clock: SettableClock) -> None:
    scene = a_scene(site, clock)
    scene.marketplace.checkpoint("manual")
    tampered = scene.lot_positions[0]
    with scene.marketplace.engine.begin() as connection:
        state = connection.execute(sa.text("SELECT state FROM ledger_events WHERE id = :id"),
                                   {"id": tampered}).scalar_one()
        connection.execute(sa.text("UPDATE ledger_events SET state = :state WHERE id = :id"),
                           {"id": tampered, "state": bytes(state).replace(b"SPCC", b"SPCD", 1)})

    result = finished(scene.auditor, started(scene.auditor))

    assert 'data-state="failed"' in result
    assert f'data-position="{tampered}"' in result
    assert f'href="/audit/ledger/{tampered}"' in result


@pytest.mark.parametrize("state", [b"\xff not JSON", b'["JSON", "but no event"]'])
def test_an_entry_that_no_longer_decodes_shows_that_it_cannot_be_read(
        site: Site, clock: SettableClock, state: bytes) -> None:
    scene = a_scene(site, clock)
    tampered = scene.lot_positions[1]
    with scene.marketplace.engine.begin() as connection:
        connection.execute(sa.text("UPDATE ledger_events SET state = :state WHERE id = :id"),
                           {"id": tampered, "state": state})

    page = scene.auditor.get(f"/audit/ledger/{tampered}", headers=ENGLISH)

    assert page.status_code == 200
    assert 'id="entry-unreadable"' in page.text
    assert 'id="entry-fields"' not in page.text
    assert 'id="hash-mismatch"' in page.text


def test_an_auditor_of_a_firm_a_lot_is_not_open_to_sees_none_of_it_yet_verifies_it_all(
        site: Site, clock: SettableClock) -> None:
    scene = a_scene(site, clock)
    outsider = site.new_member(roles=("supplier",), prefecture="Tochigi", clusters=())
    site.accounts.set_roles(outsider, outsider.id, ["admin", "auditor", "supplier"])
    clock.advance(timedelta(days=6))
    assert scene.marketplace.close_due_lots() == [scene.lot_id]
    scene.marketplace.checkpoint("manual")
    visitor = site.logged_in(outsider)
    organiser = scene.organiser.organisation_id

    listed = everything(visitor, "/audit/ledger")
    by_organiser = everything(visitor, f"/audit/ledger?organisation={organiser}")
    by_lot = everything(visitor, f"/audit/ledger?lot={scene.lot_id}")
    entries = {visitor.get(f"/audit/ledger/{p}").status_code for p in scene.lot_positions}
    receipt = visitor.get(f"/ledger/entries/{scene.bid}/receipt")
    result = finished(visitor, started(visitor))

    assert not set(scene.lot_positions) & set(listed)
    assert by_lot == []
    assert min(by_organiser) == 1  # its registration is public; its need is not
    assert scene.lot_positions[0] + 1 not in by_organiser
    assert visitor.get("/audit/ledger/1").status_code == 200
    assert entries == {404}
    assert receipt.status_code == 404
    assert 'data-state="ok"' in result


def a_running_run(scene: Scene, **values: Any) -> uuid.UUID:
    """A run as another worker's thread would have left it, mid-way."""
    run_id = uuid.uuid4()
    now = scene.marketplace.clock()
    with scene.marketplace.engine.begin() as connection:
        connection.execute(sa.insert(verify_runs).values(**{
            "id": run_id, "started_by": scene.auditor_member.id,
            "organisation_id": scene.auditor_member.organisation_id, "started_at": now,
            "phase": "hashes", "done": 40, "total": 100, "updated_at": now, "running": True,
            **values}))
    return run_id


def test_a_running_run_shows_a_live_bar_and_a_second_start_shows_that_run(
        site: Site, clock: SettableClock) -> None:
    scene = a_scene(site, clock)
    run_id = a_running_run(scene)

    shown = scene.auditor.get(f"/audit/verify/{run_id}", headers=ENGLISH).text
    again = started(scene.auditor)
    with scene.marketplace.engine.begin() as connection:
        connection.execute(sa.update(verify_runs).where(verify_runs.c.id == run_id).values(
            running=None, finished_at=clock(), ok=True, phase="read models",
            phases_json=[{"name": "hashes", "count": 100, "seconds": 0.5}]))
    done = scene.auditor.get(f"/audit/verify/{run_id}", htmx=True, headers=ENGLISH).text

    assert '<progress id="verify-bar" max="100" value="40">' in shown
    assert f'hx-get="/audit/verify/{run_id}" hx-trigger="every 1s" hx-swap="outerHTML"' in shown
    assert "style=" not in shown
    assert again == f"/audit/verify/{run_id}"
    assert VerifyRuns(scene.marketplace).running() is None
    assert 'data-state="ok"' in done
    assert "hx-get" not in done
    assert '<tr data-phase="hashes">' in done


class Gate:
    """A verifier that reports some progress, then waits to be let go."""

    def __init__(self, *, fails: bool = False) -> None:
        self.reported = threading.Event()
        self.go = threading.Event()
        self.fails = fails

    def __call__(self, marketplace: Marketplace, progress: Any) -> VerifyReport:
        progress("hashes", 5, 10)
        self.reported.set()
        assert self.go.wait(PATIENCE_S)
        if self.fails:
            raise RuntimeError("the disk went away")
        return VerifyReport(entries=10, phases=[PhaseResult("hashes", 10, 0.25)],
                            problem=Problem(7, "the entry does not hash to its leaf"))


def wait_for_end(runs: VerifyRuns, run: VerifyRun) -> VerifyRun:
    deadline = time.monotonic() + PATIENCE_S
    while (found := runs.get(run.id)) is not None and found.running:
        assert time.monotonic() < deadline, "the verify run never finished"
        time.sleep(0.02)
    assert found is not None
    return found


def test_one_run_at_a_time_its_progress_written_as_it_goes(marketplace: Marketplace) -> None:
    gate = Gate()
    runs = VerifyRuns(marketplace, verifier=gate)
    member, organisation = uuid.uuid4(), uuid.uuid4()

    first, first_started = runs.start(member, organisation)
    assert gate.reported.wait(PATIENCE_S)
    during = runs.get(first.id)
    second, second_started = runs.start(uuid.uuid4(), organisation)
    gate.go.set()
    ended = wait_for_end(runs, first)

    assert first_started
    assert not second_started
    assert second.id == first.id
    assert during is not None
    assert (during.phase, during.done, during.total, during.running) == ("hashes", 5, 10, True)
    assert (ended.ok, ended.problem_position, ended.problem_text) == (
        False, 7, "the entry does not hash to its leaf")
    assert [(p.name, p.count) for p in ended.phases] == [("hashes", 10)]
    another, another_started = runs.start(member, organisation)
    assert another_started  # once it has ended, another may start
    wait_for_end(runs, another)


def test_a_verifier_that_breaks_ends_its_run_saying_why(marketplace: Marketplace) -> None:
    gate = Gate(fails=True)
    gate.go.set()
    runs = VerifyRuns(marketplace, verifier=gate)

    ended = wait_for_end(runs, runs.start(uuid.uuid4(), uuid.uuid4())[0])

    assert ended.ok is False
    assert ended.problem_position is None
    assert ended.problem_text == "verify stopped: RuntimeError: the disk went away"


def test_a_run_whose_worker_died_stops_nobody(marketplace: Marketplace,
                                              clock: SettableClock) -> None:
    gate = Gate()
    runs = VerifyRuns(marketplace, verifier=gate)
    dead, _ = runs.start(uuid.uuid4(), uuid.uuid4())
    assert gate.reported.wait(PATIENCE_S)
    gate.go.set()
    wait_for_end(runs, dead)
    with marketplace.engine.begin() as connection:  # as if its process had ended mid-way
        connection.execute(sa.update(verify_runs).where(verify_runs.c.id == dead.id).values(
            running=True, finished_at=None, ok=None, updated_at=clock()))
    clock.advance(STALE_AFTER + timedelta(seconds=1))
    fresh_gate = Gate()
    fresh_gate.go.set()

    fresh, fresh_started = VerifyRuns(marketplace, verifier=fresh_gate).start(
        uuid.uuid4(), uuid.uuid4())
    wait_for_end(runs, fresh)
    abandoned = runs.get(dead.id)

    assert fresh_started
    assert fresh.id != dead.id
    assert abandoned is not None
    assert (abandoned.running, abandoned.ok, abandoned.problem_text) == (False, False, ABANDONED)
