"""The canonical encoding of a ledger entry: the bytes its leaf hash is taken over.

An entry is the stored event exactly as the event store holds it, with its ledger position.
Fixed-width big-endian integers and length-prefixed strings, so that no two entries encode
alike and anyone can re-encode one with nothing but a byte buffer (docs/ledger.md, "Entry"):

    u8 format (1) ‖ u64 position ‖ 16-byte aggregate UUID ‖ u64 version
    ‖ u16 topic length ‖ topic (UTF-8) ‖ u32 state length ‖ state (the stored bytes)
"""

from __future__ import annotations

import struct
from hashlib import sha256
from uuid import UUID

FORMAT = 1
_HEAD = struct.Struct(">BQ16sQH")
_LENGTH = struct.Struct(">I")


def encode_entry(position: int, aggregate_id: UUID, version: int, topic: str,
                 state: bytes) -> bytes:
    encoded_topic = topic.encode("utf-8")
    return b"".join((_HEAD.pack(FORMAT, position, aggregate_id.bytes, version,
                                len(encoded_topic)),
                     encoded_topic, _LENGTH.pack(len(state)), state))


def entry_hash(position: int, aggregate_id: UUID, version: int, topic: str,
               state: bytes) -> bytes:
    """The entry's leaf hash in the ledger's Merkle tree: leaf_hash(encode_entry(…)), fed to
    SHA-256 piece by piece (verify hashes every entry; this saves it the copies)."""
    encoded_topic = topic.encode("utf-8")
    hasher = sha256(b"\x00")
    hasher.update(_HEAD.pack(FORMAT, position, aggregate_id.bytes, version, len(encoded_topic)))
    hasher.update(encoded_topic)
    hasher.update(_LENGTH.pack(len(state)))
    hasher.update(state)
    return hasher.digest()
