"""One ledger entry laid open: the event as stored, its canonical encoding field by field, its
leaf hash recomputed, and the inclusion proof of its receipt step by step (docs/ledger.md).

Read-only: the proof is against the latest checkpoint that already covers the entry (the one
its receipt is made against); a page that shows it signs nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent

from events import LedgerApplication, event_store_tables, merkle, reading, tree
from events.checkpoints import Checkpoint
from events.entries import FORMAT, encode_entry
from marketplace.audit.export import ENVELOPE, as_json
from marketplace.audit.ledger_browse import is_position


@dataclass(frozen=True)
class StoredEntry:
    """The stored event at a ledger position, and its leaf (None if it has none)."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes
    leaf_index: int | None
    leaf_hash: bytes | None

    @property
    def encoded(self) -> bytes:
        return encode_entry(self.position, self.aggregate_id, self.version, self.topic,
                            self.state)

    @property
    def recomputed_hash(self) -> bytes:
        """The leaf hash as anyone recomputes it from the stored event."""
        return merkle.leaf_hash(self.encoded)


@dataclass(frozen=True)
class EncodingField:
    """One field of the canonical encoding: its name, its width, its bytes, what they say."""

    name: str
    width: str
    hex: str | None
    """None for the state (its bytes are UTF-8 JSON, shown as the text they are) and for what
    is hidden."""
    value: str
    hidden: bool = False
    """A sealed entry's state and its length: not shown."""


@dataclass(frozen=True)
class ProofStep:
    """One step up the tree: the sibling hash, on which side, and the hash it makes."""

    number: int
    side: str
    """``left`` (H(0x01 ‖ sibling ‖ hash)) or ``right`` (H(0x01 ‖ hash ‖ sibling))."""
    sibling: str
    result: str


@dataclass(frozen=True)
class Inclusion:
    """The entry's inclusion proof against a checkpoint, worked through."""

    checkpoint: Checkpoint
    steps: list[ProofStep]
    reaches_root: bool


def stored_entry(app: LedgerApplication, position: int) -> StoredEntry | None:
    if not is_position(position):
        return None
    events = event_store_tables(app.name)["events"]
    with reading(app.engine) as connection:
        row = connection.execute(
            sa.select(events.c.originator_id, events.c.originator_version, events.c.topic,
                      events.c.state).where(events.c.id == position)).first()
        leaf = tree.leaf_at(connection, position)
    if row is None:
        return None
    return StoredEntry(position, UUID(str(row[0])), int(row[1]), row[2], bytes(row[3]),
                       None if leaf is None else leaf[0], None if leaf is None else leaf[1])


def decoded_fields(app: LedgerApplication,
                   entry: StoredEntry) -> list[tuple[str, str]] | None:
    """The event's own fields, each as readable text (documents as indented JSON); None when
    the stored bytes no longer decode as their event (they were changed after recording)."""
    try:
        event: Any = app.mapper.to_domain_event(StoredEvent(
            originator_id=entry.aggregate_id, originator_version=entry.version,
            topic=entry.topic, state=entry.state))
        return [(name, _text(value)) for name, value in vars(event).items()
                if name not in ENVELOPE]
    # Changed bytes fail in as many ways as they can be changed (an unknown topic, JSON that
    # is not an event's, a value no transcoding knows); each means the same: unreadable.
    except Exception:
        return None


def _text(value: Any) -> str:
    if value is None or isinstance(value, str | int | float | bool):
        return "–" if value is None else str(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, indent=2, default=as_json)
    return str(as_json(value))


def encoding_fields(entry: StoredEntry, *, sealed: bool) -> list[EncodingField]:
    """The canonical encoding as docs/ledger.md lays it out; a sealed entry's state is left
    out, and its length too: the length of an offer would tell its shape (how many price
    breaks, how many members)."""
    topic = entry.topic.encode("utf-8")
    head = [
        EncodingField("format", "u8", f"{FORMAT:02x}", str(FORMAT)),
        EncodingField("position", "u64", f"{entry.position:016x}", str(entry.position)),
        EncodingField("aggregate id", "16 bytes", entry.aggregate_id.hex,
                      str(entry.aggregate_id)),
        EncodingField("version", "u64", f"{entry.version:016x}", str(entry.version)),
        EncodingField("topic length", "u16", f"{len(topic):04x}", str(len(topic))),
        EncodingField("topic", f"{len(topic)} bytes", topic.hex(), entry.topic),
    ]
    if sealed:
        return [*head, EncodingField("state length", "u32", None, "", hidden=True),
                EncodingField("state", "–", None, "", hidden=True)]
    return [*head,
            EncodingField("state length", "u32", f"{len(entry.state):08x}",
                          str(len(entry.state))),
            EncodingField("state", f"{len(entry.state)} bytes", None,
                          entry.state.decode("utf-8", errors="replace"))]


def inclusion(app: LedgerApplication, entry: StoredEntry) -> Inclusion | None:
    """The proof of the entry's receipt, against the latest checkpoint covering it (None when
    no checkpoint covers it yet)."""
    if entry.leaf_index is None or entry.leaf_hash is None:
        return None
    checkpoint = app.checkpoints.covering(entry.leaf_index)
    if checkpoint is None:
        return None
    with reading(app.engine) as connection:
        proof = tree.inclusion_proof(connection, entry.leaf_index, checkpoint.tree_size)
    steps = inclusion_steps(entry.leaf_hash, entry.leaf_index, checkpoint.tree_size, proof)
    reached = steps[-1].result if steps else entry.leaf_hash.hex()
    return Inclusion(checkpoint, steps, reached == checkpoint.root_hash.hex())


def inclusion_steps(leaf: bytes, index: int, size: int, proof: list[bytes]) -> list[ProofStep]:
    """RFC 9162 §2.1.3.2 worked through: from the leaf, each proof hash joined on its side."""
    steps: list[ProofStep] = []
    fn, sn, hashed = index, size - 1, leaf
    for number, sibling in enumerate(proof, start=1):
        if fn & 1 or fn == sn:
            hashed, side = merkle.node_hash(sibling, hashed), "left"
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            hashed, side = merkle.node_hash(hashed, sibling), "right"
        fn >>= 1
        sn >>= 1
        steps.append(ProofStep(number, side, sibling.hex(), hashed.hex()))
    return steps
