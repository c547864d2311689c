"""Checkpoints, receipts and consistency proofs on the real databases."""

from __future__ import annotations

import base64
import copy
import itertools
import json
from datetime import timedelta
from typing import Any

import pytest

from events import SettableClock
from events.checkpoints import Signer
from events.receipts import (
    ReceiptError,
    build_consistency,
    build_receipt,
    check_consistency,
    check_receipt,
)
from marketplace.application import Marketplace
from tests.conftest import LEDGER_SIGNER
from tests.lots_builders import bid_alone, open_lot, register

PREFECTURES = itertools.cycle(["Tochigi", "Gunma"])


def grow(marketplace: Marketplace, count: int) -> int:
    """Adds ``count`` entries (a registration is two: the firm and its first API token)."""
    target = marketplace.position() + count
    while marketplace.position() < target:
        if target - marketplace.position() >= 2:
            register(marketplace, "buyer")
        else:
            firms = marketplace.organisations.search(limit=1)
            if not firms:
                raise AssertionError("one entry more needs a firm to change")
            marketplace.update_organisation_profile(firms[0].id, prefecture=next(PREFECTURES))
    return marketplace.position()


def test_a_checkpoint_signs_every_entry_so_far_and_only_once(marketplace: Marketplace) -> None:
    grow(marketplace, 3)
    first = marketplace.checkpoint("manual")
    again = marketplace.checkpoint("manual")
    grow(marketplace, 2)
    second = marketplace.checkpoint("manual")

    assert first is not None
    assert again is not None
    assert second is not None
    assert first.tree_size == 3
    assert again == first
    assert second.tree_size == 5
    assert second.id > first.id
    first.check_signature(LEDGER_SIGNER.public_key)
    second.check_signature(LEDGER_SIGNER.public_key)
    assert [c.id for c in marketplace.checkpoints.page()] == [second.id, first.id]


def test_without_a_key_no_checkpoint_is_made(migrated_url: str, clock: SettableClock) -> None:
    unsigned = Marketplace(migrated_url, clock=clock)
    grow(unsigned, 2)
    assert unsigned.checkpoint("manual") is None
    assert unsigned.checkpoint_if_due() is None


def test_checkpoints_fall_due_by_count_or_time(marketplace: Marketplace,
                                               clock: SettableClock) -> None:
    marketplace.checkpoint_every_entries, marketplace.checkpoint_every_seconds = 3, 60
    grow(marketplace, 2)
    made = marketplace.checkpoint_if_due()  # the first one is due at once
    grow(marketplace, 2)
    early = marketplace.checkpoint_if_due()
    grow(marketplace, 1)
    by_count = marketplace.checkpoint_if_due()
    grow(marketplace, 1)
    clock.advance(timedelta(seconds=61))
    by_time = marketplace.checkpoint_if_due()
    clock.advance(timedelta(seconds=61))

    assert made is not None
    assert made.tree_size == 2
    assert early is None
    assert by_count is not None
    assert by_count.tree_size == 5
    assert by_time is not None
    assert by_time.tree_size == 6
    assert marketplace.checkpoint_if_due() is None  # nothing new, however long it waits


def test_every_entry_gets_a_receipt_that_checks(marketplace: Marketplace) -> None:
    grow(marketplace, 7)
    for position in range(1, marketplace.position() + 1):
        receipt = json.loads(json.dumps(build_receipt(marketplace, position)))
        checked = check_receipt(receipt, LEDGER_SIGNER.public_key)
        assert checked.position == position
        assert checked.checkpoint.tree_size == 7


def test_a_bid_receipt_against_the_checkpoint_before_the_close(
        marketplace: Marketplace, clock: SettableClock) -> None:
    buyer = register(marketplace, "buyer")
    supplier = register(marketplace, "supplier")
    lot_id = open_lot(marketplace, buyer)
    marketplace.join_lot(supplier, lot_id)
    bid_alone(marketplace, supplier, lot_id)
    bid_position = marketplace.position()
    clock.advance(timedelta(days=30))
    marketplace.close_due_lots()

    receipt = build_receipt(marketplace, bid_position, earliest=True)
    checked = check_receipt(receipt, LEDGER_SIGNER.public_key)

    assert checked.topic.endswith("Lot.BidPlaced")
    assert checked.checkpoint.reason == "before lot close"
    assert checked.checkpoint.tree_size == bid_position
    latest = marketplace.checkpoints.latest()
    assert latest is not None
    assert latest.reason == "lot close"
    assert latest.tree_size == marketplace.position()


@pytest.fixture
def receipt(marketplace: Marketplace) -> dict[str, Any]:
    grow(marketplace, 21)
    return build_receipt(marketplace, 6)


def flip(text: str) -> str:
    """The hex or base64 text with one character changed."""
    replacement = "0" if text[3] != "0" else "1"
    return text[:3] + replacement + text[4:]


MUTATIONS = {
    "entry state": lambda r: r["entry"].__setitem__(
        "state", base64.b64encode(base64.b64decode(r["entry"]["state"]) + b" ").decode()),
    "entry position": lambda r: r["entry"].__setitem__("position", 7),
    "entry version": lambda r: r["entry"].__setitem__("version", r["entry"]["version"] + 1),
    "leaf hash": lambda r: r.__setitem__("leaf_hash", flip(r["leaf_hash"])),
    "leaf index": lambda r: r.__setitem__("leaf_index", r["leaf_index"] + 1),
    "proof node": lambda r: r["inclusion_proof"].__setitem__(1, flip(r["inclusion_proof"][1])),
    "proof node missing": lambda r: r["inclusion_proof"].pop(),
    "proof node extra": lambda r: r["inclusion_proof"].append(r["leaf_hash"]),
    "tree size": lambda r: r["checkpoint"].__setitem__("tree_size", 22),
    "root": lambda r: r["checkpoint"].__setitem__("root_hash", flip(r["checkpoint"]["root_hash"])),
    "time": lambda r: r["checkpoint"].__setitem__("time", "2026-11-20T09:00:01.000000Z"),
    "signature": lambda r: r["checkpoint"].__setitem__(
        "signature", flip(r["checkpoint"]["signature"])),
    "unknown field": lambda r: r.__setitem__("note", "trust me"),
    "upper-case hex": lambda r: r.__setitem__("leaf_hash", r["leaf_hash"].upper()),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_mutated_receipt_is_refused(receipt: dict[str, Any], mutation: str) -> None:
    check_receipt(receipt, LEDGER_SIGNER.public_key)
    mutated = copy.deepcopy(receipt)
    MUTATIONS[mutation](mutated)
    with pytest.raises(ReceiptError):
        check_receipt(mutated, LEDGER_SIGNER.public_key)


def test_garbage_around_a_receipt_is_refused(receipt: dict[str, Any]) -> None:
    text = json.dumps(receipt)
    check_receipt(text)
    for garbage in ("x" + text, text + "x", text + "{}", text[:-1]):
        with pytest.raises(ReceiptError, match="not JSON"):
            check_receipt(garbage)


def test_a_checkpoint_re_signed_with_another_key_is_refused(receipt: dict[str, Any]) -> None:
    impostor = Signer.generate()
    forged = copy.deepcopy(receipt)
    from events.checkpoints import checkpoint_from_json
    body = checkpoint_from_json(forged["checkpoint"]).body()
    forged["checkpoint"]["signature"] = base64.b64encode(impostor.sign(body)).decode()
    forged["checkpoint"]["public_key"] = base64.b64encode(impostor.public_key).decode()
    forged["checkpoint"]["key_id"] = impostor.key_id

    check_receipt(forged)  # it holds for the key it names…
    with pytest.raises(ReceiptError, match="not the trusted key"):
        check_receipt(forged, LEDGER_SIGNER.public_key)  # …but that is not ours


def test_consistency_between_any_two_checkpoints(marketplace: Marketplace) -> None:
    made = []
    for count in (2, 2, 5, 1, 8):
        grow(marketplace, count)
        checkpoint = marketplace.checkpoint("manual")
        assert checkpoint is not None
        made.append(checkpoint)
    for first in made:
        for second in made:
            proof = json.loads(json.dumps(build_consistency(marketplace, first, second)))
            older, newer = check_consistency(proof, LEDGER_SIGNER.public_key)
            assert older.tree_size <= newer.tree_size
    proof = build_consistency(marketplace, made[1], made[3])
    proof["proof"][0] = flip(proof["proof"][0])
    with pytest.raises(ReceiptError):
        check_consistency(proof, LEDGER_SIGNER.public_key)


STRICT_CHECKPOINT = {
    "unknown field in the checkpoint": lambda r: r["checkpoint"].__setitem__("note", "x"),
    "time not canonical": lambda r: r["checkpoint"].__setitem__(
        "time", r["checkpoint"]["time"].replace(".000000Z", ".0Z")),
    "key id of another key": lambda r: r["checkpoint"].__setitem__("key_id", "0" * 16),
    "position past 64 bits": lambda r: r["entry"].__setitem__("position", 2**64),
    "topic too long": lambda r: r["entry"].__setitem__("topic", "x" * 70_000),
    "topic not encodable": lambda r: r["entry"].__setitem__("topic", "\ud800"),
}


@pytest.mark.parametrize("mutation", STRICT_CHECKPOINT)
def test_a_receipt_is_read_strictly(receipt: dict[str, Any], mutation: str) -> None:
    mutated = copy.deepcopy(receipt)
    STRICT_CHECKPOINT[mutation](mutated)
    with pytest.raises(ReceiptError):
        check_receipt(mutated, LEDGER_SIGNER.public_key)


def test_pathological_json_is_refused_in_one_line() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, '{"format": ' + "9" * 5000 + "}"):
        with pytest.raises(ReceiptError):
            check_receipt(text)
        with pytest.raises(ReceiptError):
            check_consistency(text)
