"""`verify` on a real ledger: everything holds, and each kind of tampering is caught at the
right position (one byte changed, a row deleted, two rows swapped, a row inserted, the tail
truncated, a checkpoint re-signed with another key, two roots for one size), as are a wrong
allocation and a read model that drifted from the ledger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events import SettableClock
from events.checkpoints import Signer, signed_body
from events.integrity_tables import checkpoints, leaves
from events.store import event_store_tables
from marketplace.application import Marketplace
from marketplace.audit.verify import PHASES, VerifyReport, verify_ledger
from marketplace.readmodels.lot_tables import lots
from tests.conftest import LEDGER_SIGNER
from tests.lots_builders import (
    a_cluster,
    bid_alone,
    open_lot,
    pooled_need,
)

EVENTS = event_store_tables("Ledger")["events"]


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"], autouse=True)
def workers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every case verified in one process and shared between two (a forked worker)."""
    global WORKERS
    WORKERS = request.param
    yield
    WORKERS = 1


WORKERS = 1


def run(marketplace: Marketplace, **options: Any) -> VerifyReport:
    return verify_ledger(marketplace, trusted_key=LEDGER_SIGNER.public_key,
                         **{"workers": WORKERS, **options})


def tamper(marketplace: Marketplace, change: Callable[[Connection], Any]) -> Any:
    with marketplace.engine.begin() as connection:
        return change(connection)


def aware(instant: datetime) -> datetime:
    """SQLite gives stored instants back without their zone; they are UTC."""
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def positions(connection: Connection) -> list[int]:
    return list(connection.execute(sa.select(EVENTS.c.id).order_by(EVENTS.c.id)).scalars())


def test_an_untouched_ledger_verifies_in_every_phase(ledger: Marketplace) -> None:
    seen: list[tuple[str, int, int]] = []
    report = run(ledger, progress=lambda *step: seen.append(step))

    assert report.ok, report.problem
    assert [phase.name for phase in report.phases] == list(PHASES)
    counts = {phase.name: phase.count for phase in report.phases}
    assert counts["entries"] == report.entries == ledger.position()
    assert counts["allocations"] == 2
    assert counts["checkpoints"] >= 3
    assert counts["read models"] == report.entries
    assert ("entries", report.entries, report.entries) in seen


def middle(connection: Connection) -> int:
    found = positions(connection)
    return found[len(found) // 2]


def test_one_byte_changed_is_caught_at_its_position(ledger: Marketplace) -> None:
    def change(connection: Connection) -> int:
        position = middle(connection)
        state = bytes(connection.execute(sa.select(EVENTS.c.state)
                                         .where(EVENTS.c.id == position)).scalar_one())
        index = state.index(b":") + 2
        edited = state[:index] + bytes([state[index] ^ 1]) + state[index + 1:]
        connection.execute(EVENTS.update().where(EVENTS.c.id == position).values(state=edited))
        return position
    position = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position == position
    assert "changed after it was recorded" in report.problem.what


def test_a_deleted_row_is_caught_at_its_position(ledger: Marketplace) -> None:
    def change(connection: Connection) -> int:
        position = middle(connection)
        connection.execute(EVENTS.delete().where(EVENTS.c.id == position))
        return position
    position = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position == position
    assert "missing (deleted)" in report.problem.what


def test_two_swapped_rows_are_caught_at_the_first(ledger: Marketplace) -> None:
    def change(connection: Connection) -> int:
        first = middle(connection)
        second = positions(connection)[positions(connection).index(first) + 1]
        rows = {row.id: row for row in connection.execute(
            sa.select(EVENTS).where(EVENTS.c.id.in_([first, second])))}
        connection.execute(EVENTS.delete().where(EVENTS.c.id.in_([first, second])))
        for position, other in ((first, second), (second, first)):
            values = {c.name: getattr(rows[other], c.name) for c in EVENTS.c if c.name != "id"}
            connection.execute(EVENTS.insert().values(id=position, **values))
        return first
    position = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position == position


def test_an_inserted_row_is_caught_where_it_was_put(ledger: Marketplace) -> None:
    def change(connection: Connection) -> int:
        position = middle(connection)
        row = connection.execute(sa.select(EVENTS).where(EVENTS.c.id == position)).one()
        # Make room as an intruder would: every later entry moves up one place.
        later = EVENTS.c.id >= position
        connection.execute(EVENTS.update().where(later).values(id=-(EVENTS.c.id + 1)))
        connection.execute(EVENTS.update().where(EVENTS.c.id < 0).values(id=-EVENTS.c.id))
        connection.execute(EVENTS.insert().values(
            id=position, originator_id=uuid4(), originator_version=1, topic=row.topic,
            state=row.state))
        return position
    position = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position == position


def test_a_row_appended_outside_the_ledger_has_no_leaf(ledger: Marketplace) -> None:
    def change(connection: Connection) -> int:
        last = positions(connection)[-1]
        row = connection.execute(sa.select(EVENTS).where(EVENTS.c.id == last)).one()
        connection.execute(EVENTS.insert().values(
            id=last + 1, originator_id=uuid4(), originator_version=1, topic=row.topic,
            state=row.state))
        return last + 1
    position = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position == position
    assert "no leaf" in report.problem.what


def test_a_truncated_tail_is_caught_by_the_checkpoint_that_covers_it(
        ledger: Marketplace) -> None:
    ledger.checkpoint("manual")

    def change(connection: Connection) -> int:
        kept = positions(connection)[-4]
        connection.execute(EVENTS.delete().where(EVENTS.c.id > kept))
        connection.execute(leaves.delete().where(leaves.c.position > kept))
        return kept
    kept = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert f"entries after position {kept} are missing" in report.problem.what


def test_a_leaf_rewritten_with_its_entry_is_caught_by_the_signed_root(
        ledger: Marketplace) -> None:
    from events.entries import entry_hash

    def change(connection: Connection) -> int:
        position = middle(connection)
        row = connection.execute(sa.select(EVENTS).where(EVENTS.c.id == position)).one()
        state = bytes(row.state).replace(b"2026-", b"2025-", 1)
        assert state != bytes(row.state)
        connection.execute(EVENTS.update().where(EVENTS.c.id == position).values(state=state))
        connection.execute(leaves.update().where(leaves.c.position == position).values(
            leaf_hash=entry_hash(position, row.originator_id, row.originator_version,
                                 row.topic, state)))
        return position
    position = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position is not None
    assert report.problem.position >= position
    assert "do not have the root signed by checkpoint" in report.problem.what


def test_a_checkpoint_re_signed_with_another_key_is_caught(ledger: Marketplace) -> None:
    impostor = Signer.generate()

    def change(connection: Connection) -> int:
        row = connection.execute(sa.select(checkpoints).order_by(checkpoints.c.id)).first()
        assert row is not None
        body = signed_body(row.origin, row.tree_size, bytes(row.root_hash), aware(row.made_at))
        connection.execute(checkpoints.update().where(checkpoints.c.id == row.id).values(
            signature=impostor.sign(body), public_key=impostor.public_key))
        return int(row.id)
    checkpoint_id = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert f"checkpoint #{checkpoint_id}" in report.problem.what
    assert "not the trusted key" in report.problem.what


def test_two_checkpoints_of_one_size_with_different_roots_are_caught(
        ledger: Marketplace) -> None:
    def change(connection: Connection) -> None:
        row = connection.execute(sa.select(checkpoints).order_by(checkpoints.c.id)).first()
        assert row is not None
        forged_root = bytes(32)
        body = signed_body(row.origin, row.tree_size, forged_root, aware(row.made_at))
        connection.execute(checkpoints.insert().values(
            origin=row.origin, tree_size=row.tree_size, root_hash=forged_root,
            made_at=row.made_at, public_key=LEDGER_SIGNER.public_key,
            signature=LEDGER_SIGNER.sign(body), reason="forged"))
    tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert "two different roots" in report.problem.what


def test_a_read_model_that_drifted_is_caught(ledger: Marketplace) -> None:
    tamper(ledger, lambda c: c.execute(lots.update().values(pooled_quantity=Decimal(1))))
    report = run(ledger)
    assert report.problem is not None
    assert "read model lots" in report.problem.what
    assert [p.name for p in report.phases][-1] == "read models"
    assert run(ledger, read_models=False).ok


def test_a_recorded_allocation_that_a_solve_does_not_reach_is_caught(
        marketplace: Marketplace, clock: SettableClock) -> None:
    firms = a_cluster(marketplace, buyers=2, suppliers=2)
    lot_id = open_lot(marketplace, firms.buyers[0])
    pooled_need(marketplace, firms.buyers[1], lot_id, 800)
    bid_alone(marketplace, firms.suppliers[0], lot_id)
    clock.advance(timedelta(days=30))
    lot = marketplace.repository.get(lot_id)
    lot.record_close(at=clock())
    marketplace.save(lot)
    problem = marketplace.allocation_input(lot)
    from marketplace.allocation import allocate
    result = allocate(problem).as_json()
    result["objective"] = str(Decimal(result["objective"]) - 1)
    lot.record_allocation(problem.digest, problem.as_json(), result, at=clock())
    marketplace.save(lot)

    report = run(marketplace)
    assert report.problem is not None
    assert report.problem.position == marketplace.position()
    assert "solved again, the objective is" in report.problem.what


def test_verify_trusts_the_named_key_only_when_none_is_pinned(ledger: Marketplace) -> None:
    assert verify_ledger(ledger).ok
    other = Signer.generate()
    report = verify_ledger(ledger, trusted_key=other.public_key)
    assert report.problem is not None
    assert "not the trusted key" in report.problem.what


def test_no_checkpoint_is_signed_for_an_empty_ledger(marketplace: Marketplace) -> None:
    assert marketplace.checkpoint("manual") is None
    assert run(marketplace).ok


def test_a_checkpoint_never_goes_back_in_time(ledger: Marketplace, clock: SettableClock) -> None:
    latest = ledger.checkpoint("manual")
    assert latest is not None
    register_more = a_cluster(ledger, buyers=1, suppliers=0)
    assert register_more.buyers
    clock.advance(timedelta(seconds=-5))  # this worker's clock runs behind the last signer's
    made = ledger.checkpoint("manual")

    assert made is not None
    assert made.made_at == latest.made_at
    assert run(ledger).ok


def test_entries_added_while_verify_runs_are_left_for_the_next(
        ledger: Marketplace, monkeypatch: pytest.MonkeyPatch) -> None:
    from events import verify_entries
    monkeypatch.setattr(verify_entries, "BATCH", 4)
    added: list[int] = []

    def meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "entries" and len(added) < 3:
            a_cluster(ledger, buyers=1, suppliers=0)  # a command commits mid-verify
            ledger.checkpoint("manual")
            added.append(done)

    report = run(ledger, progress=meanwhile, read_models=False)
    assert report.ok, report.problem
    assert len(added) == 3
    assert run(ledger).ok


def test_a_stored_tree_node_changed_is_caught(ledger: Marketplace) -> None:
    from events.integrity_tables import tree_nodes

    def change(connection: Connection) -> int:
        row = connection.execute(sa.select(tree_nodes).where(tree_nodes.c.level == 2)
                                 .order_by(tree_nodes.c.node_index)).first()
        assert row is not None
        connection.execute(tree_nodes.update().where(
            tree_nodes.c.level == 2, tree_nodes.c.node_index == row.node_index).values(
            node_hash=bytes(32)))
        return int(row.node_index)
    index = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert f"stored tree node (level 2, index {index})" in report.problem.what


def test_an_unreadable_aggregate_id_is_a_finding_not_a_crash(ledger: Marketplace) -> None:
    def change(connection: Connection) -> int:
        position = middle(connection)
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "UPDATE ledger_events SET originator_id = x'0102' WHERE id = ?", (position,))
        else:
            connection.execute(EVENTS.update().where(EVENTS.c.id == position).values(
                originator_id=uuid4()))
        return position
    position = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position == position


def test_an_entry_deleted_with_its_leaf_is_named_by_its_neighbours(ledger: Marketplace) -> None:
    def change(connection: Connection) -> tuple[int, int]:
        found = positions(connection)
        gone = found[len(found) // 2]
        connection.execute(EVENTS.delete().where(EVENTS.c.id == gone))
        connection.execute(leaves.delete().where(leaves.c.position == gone))
        return found[len(found) // 2 - 1], found[len(found) // 2 + 1]
    before, after = tamper(ledger, change)
    report = run(ledger)
    assert report.problem is not None
    assert report.problem.position == after
    assert f"after position {before} are missing (deleted)" in report.problem.what


def test_checkpoints_signed_before_a_key_rotation_verify_with_both_keys(
        ledger: Marketplace) -> None:
    new_key = Signer.generate()
    ledger.signer = new_key  # the deployment rotates its key
    a_cluster(ledger, buyers=1, suppliers=0)
    assert ledger.checkpoint("manual") is not None

    assert not run(ledger).ok  # the old key alone does not vouch for the new checkpoint
    report = verify_ledger(ledger, trusted_key={LEDGER_SIGNER.public_key, new_key.public_key})
    assert report.ok, report.problem
