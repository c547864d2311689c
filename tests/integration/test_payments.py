"""The payment step of pooling, by invoice (no Stripe key): the request is on the ledger
before the call and the outcome after it; nothing is held twice; bad requests record
nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from events import SettableClock
from events.store import event_store_tables
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW, NothingToPayError
from marketplace.domain.lot_rules import LotClosedError
from marketplace.domain.payments import LotPayments, Purpose
from marketplace.payments import Status
from tests.lots_builders import a_cluster, open_lot, pooled_need

EVENTS = event_store_tables("Ledger")["events"]


def payment_entries(marketplace: Marketplace, lot_id: UUID) -> list[tuple[str, Any]]:
    """(event type, its state) of the lot's payment record, in ledger order."""
    with marketplace.engine.connect() as connection:
        rows = connection.execute(
            sa.select(EVENTS.c.topic, EVENTS.c.state)
            .where(EVENTS.c.originator_id == LotPayments.create_id(lot_id))
            .order_by(EVENTS.c.id)).all()
    return [(topic.rsplit(".", 1)[-1], bytes(state)) for topic, state in rows]


@pytest.fixture
def lot(marketplace: Marketplace) -> tuple[UUID, UUID, UUID]:
    """(lot, buyer with 800 kg at most at ¥190 pooled, a buyer with nothing pooled); the lot
    closes within the hold window."""
    firms = a_cluster(marketplace, buyers=2, suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0],
                      closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1))
    pooled_need(marketplace, firms.buyers[0], lot_id, 800)
    return lot_id, firms.buyers[0], firms.buyers[1]


def test_a_commitment_closing_soon_is_held_at_its_maximum_request_first_then_outcome(
        marketplace: Marketplace, lot: tuple[UUID, UUID, UUID]) -> None:
    lot_id, buyer, _ = lot

    payment = marketplace.pay_for_commitment(buyer, lot_id)

    assert payment.purpose is Purpose.HOLD
    assert payment.amount == 800 * 190
    assert payment.status == Status.AUTHORISED
    assert payment.reference is not None
    assert payment.reference.startswith("ORD-")
    assert [kind for kind, _ in payment_entries(marketplace, lot_id)] == [
        "Opened", "Requested", "Recorded"]
    requested, recorded = (state for _, state in payment_entries(marketplace, lot_id)[1:])
    assert payment.key.encode() in requested
    assert payment.key.encode() in recorded


def test_a_lot_closing_after_a_hold_would_lapse_saves_the_card_instead(
        marketplace: Marketplace) -> None:
    firms = a_cluster(marketplace, buyers=1, suppliers=1)
    lot_id = open_lot(marketplace, firms.buyers[0],
                      closes_at=marketplace.clock() + HOLD_WINDOW + timedelta(hours=1))
    pooled_need(marketplace, firms.buyers[0], lot_id, 500)

    payment = marketplace.pay_for_commitment(firms.buyers[0], lot_id)

    assert payment.purpose is Purpose.SAVE
    assert payment.amount is None
    assert payment.status == Status.SAVED


def test_paying_again_for_the_same_commitment_holds_nothing_twice(
        marketplace: Marketplace, lot: tuple[UUID, UUID, UUID]) -> None:
    lot_id, buyer, _ = lot
    first = marketplace.pay_for_commitment(buyer, lot_id)

    again = marketplace.pay_for_commitment(buyer, lot_id)

    assert again == first
    assert [kind for kind, _ in payment_entries(marketplace, lot_id)] == [
        "Opened", "Requested", "Recorded"]
    assert marketplace.payments_of_lot(lot_id) == [first]


def test_a_larger_commitment_is_held_again_for_its_new_maximum(
        marketplace: Marketplace, lot: tuple[UUID, UUID, UUID]) -> None:
    lot_id, buyer, _ = lot
    first = marketplace.pay_for_commitment(buyer, lot_id)
    pooled_need(marketplace, buyer, lot_id, 200)

    second = marketplace.pay_for_commitment(buyer, lot_id)

    assert second.key != first.key
    assert second.amount == 1000 * 190


def test_an_organisation_with_nothing_pooled_pays_nothing_and_nothing_is_recorded(
        marketplace: Marketplace, lot: tuple[UUID, UUID, UUID]) -> None:
    lot_id, _, other = lot

    with pytest.raises(NothingToPayError, match="pool a need first"):
        marketplace.pay_for_commitment(other, lot_id)

    assert payment_entries(marketplace, lot_id) == []
    assert marketplace.payments_of_lot(lot_id) == []


def test_a_closed_lot_takes_no_payment_step(marketplace: Marketplace, clock: SettableClock,
                                            lot: tuple[UUID, UUID, UUID]) -> None:
    lot_id, buyer, _ = lot
    clock.advance(HOLD_WINDOW)

    with pytest.raises(LotClosedError, match="closed at"):
        marketplace.pay_for_commitment(buyer, lot_id)

    assert payment_entries(marketplace, lot_id) == []


def test_the_payments_replay_to_the_same_state(marketplace: Marketplace,
                                               lot: tuple[UUID, UUID, UUID]) -> None:
    lot_id, buyer, _ = lot
    payment = marketplace.pay_for_commitment(buyer, lot_id)
    fresh = Marketplace(marketplace.engine.url.render_as_string(hide_password=False))

    assert fresh.payments_of_lot(lot_id) == [payment]


def test_payment_entries_are_filed_under_the_buyer_only_not_the_lot(
        marketplace: Marketplace, lot: tuple[UUID, UUID, UUID]) -> None:
    from marketplace.readmodels.ledger_index import ledger_index, ledger_index_parties
    lot_id, buyer, other = lot
    marketplace.pay_for_commitment(buyer, lot_id)

    with marketplace.engine.connect() as connection:
        rows = connection.execute(
            sa.select(ledger_index.c.event_type, ledger_index.c.lot_id,
                      ledger_index_parties.c.organisation_id)
            .outerjoin(ledger_index_parties,
                       ledger_index_parties.c.position == ledger_index.c.position)
            .where(ledger_index.c.aggregate_type == "LotPayments")
            .order_by(ledger_index.c.position)).all()

    assert [(kind, lot, party) for kind, lot, party in rows] == [
        ("LotPayments.Opened", None, None), ("LotPayments.Requested", None, buyer),
        ("LotPayments.Recorded", None, buyer)]
    assert other not in {party for _, _, party in rows}
