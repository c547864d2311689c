"""Receipts and consistency proofs: what a party keeps to prove the ledger holds its entry,
and what anyone checks to see the ledger was only ever appended to (docs/ledger.md).

A receipt is a JSON file: the entry as stored, its leaf index and hash, an inclusion proof and
the signed checkpoint the proof leads to. Checking one needs nothing but SHA-256 and Ed25519,
and nothing from us: ``check_receipt`` is the reference, and docs/ledger.md the algorithm.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from events import merkle, tree
from events.checkpoints import (
    Checkpoint,
    CheckpointError,
    Trusted,
    checkpoint_from_json,
    hex_hash,
    rfc3339,
)
from events.database import reading
from events.entries import entry_hash
from events.ledger import LedgerApplication
from events.store import event_store_tables

RECEIPT_FORMAT = "kyodo-receipt/1"
CONSISTENCY_FORMAT = "kyodo-consistency/1"
#: Receipts and proofs are small; a file much larger is not one of ours.
MAX_DOCUMENT_BYTES = 1_000_000


class ReceiptError(ValueError):
    """A receipt or proof that does not hold; the message says what is wrong."""


class NoSuchEntryError(LookupError):
    """There is no ledger entry at that position."""


class NoCheckpointError(LookupError):
    """No signed checkpoint covers the entry, and this server has no key to sign one."""


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt proved."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    leaf_index: int
    checkpoint: Checkpoint


def build_receipt(app: LedgerApplication, position: int, *, earliest: bool = False
                  ) -> dict[str, Any]:
    """The receipt of the entry at ``position`` against the latest checkpoint (or the
    earliest that covers it); signs a new checkpoint first if none covers it yet."""
    events = event_store_tables(app.name)["events"]
    with reading(app.engine) as connection:
        row = connection.execute(
            sa.select(events.c.originator_id, events.c.originator_version, events.c.topic,
                      events.c.state).where(events.c.id == position)).first()
        leaf = tree.leaf_at(connection, position)
    if row is None or leaf is None:
        raise NoSuchEntryError(f"the ledger has no entry at position {position}")
    leaf_index, leaf_hash = leaf
    checkpoint = app.checkpoints.covering(leaf_index, earliest=earliest)
    if checkpoint is None:
        checkpoint = app.checkpoint("receipt")
    if checkpoint is None or checkpoint.tree_size <= leaf_index:
        raise NoCheckpointError("no signed checkpoint covers this entry yet, and this server "
                                "has no signing key (MARKETPLACE_LEDGER_KEY)")
    with reading(app.engine) as connection:
        proof = tree.inclusion_proof(connection, leaf_index, checkpoint.tree_size)
    return {
        "format": RECEIPT_FORMAT,
        "entry": {"position": position, "aggregate_id": str(row[0]), "version": row[1],
                  "topic": row[2], "state": base64.b64encode(bytes(row[3])).decode()},
        "leaf_index": leaf_index,
        "leaf_hash": leaf_hash.hex(),
        "inclusion_proof": [node.hex() for node in proof],
        "checkpoint": checkpoint.as_json(),
    }


def check_receipt(document: Any, trusted_key: Trusted = None) -> ReceiptCheck:
    """Checks a receipt (parsed JSON, or its text or bytes): the entry hashes to the leaf, the
    proof leads from the leaf to the checkpoint's root, and the checkpoint's signature holds
    (for ``trusted_key`` when given). Raises ReceiptError naming what does not hold."""
    document = _parse(document)
    _exact_fields(document, {"format", "entry", "leaf_index", "leaf_hash", "inclusion_proof",
                             "checkpoint"}, "receipt")
    if document["format"] != RECEIPT_FORMAT:
        raise ReceiptError(f"not a receipt of format {RECEIPT_FORMAT!r}")
    entry = document["entry"]
    if not isinstance(entry, dict):
        raise ReceiptError("the receipt's entry is not an object")
    _exact_fields(entry, {"position", "aggregate_id", "version", "topic", "state"}, "entry")
    position, version = _whole(entry, "position"), _whole(entry, "version")
    leaf_index = _whole(document, "leaf_index")
    try:
        aggregate_id = UUID(entry["aggregate_id"])
        state = base64.b64decode(entry["state"], validate=True)
    except (TypeError, ValueError, AttributeError, binascii.Error):
        raise ReceiptError("the entry's aggregate_id or state is malformed") from None
    if not isinstance(entry["topic"], str) or str(aggregate_id) != entry["aggregate_id"]:
        raise ReceiptError("the entry's aggregate_id or topic is malformed")
    try:
        leaf = hex_hash(document["leaf_hash"], "the receipt's leaf_hash")
        checkpoint = checkpoint_from_json(document["checkpoint"])
        proof = _hashes(document["inclusion_proof"], "inclusion_proof")
    except CheckpointError as error:
        raise ReceiptError(str(error)) from None
    try:
        hashed = entry_hash(position, aggregate_id, version, entry["topic"], state)
    except (struct.error, UnicodeEncodeError, OverflowError, ValueError):
        raise ReceiptError("the entry's position, version or topic is outside what an entry "
                           "can hold") from None
    if hashed != leaf:
        raise ReceiptError(f"the entry at position {position} does not hash to the receipt's "
                           "leaf hash")
    try:
        merkle.verify_inclusion(leaf, leaf_index, checkpoint.tree_size, proof,
                                checkpoint.root_hash)
        checkpoint.check_signature(trusted_key)
    except (merkle.ProofError, CheckpointError) as error:
        raise ReceiptError(str(error)) from None
    return ReceiptCheck(position, aggregate_id, version, entry["topic"], leaf_index, checkpoint)


def build_consistency(app: LedgerApplication, first: Checkpoint, second: Checkpoint
                      ) -> dict[str, Any]:
    """The proof that ``second``'s tree extends ``first``'s (either order given)."""
    if first.tree_size > second.tree_size:
        first, second = second, first
    with reading(app.engine) as connection:
        proof = tree.consistency_proof(connection, first.tree_size, second.tree_size)
    return {"format": CONSISTENCY_FORMAT, "first": first.as_json(),
            "second": second.as_json(), "proof": [node.hex() for node in proof]}


def check_consistency(document: Any, trusted_key: Trusted = None
                      ) -> tuple[Checkpoint, Checkpoint]:
    """Checks both checkpoints' signatures and the proof between them."""
    document = _parse(document)
    _exact_fields(document, {"format", "first", "second", "proof"}, "consistency proof")
    if document["format"] != CONSISTENCY_FORMAT:
        raise ReceiptError(f"not a consistency proof of format {CONSISTENCY_FORMAT!r}")
    try:
        first = checkpoint_from_json(document["first"])
        second = checkpoint_from_json(document["second"])
        proof = _hashes(document["proof"], "proof")
        first.check_signature(trusted_key)
        second.check_signature(trusted_key)
        if first.origin != second.origin:
            raise ReceiptError("the two checkpoints are of different ledgers")
        merkle.verify_consistency(first.tree_size, second.tree_size, first.root_hash,
                                  second.root_hash, proof)
    except (merkle.ProofError, CheckpointError) as error:
        raise ReceiptError(str(error)) from None
    return first, second


def _parse(document: Any) -> dict[str, Any]:
    if isinstance(document, bytes | str):
        if len(document) > MAX_DOCUMENT_BYTES:
            raise ReceiptError("the file is too large to be a receipt or proof")
        try:
            document = json.loads(document)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ReceiptError(f"not JSON: {error}") from None
        except (RecursionError, ValueError):
            raise ReceiptError("not JSON a receipt or proof could be: nested too deep or a "
                               "number too long") from None
    if not isinstance(document, dict):
        raise ReceiptError("a receipt or proof is a JSON object")
    return document


def _exact_fields(document: dict[str, Any], names: set[str], what: str) -> None:
    missing, extra = names - document.keys(), document.keys() - names
    if missing:
        raise ReceiptError(f"the {what} has no {', '.join(sorted(missing))}")
    if extra:
        raise ReceiptError(f"the {what} has unknown fields: {', '.join(sorted(extra))}")


def _whole(document: dict[str, Any], name: str) -> int:
    value = document[name]
    if type(value) is not int or value < 0:
        raise ReceiptError(f"{name} is not a whole number ≥ 0")
    return value


def _hashes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list):
        raise CheckpointError(f"{what} is not a list of hashes")
    return [hex_hash(value, f"a hash of {what}") for value in values]


__all__ = ["ReceiptCheck", "ReceiptError", "build_consistency", "build_receipt",
           "check_consistency", "check_receipt", "rfc3339"]
