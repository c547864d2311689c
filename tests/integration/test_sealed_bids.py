"""Sealed bids made provable: each bid's commitment is on the ledger under a checkpoint signed
before the close, and after the close every revealed bid is checked against it."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import timedelta
from uuid import uuid4

import pytest

from events import SettableClock
from events.checkpoints import Signer
from marketplace.application import LotNotFoundError, Marketplace
from marketplace.audit.bid_commitments import (
    BidsStillSealedError,
    PublicCommitment,
    check_bid_commitments,
    public_commitments,
)
from marketplace.audit.lot_entries import leaves_at
from marketplace.domain.lot import Lot
from tests.lots_builders import OPEN_FOR
from tests.sealed_bids import (
    a_lot_with_bids,
    close_on_time,
    closed_entry,
    edit_stored_state,
    store_as_before_commitments,
)


def test_every_bid_of_a_lot_closed_on_time_holds_under_the_checkpoint_signed_before_its_close(
        marketplace: Marketplace, clock: SettableClock) -> None:
    lot = a_lot_with_bids(marketplace)

    close_on_time(marketplace, clock, lot.lot_id)
    checks = check_bid_commitments(marketplace, lot.lot_id)

    closed = closed_entry(marketplace, lot.lot_id)
    close_leaf = leaves_at(marketplace, [closed.position])[closed.position][0]
    assert [(c.bid_id, c.revised) for c in checks] == [
        (lot.revised, False), (lot.revised, True), (lot.consortium, False),
        (lot.withdrawn, False)]
    assert [c.verdict for c in checks] == ["ok"] * 4, [c.message for c in checks]
    assert [c.used_in_clearing for c in checks] == [False, True, True, False]
    assert all(c.checkpoint is not None and c.checkpoint.reason == "before lot close"
               and c.checkpoint.tree_size <= close_leaf for c in checks)
    assert "the clearing used these terms" in checks[1].message


def test_a_bid_edited_in_the_database_after_the_close_fails_naming_its_position(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str) -> None:
    lot = a_lot_with_bids(marketplace)
    close_on_time(marketplace, clock, lot.lot_id)
    revision = lot.entry(Lot.BidRevised)

    edit_stored_state(migrated_url, revision.position, '"_data_":"1800"', '"_data_":"1900"')
    checks = check_bid_commitments(marketplace, lot.lot_id)

    failed = [c for c in checks if c.verdict == "failed"]
    assert [c.position for c in failed] == [revision.position]
    assert failed[0].problems == ("revealed", "entry")
    assert "changed after it was recorded" in failed[0].message
    assert [c.verdict for c in checks if c not in failed] == ["ok"] * 3


def test_a_clearing_input_edited_after_the_close_fails_the_bid_it_misstates(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str) -> None:
    lot = a_lot_with_bids(marketplace)
    close_on_time(marketplace, clock, lot.lot_id)
    revision = lot.entry(Lot.BidRevised)

    edit_stored_state(migrated_url, lot.entry(Lot.Allocated).position,
                      '"capacity":"1800"', '"capacity":"1900"')
    checks = check_bid_commitments(marketplace, lot.lot_id)

    assert [(c.position, c.problems) for c in checks if c.verdict == "failed"] == [
        (revision.position, ("clearing",))]


def test_a_bid_entry_garbled_beyond_reading_fails_without_stopping_the_check(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str) -> None:
    lot = a_lot_with_bids(marketplace)
    close_on_time(marketplace, clock, lot.lot_id)
    withdrawn = lot.entry(Lot.BidPlaced, 2)

    edit_stored_state(migrated_url, withdrawn.position, '{"timestamp":', '{"timestamp"')
    checks = check_bid_commitments(marketplace, lot.lot_id)

    assert [(c.position, c.bid_id, c.problems) for c in checks if c.verdict == "failed"] == [
        (withdrawn.position, None, ("unreadable", "entry"))]


def test_checkpoints_checked_against_another_key_fail_every_bid(
        marketplace: Marketplace, clock: SettableClock) -> None:
    lot = a_lot_with_bids(marketplace)
    close_on_time(marketplace, clock, lot.lot_id)

    checks = check_bid_commitments(marketplace, lot.lot_id,
                                   trusted_key=Signer.generate().public_key)

    assert {(c.verdict, c.problems) for c in checks} == {("failed", ("signature",))}


def test_a_checkpoint_signed_only_after_the_close_leaves_the_bids_unproven(
        marketplace: Marketplace, clock: SettableClock) -> None:
    lot = a_lot_with_bids(marketplace)
    clock.advance(OPEN_FOR + timedelta(hours=1))

    marketplace.close_lot(lot.lot_id)  # not the served round: no checkpoint before the close
    marketplace.checkpoint("manual")
    checks = check_bid_commitments(marketplace, lot.lot_id)

    assert {(c.verdict, c.problems) for c in checks} == {("unproven", ("no_checkpoint",))}
    assert all(c.checkpoint is None for c in checks)


def test_a_bid_stored_before_commitments_existed_still_loads_and_is_unproven(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str) -> None:
    lot = a_lot_with_bids(marketplace)
    consortium = lot.entry(Lot.BidPlaced, 1)
    store_as_before_commitments(marketplace, consortium)
    fresh = Marketplace(migrated_url, clock=clock, signer=marketplace.signer)

    reloaded = fresh.repository.get(lot.lot_id)
    before = public_commitments(fresh, lot.lot_id)
    close_on_time(fresh, clock, lot.lot_id)
    checks = {c.position: c for c in check_bid_commitments(fresh, lot.lot_id)}

    assert lot.consortium in reloaded.bids
    assert [c.commitment is None for c in before] == [False, False, True, False]
    assert checks.pop(consortium.position).problems == ("no_commitment",)
    assert {c.verdict for c in checks.values()} == {"ok"}


def test_the_bids_stay_sealed_until_the_close_is_recorded(
        marketplace: Marketplace, clock: SettableClock) -> None:
    lot = a_lot_with_bids(marketplace)
    cancelled = a_lot_with_bids(marketplace)
    marketplace.cancel_lot(cancelled.firms.buyers[0], cancelled.lot_id, reason="no longer needed")

    with pytest.raises(BidsStillSealedError, match="has not closed"):
        check_bid_commitments(marketplace, lot.lot_id)
    clock.advance(OPEN_FOR + timedelta(hours=1))  # past its close time, not yet recorded
    with pytest.raises(BidsStillSealedError, match="has not closed"):
        check_bid_commitments(marketplace, lot.lot_id)
    with pytest.raises(BidsStillSealedError, match="was cancelled"):
        check_bid_commitments(marketplace, cancelled.lot_id)
    with pytest.raises(LotNotFoundError):
        check_bid_commitments(marketplace, uuid4())
    with pytest.raises(LotNotFoundError):
        public_commitments(marketplace, uuid4())


def test_public_commitments_before_the_close_show_hashes_and_times_but_no_supplier_or_terms(
        marketplace: Marketplace) -> None:
    lot = a_lot_with_bids(marketplace)

    before = public_commitments(marketplace, lot.lot_id)
    marketplace.checkpoint("manual")
    after = public_commitments(marketplace, lot.lot_id)

    shown = repr(before)
    hidden = [*lot.firms.suppliers, lot.revised, lot.consortium, lot.withdrawn]
    assert {f.name for f in fields(PublicCommitment)} == {
        "position", "recorded_at", "commitment", "covered"}
    assert len(before) == 4
    assert all(c.commitment is not None and len(c.commitment) == 64 for c in before)
    assert not [i for i in hidden if str(i) in shown or i.hex in shown]
    # A commitment is a random-looking hash that may hold any digits; the
    # terms must not show anywhere else.
    beside_hashes = repr([replace(c, commitment="") for c in before])
    assert "1800" not in beside_hashes
    assert "Decimal" not in shown
    assert [c.covered for c in before] == [False] * 4
    assert [c.covered for c in after] == [True] * 4
