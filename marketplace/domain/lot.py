"""Pooled lots: several buyers' needs for one item, bid on by suppliers until the close time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from marketplace.domain import lot_rules as rules
from marketplace.domain.bid_commitment import sealed
from marketplace.domain.bids import (
    Bid,
    BidTerms,
    shares_as_event_data,
    shares_from_event_data,
)
from marketplace.domain.copying import ReplacedNotMutated
from marketplace.domain.eligibility import Eligibility, Participant
from marketplace.domain.items import Currency, ItemSpec
from marketplace.domain.need import NeedLine
from marketplace.domain.organisation import Role
from marketplace.domain.sealed_round import SealedRound


@dataclass(frozen=True)
class Commitment:
    """A buyer's need pooled into the lot: how much it commits to buy, at most at what price."""

    need_id: UUID
    buyer_id: UUID
    quantity: Decimal
    max_unit_price: Decimal | None


class Lot(SealedRound, ReplacedNotMutated, Aggregate):
    """A pool of compatible needs of several buyers for one item spec, open until its close.

    Suppliers join it and place sealed bids. Every command is decided against the server's
    receive time: before the close instant it may be accepted; at or after it, never.
    """

    round_noun = "lot"
    ClosedError = rules.LotClosedError
    CancelledError = rules.LotCancelledError

    class Opened(Aggregate.Created):
        organiser_id: UUID
        category: str
        specification: str
        unit: str
        currency: str
        closes_at: datetime
        cluster: str | None
        prefectures: list[str]
        thresholds: list[Decimal]
        max_suppliers: int | None

    class Cancelled(Aggregate.Event):
        reason: str

    class NeedPooled(Aggregate.Event):
        need_id: UUID
        buyer_id: UUID
        quantity: Decimal
        max_unit_price: Decimal | None

    class CommitmentChanged(Aggregate.Event):
        need_id: UUID
        quantity: Decimal
        max_unit_price: Decimal | None

    class CommitmentWithdrawn(Aggregate.Event):
        need_id: UUID

    class SupplierJoined(Aggregate.Event):
        supplier_id: UUID

    class BidPlaced(Aggregate.Event):
        bid_id: UUID
        supplier_id: UUID
        terms: dict[str, Any]
        shares: list[dict[str, Any]]
        """A consortium's members and capacity shares, the lead's included; [] alone."""
        commitment: str | None = None  # docs/sealed-bids.md; None in bids from before it
        salt: str | None = None

    class BidRevised(Aggregate.Event):
        bid_id: UUID
        terms: dict[str, Any]
        shares: list[dict[str, Any]]
        commitment: str | None = None
        salt: str | None = None

    class BidWithdrawn(Aggregate.Event):
        bid_id: UUID

    class ConsortiumShareAccepted(Aggregate.Event):
        bid_id: UUID
        member_id: UUID

    class ConsortiumShareDeclined(Aggregate.Event):
        bid_id: UUID
        member_id: UUID

    class Closed(Aggregate.Event):
        pooled_quantity: Decimal
        buyer_count: int
        counted_bids: list[UUID]
        """The bids that stand at close: alone, or consortia whose every member accepted."""

    class Allocated(Aggregate.Event):
        """The clearing as decided (docs/allocation.md); replay applies it, never re-solves.

        ``input``: the canonical input document, ``input_digest`` its SHA-256. ``result``
        carries the status, objective, solver name, version, settings and gap."""

        input_digest: str
        input: dict[str, Any]
        result: dict[str, Any]

    @classmethod
    def open(cls, organiser: Participant, item: ItemSpec, *, currency: Any, closes_at: datetime,
             eligibility: Eligibility, thresholds: Any, at: datetime,
             max_suppliers: Any = None) -> Lot:
        organiser.require(Role.BUYER, "open lots")
        rules.require_future_close(closes_at, at)
        return cls._create(
            cls.Opened, timestamp=at, organiser_id=organiser.organisation_id,
            **item.as_event_data(), currency=Currency.parse(currency).value,
            closes_at=closes_at, **eligibility.as_event_data(),
            thresholds=list(rules.thresholds(thresholds)),
            max_suppliers=rules.max_suppliers(max_suppliers))

    def __init__(self, organiser_id: UUID, category: str, specification: str, unit: str,
                 currency: str, closes_at: datetime, cluster: str | None,
                 prefectures: list[str], thresholds: list[Decimal],
                 max_suppliers: int | None = None) -> None:  # None in lots opened before it
        self.organiser_id = organiser_id
        self.item = ItemSpec.from_event_data(
            {"category": category, "specification": specification, "unit": unit})
        self.currency = Currency(currency)
        self.closes_at = closes_at
        self.eligibility = Eligibility.from_event_data(
            {"cluster": cluster, "prefectures": prefectures})
        self.thresholds = tuple(thresholds)
        self.max_suppliers = max_suppliers
        self.cancel_reason: str | None = None
        self.closed = False
        self.allocation_digest: str | None = None
        self.allocation_result: dict[str, Any] | None = None
        self.commitments: dict[UUID, Commitment] = {}
        self.suppliers: frozenset[UUID] = frozenset()
        self.bids: dict[UUID, Bid] = {}

    # -- state a buyer can see ------------------------------------------------------------

    @property
    def pooled_quantity(self) -> Decimal:
        return sum((c.quantity for c in self.commitments.values()), Decimal(0))

    @property
    def buyer_count(self) -> int:
        return len({c.buyer_id for c in self.commitments.values()})

    # -- the organiser --------------------------------------------------------------------

    def cancel(self, organiser_id: UUID, reason: Any, *, at: datetime) -> None:
        if organiser_id != self.organiser_id:
            raise rules.NotLotOrganiserError("only the organisation that opened a lot cancels it")
        self._require_open(at)
        self.trigger_event(self.Cancelled, timestamp=at, reason=rules.cancel_reason(reason))

    @event(Cancelled)
    def _cancelled(self, reason: str) -> None:
        self.cancel_reason = reason

    def record_close(self, *, at: datetime) -> bool:
        """Records the close once the close time has passed; False if it already was."""
        if self.cancel_reason is not None or self.closed:
            return False
        if at < self.closes_at:
            raise rules.LotNotDueError(
                f"this lot closes at {rules.jst(self.closes_at)}, not before")
        self.trigger_event(
            self.Closed, timestamp=at, pooled_quantity=self.pooled_quantity,
            buyer_count=self.buyer_count,
            counted_bids=sorted((b.bid_id for b in self.bids.values() if b.counts), key=str))
        return True

    @event(Closed)
    def _closed(self, pooled_quantity: Decimal, buyer_count: int,
                counted_bids: list[UUID]) -> None:
        self.closed = True

    def record_allocation(self, input_digest: str, document: dict[str, Any],
                          result: dict[str, Any], *, at: datetime) -> None:
        """Records the clearing of the closed lot, once."""
        if not self.closed:
            raise rules.LotNotClosedError("a lot is cleared once its close is recorded")
        if self.allocation_digest is not None:
            raise rules.LotAlreadyAllocatedError("this lot's clearing is already recorded")
        self.trigger_event(self.Allocated, timestamp=at, input_digest=input_digest,
                           input=document, result=result)

    @event(Allocated)
    def _allocated(self, input_digest: str, input: dict[str, Any],
                   result: dict[str, Any]) -> None:
        self.allocation_digest = input_digest
        self.allocation_result = result

    # -- buyers ---------------------------------------------------------------------------

    def pool_need(self, buyer: Participant, need_id: UUID, line: NeedLine, *,
                  quantity: Any = None, max_unit_price: Any = None, at: datetime) -> None:
        self._require_open(at)
        buyer.require(Role.BUYER, "pool needs")
        self.eligibility.require(buyer)
        rules.require_same_item(self.item, line.item)
        if need_id in self.commitments:
            raise rules.NeedAlreadyInLotError("this need is already pooled in this lot; "
                                              "change its commitment instead")
        committed = rules.commitment_quantity(quantity, line.quantity)
        self.trigger_event(
            self.NeedPooled, timestamp=at, need_id=need_id, buyer_id=buyer.organisation_id,
            quantity=committed,
            max_unit_price=rules.max_price(max_unit_price, line.max_unit_price))

    @event(NeedPooled)
    def _need_pooled(self, need_id: UUID, buyer_id: UUID, quantity: Decimal,
                     max_unit_price: Decimal | None) -> None:
        self.commitments = {**self.commitments,
                            need_id: Commitment(need_id, buyer_id, quantity, max_unit_price)}

    def change_commitment(self, buyer_id: UUID, need_id: UUID, line: NeedLine, *,
                          quantity: Any = None, max_unit_price: Any = None,
                          at: datetime) -> bool:
        """Changes the committed quantity and/or max unit price; False if nothing changes."""
        self._require_open(at)
        current = self._commitment(buyer_id, need_id)
        new_quantity = (current.quantity if quantity is None
                        else rules.commitment_quantity(quantity, line.quantity))
        new_price = (current.max_unit_price if max_unit_price is None
                     else rules.max_price(max_unit_price, None))
        if (new_quantity, new_price) == (current.quantity, current.max_unit_price):
            return False
        self.trigger_event(self.CommitmentChanged, timestamp=at, need_id=need_id,
                           quantity=new_quantity, max_unit_price=new_price)
        return True

    @event(CommitmentChanged)
    def _commitment_changed(self, need_id: UUID, quantity: Decimal,
                            max_unit_price: Decimal | None) -> None:
        self.commitments = {**self.commitments, need_id: replace(
            self.commitments[need_id], quantity=quantity, max_unit_price=max_unit_price)}

    def withdraw_commitment(self, buyer_id: UUID, need_id: UUID, *, at: datetime) -> None:
        self._require_open(at)
        self._commitment(buyer_id, need_id)
        self.trigger_event(self.CommitmentWithdrawn, timestamp=at, need_id=need_id)

    @event(CommitmentWithdrawn)
    def _commitment_withdrawn(self, need_id: UUID) -> None:
        self.commitments = {k: v for k, v in self.commitments.items() if k != need_id}

    def _commitment(self, buyer_id: UUID, need_id: UUID) -> Commitment:
        commitment = self.commitments.get(need_id)
        if commitment is None or commitment.buyer_id != buyer_id:
            raise rules.CommitmentNotFoundError(f"you have no commitment of need {need_id} here")
        return commitment

    # -- suppliers ------------------------------------------------------------------------

    def join(self, supplier: Participant, *, at: datetime) -> bool:
        """Lets an eligible supplier bid; False if it had already joined."""
        self._require_open(at)
        supplier.require(Role.SUPPLIER, "join lots")
        self.eligibility.require(supplier)
        if supplier.organisation_id in self.suppliers:
            return False
        self.trigger_event(self.SupplierJoined, timestamp=at,
                           supplier_id=supplier.organisation_id)
        return True

    @event(SupplierJoined)
    def _supplier_joined(self, supplier_id: UUID) -> None:
        self.suppliers = self.suppliers | {supplier_id}

    def place_bid(self, supplier: Participant, bid_id: UUID, terms: BidTerms, *,
                  members: dict[UUID, Participant] | None = None,
                  shares: dict[UUID, Decimal] | None = None, unit: Any = None,
                  currency: Any = None, salt: bytes | None = None, at: datetime) -> None:
        """Places a bid alone, or as the lead of a consortium of ``members`` with ``shares``;
        ``salt`` (32 random bytes) seals its commitment."""
        self._require_open(at)
        lead = supplier.organisation_id
        if lead not in self.suppliers:
            raise rules.BidderNotJoinedError("join this lot before bidding on it")
        rules.require_terms_of_lot(self.item, self.currency, self.closes_at, terms,
                                   unit=unit, currency=currency, shares=shares or {})
        rules.require_not_bidding(self.bid_of(lead))
        rules.require_consortium(lead, shares or {}, members or {}, self.eligibility)
        self.trigger_event(self.BidPlaced, timestamp=at, bid_id=bid_id, supplier_id=lead,
                           **sealed(self.id, bid_id, lead, terms.as_event_data(),
                                    shares_as_event_data(shares or {}), salt))

    @event(BidPlaced)
    def _bid_placed(self, bid_id: UUID, supplier_id: UUID, terms: dict[str, Any],
                    shares: list[dict[str, Any]]) -> None:
        members = shares_from_event_data(shares)
        self.bids = {**self.bids, bid_id: Bid(
            bid_id, supplier_id, BidTerms.from_event_data(terms), members,
            accepted=frozenset({supplier_id}) if members else frozenset())}

    def revise_bid(self, lead_id: UUID, bid_id: UUID, terms: BidTerms, *,
                   members: dict[UUID, Participant] | None = None,
                   shares: dict[UUID, Decimal] | None = None, unit: Any = None,
                   currency: Any = None, salt: bytes | None = None, at: datetime) -> None:
        """Replaces a bid's terms, sealed anew; every other consortium member accepts again."""
        self._require_open(at)
        bid = rules.led_bid(self.bids, lead_id, bid_id)
        new_shares = bid.shares if shares is None else shares
        rules.require_terms_of_lot(self.item, self.currency, self.closes_at, terms,
                                   unit=unit, currency=currency, shares=new_shares)
        rules.require_consortium(lead_id, new_shares, members or {}, self.eligibility)
        self.trigger_event(self.BidRevised, timestamp=at, bid_id=bid_id,
                           **sealed(self.id, bid_id, lead_id, terms.as_event_data(),
                                    shares_as_event_data(new_shares), salt))

    @event(BidRevised)
    def _bid_revised(self, bid_id: UUID, terms: dict[str, Any],
                     shares: list[dict[str, Any]]) -> None:
        bid = self.bids[bid_id]
        members = shares_from_event_data(shares)
        self.bids = {**self.bids, bid_id: replace(
            bid, terms=BidTerms.from_event_data(terms), shares=members,
            accepted=frozenset({bid.lead_id}) if members else frozenset(),
            declined=frozenset())}

    def withdraw_bid(self, lead_id: UUID, bid_id: UUID, *, at: datetime) -> None:
        self._require_open(at)
        rules.led_bid(self.bids, lead_id, bid_id)
        self.trigger_event(self.BidWithdrawn, timestamp=at, bid_id=bid_id)

    @event(BidWithdrawn)
    def _bid_withdrawn(self, bid_id: UUID) -> None:
        self.bids = {k: v for k, v in self.bids.items() if k != bid_id}

    def accept_share(self, member: Participant, bid_id: UUID, *, at: datetime) -> bool:
        """A named member accepts its share (joining the lot if it had not); False if it had."""
        self._require_open(at)
        member_id = member.organisation_id
        bid = rules.member_bid(self.bids, member_id, bid_id)
        if member_id in bid.accepted:
            return False
        rules.require_not_bidding(self.bid_of(member_id))
        if member_id not in self.suppliers:
            self.join(member, at=at)
        self.trigger_event(self.ConsortiumShareAccepted, timestamp=at, bid_id=bid_id,
                           member_id=member_id)
        return True

    @event(ConsortiumShareAccepted)
    def _share_accepted(self, bid_id: UUID, member_id: UUID) -> None:
        bid = self.bids[bid_id]
        self.bids = {**self.bids, bid_id: replace(
            bid, accepted=bid.accepted | {member_id}, declined=bid.declined - {member_id})}

    def decline_share(self, member_id: UUID, bid_id: UUID, *, at: datetime) -> bool:
        """A named member declines (or takes back its acceptance); False if it had declined."""
        self._require_open(at)
        bid = rules.member_bid(self.bids, member_id, bid_id)
        if member_id == bid.lead_id:
            raise rules.LeadCannotDeclineError(
                "the lead does not decline its own consortium; withdraw the bid instead")
        if member_id in bid.declined:
            return False
        self.trigger_event(self.ConsortiumShareDeclined, timestamp=at, bid_id=bid_id,
                           member_id=member_id)
        return True

    @event(ConsortiumShareDeclined)
    def _share_declined(self, bid_id: UUID, member_id: UUID) -> None:
        bid = self.bids[bid_id]
        self.bids = {**self.bids, bid_id: replace(
            bid, accepted=bid.accepted - {member_id}, declined=bid.declined | {member_id})}

    def bid_of(self, organisation_id: UUID) -> Bid | None:
        """The live bid this organisation supplies through (leading it or accepted in it)."""
        for bid in self.bids.values():
            if bid.lead_id == organisation_id or organisation_id in bid.accepted:
                return bid
        return None


__all__ = ["Commitment", "Lot"]
