"""Settling the buyers at the close: each served buyer pays exactly what the allocation says,
once, through Stripe (the fake server) or by invoice; a buyer left out, or every buyer of a
cancelled lot, has its hold released; settling again, even after a crash, moves no money
twice."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.domain.payments import Purpose
from marketplace.payments import Status
from tests.fake_stripe import FakeStripe
from tests.payment_builders import a_paid_lot


def settled(marketplace: Marketplace, lot_id: UUID) -> dict[UUID, tuple[Purpose, str | None,
                                                                        int | None]]:
    return {p.party_id: (p.purpose, p.status, p.settled_amount)
            for p in marketplace.payments_of_lot(lot_id)
            if p.purpose in (Purpose.CAPTURE, Purpose.CHARGE, Purpose.RELEASE)}


def owed(marketplace: Marketplace, lot_id: UUID, buyer: UUID) -> int:
    allocation = marketplace.allocations.of_lot(buyer, lot_id)
    assert allocation is not None
    return int(sum((n.total for n in allocation.my_needs if n.served), Decimal(0)))


def test_at_the_close_each_served_buyer_pays_what_the_allocation_says_and_the_rest_are_let_go(
        marketplace: Marketplace, clock: SettableClock, processor: FakeStripe | None) -> None:
    lot_id, (first, second, left_out) = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)

    assert marketplace.close_due_lots() == [lot_id]

    outcome = settled(marketplace, lot_id)
    assert outcome[first] == (Purpose.CAPTURE, Status.CAPTURED, 800 * 180)
    assert outcome[second] == (Purpose.CAPTURE, Status.CAPTURED, 700 * 180)
    assert outcome[left_out][:2] == (Purpose.RELEASE, Status.RELEASED)
    assert [owed(marketplace, lot_id, b) for b in (first, second)] == [800 * 180, 700 * 180]
    if processor is not None:
        intents = {i.metadata["kyodo_organisation"]: i for i in processor.client().v1
                   .payment_intents.search(params={
                       "query": f"metadata['kyodo_lot']:'{lot_id}'"}).auto_paging_iter()}
        assert intents[str(first)].amount_received == 144_000
        assert intents[str(second)].amount_received == 126_000
        assert intents[str(left_out)].status == "canceled"


def test_settling_again_makes_no_call_twice(marketplace: Marketplace, clock: SettableClock,
                                            processor: FakeStripe | None) -> None:
    lot_id, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    before = settled(marketplace, lot_id)
    changes = None if processor is None else processor.mutations
    position = marketplace.position()

    again = marketplace.settle_buyers(lot_id)

    assert {p.party_id: (p.purpose, p.status, p.settled_amount) for p in again} == before
    assert marketplace.position() == position
    assert (None if processor is None else processor.mutations) == changes


def test_a_crash_in_the_middle_of_settling_is_finished_by_settling_again(
        marketplace: Marketplace, clock: SettableClock, processor: FakeStripe | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lot_id, (first, _, left_out) = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)

    def dies(*_: object) -> None:
        raise SystemExit("the process died after the processor answered")
    with monkeypatch.context() as patch:
        patch.setattr(Marketplace, "_note_outcome", dies)
        with pytest.raises(SystemExit):
            marketplace.close_due_lots()
    unknown = settled(marketplace, lot_id)
    changes = None if processor is None else processor.mutations

    marketplace.settle_buyers(lot_id)

    assert unknown[first] == (Purpose.CAPTURE, None, None)
    assert settled(marketplace, lot_id)[first] == (Purpose.CAPTURE, Status.CAPTURED, 144_000)
    assert settled(marketplace, lot_id)[left_out][:2] == (Purpose.RELEASE, Status.RELEASED)
    if processor is not None:  # the first capture was replayed, the other two were made
        assert processor.mutations == (changes or 0) + 2


def test_cancelling_a_lot_releases_every_hold(marketplace: Marketplace,
                                              processor: FakeStripe | None) -> None:
    lot_id, buyers = a_paid_lot(marketplace)

    marketplace.cancel_lot(buyers[0], lot_id, "the supplier's mill is shut for repairs")

    assert {b: outcome[:2] for b, outcome in settled(marketplace, lot_id).items()} == {
        b: (Purpose.RELEASE, Status.RELEASED) for b in buyers}
