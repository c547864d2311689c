"""Checkpoints: signed tree heads of the ledger (docs/ledger.md, "Checkpoint").

A checkpoint says "the first ``tree_size`` entries of the ledger of ``origin`` have this root
hash", at a time, signed with the deployment's Ed25519 key. The signed message is a short text
in the manner of C2SP's tlog-checkpoint, so that anyone can check it with an Ed25519 library:

    kyodo-checkpoint/1
    <origin>
    <tree size, decimal>
    <root hash, base64>
    <time, RFC 3339 UTC with microseconds>

The public key travels with each checkpoint; whom to trust is the checker's choice: the key
published at /api/v1/ledger/public-key, pinned (``--public-key``) or from the settings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.engine import Connection, Engine

from events.database import reading
from events.integrity_tables import checkpoints as checkpoints_table

BODY_HEADER = "kyodo-checkpoint/1"
#: A checkpoint's JSON fields. ``id`` and ``reason`` are the server's notes, not signed.
CHECKPOINT_FIELDS = frozenset({"id", "origin", "tree_size", "root_hash", "time", "reason",
                               "key_id", "public_key", "signature"})


class CheckpointError(ValueError):
    """A checkpoint that is malformed or whose signature does not hold."""


class Signer:
    """The deployment's Ed25519 signing key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        if len(seed) != 32:
            raise CheckpointError("an Ed25519 private key is a 32-byte seed")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


#: The keys a checker trusts: one, several (across a rotation), or None for the key named.
Trusted = bytes | Iterable[bytes] | None


def trusted_keys(trusted: Trusted) -> frozenset[bytes] | None:
    if trusted is None:
        return None
    return frozenset([trusted]) if isinstance(trusted, bytes) else frozenset(trusted)


def key_id(public_key: bytes) -> str:
    """A public key's short name: the first 8 bytes of its SHA-256, in hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    id: int
    origin: str
    tree_size: int
    root_hash: bytes
    made_at: datetime
    public_key: bytes
    signature: bytes
    reason: str

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def body(self) -> bytes:
        return signed_body(self.origin, self.tree_size, self.root_hash, self.made_at)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "time": rfc3339(self.made_at),
            "reason": self.reason,
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_key).decode(),
            "signature": base64.b64encode(self.signature).decode(),
        }

    def check_signature(self, trusted: Trusted = None) -> None:
        """Raises CheckpointError unless the signature holds (for a ``trusted`` key, if any
        is given — one, or several across a key rotation — else for the key it names)."""
        keys = trusted_keys(trusted)
        if keys is not None and self.public_key not in keys:
            names = ", ".join(sorted(key_id(key) for key in keys))
            raise CheckpointError(
                f"checkpoint of {self.tree_size} entries is signed with key {self.key_id}, "
                f"not the trusted key {names}")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(self.signature,
                                                                      self.body())
        except (InvalidSignature, ValueError):
            raise CheckpointError(f"the signature of the checkpoint of {self.tree_size} "
                                  f"entries does not hold for key {self.key_id}") from None


def signed_body(origin: str, tree_size: int, root_hash: bytes, made_at: datetime) -> bytes:
    root = base64.b64encode(root_hash).decode()
    return f"{BODY_HEADER}\n{origin}\n{tree_size}\n{root}\n{rfc3339(made_at)}\n".encode()


def rfc3339(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("a checkpoint's time is timezone-aware")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def checkpoint_from_json(document: Any) -> Checkpoint:
    """A checkpoint as published; raises CheckpointError naming the first field that is wrong.
    (The signature is not checked here: call ``check_signature``.)"""
    if not isinstance(document, dict):
        raise CheckpointError("a checkpoint is a JSON object")
    missing, extra = CHECKPOINT_FIELDS - document.keys(), document.keys() - CHECKPOINT_FIELDS
    if missing or extra:
        raise CheckpointError(f"a checkpoint has exactly the fields {sorted(CHECKPOINT_FIELDS)}"
                              f" (missing {sorted(missing)}, unknown {sorted(extra)})")
    reader = _Fields(document, "checkpoint")
    made_at_text = reader.text("time")
    try:
        made_at = datetime.strptime(made_at_text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        made_at = None
    if made_at is None or rfc3339(made_at) != made_at_text:
        raise CheckpointError(f"checkpoint time {made_at_text!r} is not RFC 3339 UTC with "
                              "microseconds (2026-11-21T03:00:00.000000Z)")
    checkpoint = Checkpoint(
        id=reader.integer("id"), origin=reader.text("origin"),
        tree_size=reader.integer("tree_size"), root_hash=reader.hex_hash("root_hash"),
        made_at=made_at, public_key=reader.base64("public_key", 32),
        signature=reader.base64("signature", 64), reason=reader.text("reason"))
    if document["key_id"] != checkpoint.key_id:
        raise CheckpointError("checkpoint key_id does not name its public key")
    return checkpoint


class _Fields:
    """Strict reading of a JSON object's fields for proofs: exact types, exact lengths."""

    def __init__(self, document: dict[str, Any], what: str) -> None:
        self.document, self.what = document, what

    def _get(self, name: str) -> Any:
        if name not in self.document:
            raise CheckpointError(f"{self.what} has no {name!r}")
        return self.document[name]

    def integer(self, name: str) -> int:
        value = self._get(name)
        if type(value) is not int or value < 0:
            raise CheckpointError(f"{self.what} {name!r} is not a whole number ≥ 0")
        return value

    def text(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str):
            raise CheckpointError(f"{self.what} {name!r} is not text")
        return value

    def hex_hash(self, name: str) -> bytes:
        return hex_hash(self._get(name), f"{self.what} {name!r}")

    def base64(self, name: str, length: int) -> bytes:
        value = self.text(name)
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointError(f"{self.what} {name!r} is not base64") from None
        if len(decoded) != length or base64.b64encode(decoded).decode() != value:
            raise CheckpointError(f"{self.what} {name!r} is not {length} bytes in base64")
        return decoded


def hex_hash(value: Any, what: str) -> bytes:
    """A SHA-256 hash written as 64 lower-case hex digits, and nothing else."""
    if (not isinstance(value, str) or len(value) != 64
            or value.strip("0123456789abcdef") != ""):
        raise CheckpointError(f"{what} is not a SHA-256 hash in 64 lower-case hex digits")
    return bytes.fromhex(value)


class Checkpoints:
    """Reading the checkpoints table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def latest(self, connection: Connection | None = None) -> Checkpoint | None:
        query = sa.select(checkpoints_table).order_by(checkpoints_table.c.tree_size.desc(),
                                                      checkpoints_table.c.id.desc()).limit(1)
        return self._one(query, connection)

    def get(self, checkpoint_id: int) -> Checkpoint | None:
        return self._one(sa.select(checkpoints_table).where(
            checkpoints_table.c.id == checkpoint_id), None)

    def covering(self, leaf_index: int, *, earliest: bool = False) -> Checkpoint | None:
        """The latest checkpoint (or the earliest, for proving an entry was there early)
        whose tree holds leaf ``leaf_index``."""
        order = (checkpoints_table.c.tree_size.asc() if earliest
                 else checkpoints_table.c.tree_size.desc())
        return self._one(sa.select(checkpoints_table)
                         .where(checkpoints_table.c.tree_size > leaf_index)
                         .order_by(order, checkpoints_table.c.id).limit(1), None)

    def page(self, *, before_id: int | None = None, limit: int = 50) -> list[Checkpoint]:
        """Newest first; ``before_id`` continues a page."""
        query = sa.select(checkpoints_table).order_by(checkpoints_table.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(checkpoints_table.c.id < before_id)
        with reading(self.engine) as connection:
            return [checkpoint_of(row) for row in connection.execute(query)]

    def count(self) -> int:
        with reading(self.engine) as connection:
            return int(connection.execute(
                sa.select(sa.func.count()).select_from(checkpoints_table)).scalar_one())

    def _one(self, query: Any, connection: Connection | None) -> Checkpoint | None:
        if connection is not None:
            row = connection.execute(query).first()
        else:
            with reading(self.engine) as fresh:
                row = fresh.execute(query).first()
        return None if row is None else checkpoint_of(row)


def checkpoint_of(row: Any) -> Checkpoint:
    """A checkpoint from its row in the table."""
    made_at = row.made_at if row.made_at.tzinfo else row.made_at.replace(tzinfo=UTC)
    return Checkpoint(id=row.id, origin=row.origin, tree_size=row.tree_size,
                      root_hash=bytes(row.root_hash), made_at=made_at,
                      public_key=bytes(row.public_key), signature=bytes(row.signature),
                      reason=row.reason)
