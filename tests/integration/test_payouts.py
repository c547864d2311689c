"""Paying the suppliers once the buyers have paid: each owed what the allocation awards it,
less the platform's fee, in transfers funded by the buyers' charges, once; a consortium's
members by the quantity each supplies; a statement per supplier."""

from __future__ import annotations

from decimal import Decimal

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments import Status
from tests.fake_stripe import FakeStripe
from tests.payment_builders import a_consortium_lot, a_paid_lot


def test_the_supplier_is_paid_what_it_was_awarded_less_the_fee_from_the_buyers_charges(
        marketplace: Marketplace, clock: SettableClock, processor: FakeStripe | None) -> None:
    marketplace.platform_fee = Decimal("0.03")
    lot_id, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)

    marketplace.close_due_lots()

    (supplier,) = {t.party_id for t in marketplace.payouts_of_lot(lot_id)}
    statement = marketplace.payout_statement(supplier, lot_id)
    assert statement is not None
    assert (statement.gross, statement.fee, statement.net) == (270_000, 8_100, 261_900)
    assert statement.paid == statement.net
    assert [t.settled_amount for t in statement.transfers] == [144_000, 117_900]
    assert {t.status for t in statement.transfers} == {Status.TRANSFERRED}
    if processor is not None:
        made = list(processor.client().v1.transfers.list(
            params={"transfer_group": f"lot_{lot_id}"}).auto_paging_iter())
        assert sorted(t.amount for t in made) == [117_900, 144_000]
        assert {t.destination for t in made} == {marketplace._payout_account(supplier)}
        charges = {t.source_transaction for t in made}
        assert len(charges) == 2  # one transfer from each buyer's charge


def test_paying_again_transfers_nothing_twice(marketplace: Marketplace, clock: SettableClock,
                                              processor: FakeStripe | None) -> None:
    lot_id, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    first = marketplace.payouts_of_lot(lot_id)
    changes = None if processor is None else processor.mutations
    position = marketplace.position()

    again = marketplace.pay_suppliers(lot_id)

    assert again == first
    assert marketplace.position() == position
    assert (None if processor is None else processor.mutations) == changes


def test_a_consortiums_members_are_paid_by_what_each_supplies(
        marketplace: Marketplace, clock: SettableClock, processor: FakeStripe | None) -> None:
    lot_id, lead, member = a_consortium_lot(marketplace)
    clock.advance(HOLD_WINDOW)

    marketplace.close_due_lots()

    allocation = marketplace.allocations.of_lot(lead, lot_id)
    assert allocation is not None
    (outcome,) = allocation.my_bids
    supplied = {m.organisation_id: m.quantity for m in outcome.members}
    for supplier in (lead, member):
        statement = marketplace.payout_statement(supplier, lot_id)
        assert statement is not None
        assert statement.gross == int(supplied[supplier] * 190)
        assert statement.paid == statement.gross  # no fee configured
    assert sum(supplied.values()) == 800


def test_nothing_is_paid_out_while_a_buyer_has_not_paid_all_it_owes(
        marketplace: Marketplace, clock: SettableClock, processor: FakeStripe | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lot_id, _ = a_paid_lot(marketplace)
    clock.advance(HOLD_WINDOW)
    with monkeypatch.context() as patch:  # the lot is allocated, its buyers not yet settled
        patch.setattr(Marketplace, "_settle_quietly", lambda *_: None)
        marketplace.close_due_lots()

    assert marketplace.pay_suppliers(lot_id) == []
    assert marketplace.payouts_of_lot(lot_id) == []
    marketplace.settle_buyers(lot_id)
    assert len(marketplace.pay_suppliers(lot_id)) == 2  # once they have
