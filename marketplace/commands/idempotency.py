"""Idempotency keys: a request sent again with the same key is answered, not executed, again.

A client that lost the answer to a command (a dropped connection, a timeout) sends the same
request with the same ``Idempotency-Key``: it gets the first answer back and the ledger gets
nothing new. The lookup, the command and the stored answer share one write transaction, and
writers are serialised from their first statement, so two requests racing with one key end
with exactly one effect. A request that fails stores nothing: its key stays unused.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.commands.base import Commands
from marketplace.domain import RuleViolationError
from marketplace.readmodels import idempotency_keys

#: What a keyed request produces when first run: its HTTP status and its response body.
Produce = Callable[[], tuple[int, bytes]]


class IdempotencyKeyReusedError(RuleViolationError):
    """One key stands for one request; another request needs another key."""


@dataclass(frozen=True)
class KeyedResponse:
    status_code: int
    body: bytes
    replayed: bool
    """True when this is the stored answer to an earlier request with the same key."""


class IdempotencyCommands(Commands):
    """Runs a keyed request at most once per (scope, key) and remembers its answer."""

    def once(self, scope: str, key: str, fingerprint: str, produce: Produce) -> KeyedResponse:
        """The stored answer for ``key`` in ``scope``, or ``produce()``'s, stored with it.

        ``fingerprint`` identifies the request (method, path, body); the same key with another
        fingerprint is refused rather than answered with another request's response.
        """
        key_hash = hashlib.sha256(key.encode()).hexdigest()
        with self.transaction() as session:
            connection = session.connection()
            stored = connection.execute(
                sa.select(idempotency_keys.c.request_fingerprint, idempotency_keys.c.status_code,
                          idempotency_keys.c.response_body)
                .where(idempotency_keys.c.scope == scope,
                       idempotency_keys.c.key_hash == key_hash)).one_or_none()
            if stored is not None:
                if stored.request_fingerprint != fingerprint:
                    raise IdempotencyKeyReusedError(
                        "this Idempotency-Key was used with a different request; use a new key")
                body = _unseal(stored.response_body, scope, key)
                return KeyedResponse(stored.status_code, body, replayed=True)
            status_code, body = produce()
            connection.execute(sa.insert(idempotency_keys).values(
                scope=scope, key_hash=key_hash, request_fingerprint=fingerprint,
                status_code=status_code, response_body=_seal(body, scope, key),
                created_at=self.clock()))
            return KeyedResponse(status_code, body, replayed=False)


# A stored answer may hold what must not rest in clear in the database (a registration's API
# token, of which only the hash is kept elsewhere), so it is sealed under the client's key,
# which is itself stored only as its hash: a keystream from SHAKE-256, used for one body only.

def _keystream(length: int, scope: str, key: str) -> int:
    seed = b"kyodo idempotent response\0" + scope.encode() + b"\0" + key.encode()
    return int.from_bytes(hashlib.shake_256(seed).digest(length))


def _seal(body: bytes, scope: str, key: str) -> str:
    sealed = int.from_bytes(body) ^ _keystream(len(body), scope, key)
    return base64.b64encode(sealed.to_bytes(len(body))).decode("ascii")


def _unseal(text: str, scope: str, key: str) -> bytes:
    sealed = base64.b64decode(text)
    return (int.from_bytes(sealed) ^ _keystream(len(sealed), scope, key)).to_bytes(len(sealed))
