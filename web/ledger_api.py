"""The ledger's public JSON: its checkpoints, its public key and consistency proofs.

Public on purpose: a checkpoint says nothing of any entry but the tree's size and root, and
the more parties keep copies of them, the less the operator can rewrite history unseen
(docs/ledger.md). Receipts, which carry an entry, are in web/receipts_api.py.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from events.checkpoints import Checkpoint
from events.receipts import build_consistency
from marketplace.application import Marketplace
from marketplace.domain import NotFoundError, RuleViolationError
from web.auth import public

PAGE_LIMIT = 100


class CheckpointNotFoundError(NotFoundError):
    """There is no checkpoint with that id."""


class NoSigningKeyError(NotFoundError):
    """This deployment signs no checkpoints: it has no ledger signing key."""


class SameCheckpointError(RuleViolationError):
    """A consistency proof is between two different checkpoints."""


class CheckpointView(msgspec.Struct):
    """A signed tree head: the first ``tree_size`` entries have the root ``root_hash``."""

    id: int
    origin: str
    tree_size: int
    root_hash: str
    time: str
    reason: str
    key_id: str
    public_key: str
    signature: str


class CheckpointPage(msgspec.Struct):
    checkpoints: list[CheckpointView]
    next_before: int | None
    """Pass as ``before`` for the next (older) page; null on the last."""


class PublicKeyView(msgspec.Struct):
    algorithm: str
    public_key: str
    """Base64 of the 32-byte Ed25519 public key."""
    key_id: str
    origin: str


class ConsistencyView(msgspec.Struct):
    format: str
    first: CheckpointView
    second: CheckpointView
    proof: list[str]


#: Ids fit a 64-bit column; a larger one is a 400, not a database error.
MAX_ID = 2**62
Limit = Annotated[int, QueryParameter(ge=1, le=PAGE_LIMIT)]
CheckpointId = Annotated[int, QueryParameter(ge=1, le=MAX_ID)]


class LedgerController(Controller):
    path = "/api/v1/ledger"
    tags = ("ledger",)

    @get("/checkpoints", sync_to_thread=True, opt=public())
    def list_checkpoints(self, marketplace: NamedDependency[Marketplace],
                         before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
                         limit: Limit = 50) -> CheckpointPage:
        """The signed checkpoints, newest first."""
        found = marketplace.checkpoints.page(before_id=before, limit=limit + 1)
        more = len(found) > limit
        found = found[:limit]
        return CheckpointPage([view(c) for c in found],
                              next_before=found[-1].id if more and found else None)

    @get("/checkpoints/latest", sync_to_thread=True, opt=public())
    def latest_checkpoint(self, marketplace: NamedDependency[Marketplace]) -> CheckpointView:
        """The checkpoint over the most entries."""
        latest = marketplace.checkpoints.latest()
        if latest is None:
            raise CheckpointNotFoundError("no checkpoint has been signed yet")
        return view(latest)

    @get("/checkpoints/{checkpoint_id:int}", sync_to_thread=True, opt=public())
    def get_checkpoint(self, marketplace: NamedDependency[Marketplace],
                       checkpoint_id: FromPath[int]) -> CheckpointView:
        """One checkpoint."""
        return view(_checkpoint(marketplace, checkpoint_id))

    @get("/public-key", sync_to_thread=False, opt=public())
    def public_key(self, marketplace: NamedDependency[Marketplace]) -> PublicKeyView:
        """The key that signs this ledger's checkpoints: pin it when you check receipts."""
        if marketplace.signer is None:
            raise NoSigningKeyError("this deployment has no ledger signing key")
        return PublicKeyView("Ed25519", base64.b64encode(marketplace.signer.public_key).decode(),
                             marketplace.signer.key_id, marketplace.origin)

    @get("/consistency", sync_to_thread=True, opt=public())
    def consistency(self, marketplace: NamedDependency[Marketplace], first: CheckpointId,
                    second: CheckpointId) -> ConsistencyView:
        """The proof that the later of two checkpoints only appended to the earlier (RFC
        9162 §2.1.4); check it with `marketplace audit check-consistency FILE`."""
        if first == second:
            raise SameCheckpointError("give two different checkpoint ids")
        document: dict[str, Any] = build_consistency(
            marketplace, _checkpoint(marketplace, first), _checkpoint(marketplace, second))
        return msgspec.convert(document, ConsistencyView)


def view(checkpoint: Checkpoint) -> CheckpointView:
    return msgspec.convert(checkpoint.as_json(), CheckpointView)


def _checkpoint(marketplace: Marketplace, checkpoint_id: int) -> Checkpoint:
    found = (marketplace.checkpoints.get(checkpoint_id) if 0 < checkpoint_id <= MAX_ID
             else None)
    if found is None:
        raise CheckpointNotFoundError(f"no checkpoint has id {checkpoint_id}")
    return found
