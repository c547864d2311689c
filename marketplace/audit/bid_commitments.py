"""Sealed bids made provable (docs/sealed-bids.md): each bid's commitment is on the ledger
under a checkpoint signed before the close; after the close, the revealed bid is checked
against it.

Before the close only ``public_commitments`` answers: per bid entry, its commitment, its
position and time, and whether a signed checkpoint covers it yet; nothing of who bid or what.
After the close ``check_bid_commitments`` checks every bid entry (placed or revised):

1. its revealed terms and salt hash to its commitment;
2. the entry as stored still hashes to its leaf in the ledger's Merkle tree;
3. the earliest checkpoint that covers it was signed before the close was recorded (its tree
   ends before the Closed entry's leaf), its signature holds, and the inclusion proof leads
   from the entry to that checkpoint's root;
4. for the terms that stood at close, the terms the clearing used (the input document of
   ``Lot.Allocated``) hash to the commitment as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from events import LedgerApplication, merkle, reading, tree
from events.checkpoints import Checkpoint, CheckpointError
from events.entries import entry_hash
from marketplace.audit.lot_entries import (
    BID_EVENTS,
    LotEntry,
    UnreadableEntryError,
    leaves_at,
    lot_entries,
)
from marketplace.commands.base import LotNotFoundError
from marketplace.domain.bid_commitment import bid_commitment
from marketplace.domain.errors import RuleViolationError
from marketplace.domain.lot import Lot

Verdict = Literal["ok", "failed", "unproven"]

#: What can be wrong with a bid entry, as the command line says it (the pages translate each).
PROBLEMS = {
    "unreadable": "its stored entry can no longer be read as a bid",
    "no_commitment": "it was recorded before bids carried commitments, so it cannot be checked",
    "revealed": "its revealed terms and salt do not hash to its commitment",
    "entry": "the stored entry no longer matches its leaf hash: it was changed after it was "
             "recorded",
    "no_checkpoint": "no checkpoint signed before the close covers it",
    "signature": "the signature of the checkpoint that covers it does not hold for the "
                 "trusted key",
    "proof": "its inclusion proof does not lead to the root of the checkpoint that covers it",
    "clearing": "the terms the clearing used do not hash to its commitment",
}
#: The problems that show something was changed; the others leave the bid unproven.
FAILURES = frozenset({"unreadable", "revealed", "entry", "signature", "proof", "clearing"})
_ROUND_EVENTS = (Lot.Opened, Lot.Cancelled, Lot.Closed, Lot.Allocated)


class BidsStillSealedError(RuleViolationError):
    """A lot's bids stay sealed until its close is recorded."""


@dataclass(frozen=True)
class PublicCommitment:
    """A bid entry as anyone who may see the lot sees it before the close."""

    position: int
    recorded_at: datetime | None
    commitment: str | None
    """None for a bid recorded before bids carried commitments."""
    covered: bool
    """Whether a signed checkpoint covers the entry yet."""


@dataclass(frozen=True)
class CommitmentCheck:
    """The check of one bid entry after the close."""

    position: int
    bid_id: UUID | None
    """None when the entry can no longer be read."""
    revised: bool
    recorded_at: datetime | None
    commitment: str | None
    checkpoint: Checkpoint | None
    """The earliest checkpoint signed before the close that covers the entry."""
    used_in_clearing: bool
    """Whether these are the terms that stood at close and went into the clearing."""
    problems: tuple[str, ...]

    @property
    def verdict(self) -> Verdict:
        if FAILURES.intersection(self.problems):
            return "failed"
        return "unproven" if self.problems else "ok"

    @property
    def message(self) -> str:
        if self.problems:
            return "; ".join(PROBLEMS[problem] for problem in self.problems)
        checkpoint = self.checkpoint
        assert checkpoint is not None  # noqa: S101 (no problem means a checkpoint was found)
        made_at = checkpoint.made_at.astimezone(UTC)
        return (f"its terms hash to commitment {self.commitment}, held by checkpoint "
                f"#{checkpoint.id} of {checkpoint.tree_size} entries signed "
                f"{made_at:%Y-%m-%d %H:%M:%S} UTC, before the close"
                + ("; the clearing used these terms" if self.used_in_clearing else ""))


def public_commitments(app: LedgerApplication, lot_id: UUID,
                       entries: Sequence[LotEntry] | None = None) -> list[PublicCommitment]:
    """Every bid entry's commitment, position, time and whether a checkpoint covers it yet;
    ``entries``, when given, are the lot's entries already read (its bid entries among them)."""
    if entries is None:
        entries = lot_entries(app, lot_id, (Lot.Opened, *BID_EVENTS))
        if not any(entry.is_a(Lot.Opened) for entry in entries):
            raise LotNotFoundError(f"no lot has id {lot_id}")
    bids = [entry for entry in entries if entry.is_a(*BID_EVENTS)]
    leaves = leaves_at(app, [entry.position for entry in bids])
    latest = app.checkpoints.latest()
    covered = 0 if latest is None else latest.tree_size
    found = []
    for entry in bids:
        try:
            recorded_at, commitment = entry.event.timestamp, _commitment(entry.event)
        except UnreadableEntryError:
            recorded_at = commitment = None
        leaf = leaves.get(entry.position)
        found.append(PublicCommitment(entry.position, recorded_at, commitment,
                                      leaf is not None and leaf[0] < covered))
    return found


def check_bid_commitments(app: LedgerApplication, lot_id: UUID, *,
                          trusted_key: bytes | None = None) -> list[CommitmentCheck]:
    """Checks every bid entry of a closed lot, in ledger order. Checkpoints are checked
    against ``trusted_key``, by default this deployment's key, else the key each names.
    Raises LotNotFoundError, or BidsStillSealedError before the close is recorded."""
    entries = lot_entries(app, lot_id, (*_ROUND_EVENTS, *BID_EVENTS))
    kinds = {type(entry.event) for entry in entries if entry.is_a(*_ROUND_EVENTS)}
    if Lot.Opened not in kinds:
        raise LotNotFoundError(f"no lot has id {lot_id}")
    closed = next((entry for entry in entries if entry.is_a(Lot.Closed)), None)
    if closed is None:
        why = "was cancelled" if Lot.Cancelled in kinds else "has not closed"
        raise BidsStillSealedError(
            f"lot {lot_id} {why}: its bids stay sealed until its close is recorded")
    if trusted_key is None and app.signer is not None:
        trusted_key = app.signer.public_key
    bids = [entry for entry in entries if entry.is_a(*BID_EVENTS)]
    allocated = next((entry.event for entry in entries if entry.is_a(Lot.Allocated)), None)
    checker = _Checker(app, lot_id, closed, bids, allocated, trusted_key)
    return [checker.check(entry) for entry in bids]


class _Checker:
    """What the checks of one lot's bid entries share: leaves, leads, the close, the input."""

    def __init__(self, app: LedgerApplication, lot_id: UUID, closed: LotEntry,
                 bids: list[LotEntry], allocated: Any, trusted_key: bytes | None) -> None:
        self.app, self.lot_id, self.trusted_key = app, lot_id, trusted_key
        self.leaves = leaves_at(app, [entry.position for entry in bids] + [closed.position])
        close_leaf = self.leaves.get(closed.position)
        #: A checkpoint of at most this many entries was signed before the close.
        self.before_close = -1 if close_leaf is None else close_leaf[0]
        self.counted = {str(bid_id) for bid_id in closed.event.counted_bids}
        self.offers = None if allocated is None else _offers(allocated.input)
        self.leads: dict[UUID, UUID] = {}
        self.latest: dict[UUID, int] = {}
        for entry in bids:
            try:
                event = entry.event
            except UnreadableEntryError:
                continue
            if isinstance(event, Lot.BidPlaced):
                self.leads[event.bid_id] = event.supplier_id
            self.latest[event.bid_id] = entry.position

    def check(self, entry: LotEntry) -> CommitmentCheck:
        problems: list[str] = []
        revised = entry.is_a(Lot.BidRevised)
        try:
            event = entry.event
        except UnreadableEntryError:
            problems.append("unreadable")
            checkpoint = self._ledger(entry, problems)
            return CommitmentCheck(entry.position, None, revised, None, None, checkpoint, False,
                                   tuple(problems))
        commitment = _commitment(event)
        if commitment is None:
            problems.append("no_commitment")
        elif not self._hashes_to(commitment, event.bid_id, event.terms, event.shares,
                                 getattr(event, "salt", None)):
            problems.append("revealed")
        checkpoint = self._ledger(entry, problems)
        used = self._used_in_clearing(entry, event)
        if used and commitment is not None and not self._clearing_holds(commitment, event):
            problems.append("clearing")
        return CommitmentCheck(entry.position, event.bid_id, revised, event.timestamp,
                               commitment, checkpoint, used, tuple(problems))

    def _ledger(self, entry: LotEntry, problems: list[str]) -> Checkpoint | None:
        """The entry against its leaf, and the leaf under the checkpoint before the close."""
        leaf = self.leaves.get(entry.position)
        if leaf is None:
            problems.append("entry")
            return None
        index, stored = leaf
        recomputed = entry_hash(entry.position, self.lot_id, entry.version, entry.topic,
                                entry.state)
        if recomputed != stored:
            problems.append("entry")
        checkpoint = self.app.checkpoints.covering(index, earliest=True)
        if checkpoint is None or checkpoint.tree_size > self.before_close:
            problems.append("no_checkpoint")
            return None
        try:
            checkpoint.check_signature(self.trusted_key)
        except CheckpointError:
            problems.append("signature")
        if recomputed == stored:
            try:
                with reading(self.app.engine) as connection:
                    proof = tree.inclusion_proof(connection, index, checkpoint.tree_size)
                merkle.verify_inclusion(recomputed, index, checkpoint.tree_size, proof,
                                        checkpoint.root_hash)
            except (merkle.ProofError, tree.TreeError, ValueError):
                problems.append("proof")
        return checkpoint

    def _used_in_clearing(self, entry: LotEntry, event: Any) -> bool:
        if self.offers is None or self.latest.get(event.bid_id) != entry.position:
            return False
        return str(event.bid_id) in self.counted or str(event.bid_id) in self.offers

    def _clearing_holds(self, commitment: str, event: Any) -> bool:
        assert self.offers is not None  # noqa: S101 (only asked of a cleared lot)
        offer = self.offers.get(str(event.bid_id))
        if offer is None or str(event.bid_id) not in self.counted:
            return False  # a bid that counted left out, or one that did not let in
        try:
            terms, shares = clearing_terms(offer, event.terms)
        except (ArithmeticError, AttributeError, KeyError, TypeError, ValueError):
            return False
        return self._hashes_to(commitment, event.bid_id, terms, shares,
                               getattr(event, "salt", None))

    def _hashes_to(self, commitment: str, bid_id: UUID, terms: Any, shares: Any,
                   salt: Any) -> bool:
        lead = self.leads.get(bid_id)
        if lead is None or not isinstance(salt, str):
            return False
        try:
            return bid_commitment(lot_id=self.lot_id, bid_id=bid_id, supplier_id=lead,
                                  terms=terms, shares=shares,
                                  salt=bytes.fromhex(salt)) == commitment
        except (AttributeError, TypeError, ValueError):
            return False


def clearing_terms(offer: dict[str, Any], committed: dict[str, Any]
                   ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A bid's terms and shares in the form its event holds them, as the clearing's input
    document (docs/allocation.md) states them. The input has no lead time or validity, which
    the clearing does not use: those are the committed ones."""
    members = {UUID(member["id"]): Decimal(member["share"])
               for member in offer.get("members") or []}
    shares: list[dict[str, Any]] = [
        {"organisation_id": member, "share": members[member]}
        for member in sorted(members, key=str)]
    capacity = Decimal(offer["capacity"])
    if members and capacity != sum(members.values(), Decimal(0)):
        raise ValueError("a consortium that counts supplies the sum of its members' shares")
    costs = offer.get("delivery_cost")
    terms = {"tiers": [{"from_quantity": Decimal(tier["min_quantity"]),
                        "unit_price": Decimal(tier["unit_price"])} for tier in offer["tiers"]],
             "capacity": None if shares else capacity,
             "minimum_quantity": Decimal(offer["min_quantity"]),
             "lead_time_days": committed["lead_time_days"],
             "valid_until": committed["valid_until"],
             "delivery_costs": None if costs is None else {
                 code: Decimal(cost) for code, cost in costs.items()}}
    return terms, shares


def _offers(document: Any) -> dict[str, Any]:
    """The bids of a clearing's input document by id; none from a document that is not one
    (then every bid that counted fails the clearing check)."""
    try:
        return {offer["id"]: offer for offer in document["bids"] if isinstance(offer, dict)}
    except (KeyError, TypeError):
        return {}


def _commitment(event: Any) -> str | None:
    """The event's commitment; None for bids recorded before commitments existed."""
    commitment = getattr(event, "commitment", None)
    return commitment if isinstance(commitment, str) else None


__all__ = ["FAILURES", "PROBLEMS", "BidsStillSealedError", "CommitmentCheck",
           "PublicCommitment", "Verdict", "check_bid_commitments", "clearing_terms",
           "public_commitments"]
