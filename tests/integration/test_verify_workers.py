"""The entries phase shared between processes: each worker's findings reach the report, the
lowest position wins whichever worker found it, and the replay's memory stays bounded."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events import verify_entries
from events.checkpoints import Checkpoints
from events.integrity_tables import leaves
from events.store import event_store_tables
from events.verify_replay import Aggregates
from marketplace.application import Marketplace
from marketplace.audit import verify as audit_verify
from marketplace.audit.verify import VerifyReport, verify_ledger
from tests.conftest import LEDGER_SIGNER

EVENTS = event_store_tables("Ledger")["events"]


def run(marketplace: Marketplace, **options: Any) -> VerifyReport:
    return verify_ledger(marketplace, trusted_key=LEDGER_SIGNER.public_key, read_models=False,
                         **options)


def entries_of_share(connection: Connection, share: int) -> list[int]:
    """Positions of the entries whose aggregate the worker ``share`` of two replays."""
    rows = connection.execute(sa.select(EVENTS.c.id, EVENTS.c.originator_id)
                              .order_by(EVENTS.c.id)).all()
    return [position for position, aggregate_id in rows
            if verify_entries.owner_of(aggregate_id.int & 0xFF, 2) == share]


def flip_a_byte(connection: Connection, position: int) -> None:
    state = bytes(connection.execute(sa.select(EVENTS.c.state)
                                     .where(EVENTS.c.id == position)).scalar_one())
    index = state.index(b":") + 2
    edited = state[:index] + bytes([state[index] ^ 1]) + state[index + 1:]
    connection.execute(EVENTS.update().where(EVENTS.c.id == position).values(state=edited))


@pytest.mark.parametrize("share", [0, 1], ids=["the first worker's", "the forked worker's"])
def test_a_changed_entry_is_named_whichever_worker_replays_it(ledger: Marketplace,
                                                               share: int) -> None:
    with ledger.engine.begin() as connection:
        mine = entries_of_share(connection, share)
        position = mine[len(mine) // 2]
        flip_a_byte(connection, position)
    report = run(ledger, workers=2)
    assert report.problem is not None
    assert report.problem.position == position
    assert "changed after it was recorded" in report.problem.what


@pytest.mark.parametrize("first", [0, 1], ids=["first worker's first", "forked worker's first"])
def test_of_two_problems_in_different_workers_the_lower_is_reported(ledger: Marketplace,
                                                                     first: int) -> None:
    with ledger.engine.begin() as connection:
        early = entries_of_share(connection, first)[3]
        late = [p for p in entries_of_share(connection, 1 - first) if p > early][-1]
        flip_a_byte(connection, early)
        flip_a_byte(connection, late)
    report = run(ledger, workers=2)
    assert report.problem is not None
    assert report.problem.position == early


def test_allocations_found_by_either_worker_are_all_checked(ledger: Marketplace) -> None:
    one, two = run(ledger, workers=1), run(ledger, workers=2)
    assert one.ok, one.problem
    assert two.ok, two.problem
    counts = [{p.name: p.count for p in report.phases}["allocations"] for report in (one, two)]
    assert counts == [2, 2]


def test_a_worker_that_dies_fails_the_verify_loudly(ledger: Marketplace,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def dies(*_: object) -> None:
        raise MemoryError("out of memory in the worker")
    monkeypatch.setattr(verify_entries, "_worker", lambda *args: dies())
    with pytest.raises(verify_entries.VerifyWorkerError,
                       match=r"exited with code 1 before reporting.*run the verify again"):
        run(ledger, workers=2)


def test_aggregates_pushed_out_of_memory_are_rebuilt(ledger: Marketplace,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Aggregates, "KEEP", 2)
    rebuilt: list[object] = []
    original = Aggregates._rebuild

    def counting(self: Aggregates, aggregate_id: object, version: int
                 ) -> object:
        rebuilt.append(aggregate_id)
        return original(self, aggregate_id, version)  # type: ignore[arg-type]
    monkeypatch.setattr(Aggregates, "_rebuild", counting)

    report = run(ledger, workers=1)  # counted in this process
    assert report.ok, report.problem
    assert rebuilt  # the lots came back after their buyers' and suppliers' events


def test_a_leaf_rewritten_where_a_checkpoint_ends_is_named_as_one_process_names_it(
        ledger: Marketplace) -> None:
    latest = Checkpoints(ledger.engine).latest()
    assert latest is not None
    with ledger.engine.begin() as connection:
        last = connection.execute(sa.select(leaves.c.position)
                                  .where(leaves.c.leaf_index == latest.tree_size - 1)
                                  ).scalar_one()
        connection.execute(leaves.update().where(leaves.c.position == last)
                           .values(leaf_hash=b"\xab" * 32))

    one, two = run(ledger, workers=1), run(ledger, workers=2)

    assert one.problem is not None
    assert one.problem.position == last
    assert "does not hash to its leaf" in one.problem.what
    assert two.problem == one.problem


@pytest.mark.parametrize("workers", [1, 2])
def test_a_re_solve_that_trips_is_named_in_one_line_unless_an_entry_is_wrong(
        ledger: Marketplace, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    def trips(*_: object) -> None:
        raise KeyError("total_cost")  # a recorded allocation missing what the re-solve reads
    monkeypatch.setattr(audit_verify, "check_recorded_allocation", trips)

    tripped = run(ledger, workers=workers)
    with ledger.engine.begin() as connection:
        last = connection.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar_one()
        flip_a_byte(connection, last)
    changed = run(ledger, workers=workers)

    assert tripped.problem is not None
    assert "cannot be re-solved: KeyError" in tripped.problem.what
    assert "\n" not in tripped.problem.what
    assert changed.problem is not None
    assert changed.problem.position == last  # the entry's own problem wins
