"""Suppliers' commands: join a lot; place, revise and withdraw sealed bids; answer consortia."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from marketplace.commands.base import Commands, OrganisationNotFoundError
from marketplace.domain.bid_commitment import SALT_BYTES
from marketplace.domain.bids import BidTerms, consortium_shares
from marketplace.domain.eligibility import Participant
from marketplace.domain.lot import Lot


class BiddingCommands(Commands):
    """A supplier bids alone or leads a consortium; members accept or decline their shares."""

    def join_lot(self, supplier_id: UUID, lot_id: UUID) -> bool:
        """Lets an eligible supplier bid on the lot; False if it had already joined."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> bool:
            lot = self._lot(lot_id)
            joined = lot.join(self._participant(supplier_id), at=at)
            if joined:
                self.save(lot)
            return joined
        return self.command(decide)

    def place_bid(self, supplier_id: UUID, lot_id: UUID, *, tiers: Any, minimum_quantity: Any,
                  lead_time_days: Any, valid_until: Any, capacity: Any = None,
                  shares: Mapping[UUID, Any] | None = None, unit: Any = None,
                  currency: Any = None, delivery_costs: Any = None) -> UUID:
        """Places a sealed bid, alone or (with ``shares``) as a consortium's lead; its id."""
        members = consortium_shares(supplier_id, shares)
        terms = BidTerms.create(tiers=tiers, minimum_quantity=minimum_quantity,
                                lead_time_days=lead_time_days, valid_until=valid_until,
                                capacity=None if members else capacity, shares=members,
                                delivery_costs=delivery_costs)
        bid_id, salt = uuid.uuid4(), secrets.token_bytes(SALT_BYTES)  # the salt seals it

        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> UUID:
            lot = self._lot(lot_id)
            lot.place_bid(self._participant(supplier_id), bid_id, terms,
                          members=self._members(members), shares=members, unit=unit,
                          currency=currency, salt=salt, at=at)
            self.save(lot)
            return bid_id
        return self.command(decide)

    def revise_bid(self, supplier_id: UUID, lot_id: UUID, bid_id: UUID, *, tiers: Any,
                   minimum_quantity: Any, lead_time_days: Any, valid_until: Any,
                   capacity: Any = None, shares: Mapping[UUID, Any] | None = None,
                   unit: Any = None, currency: Any = None, delivery_costs: Any = None) -> None:
        """Replaces a bid's terms (a consortium's shares stay unless given); members re-accept."""
        at = self.clock()  # received now: the receive time decides deadlines
        salt = secrets.token_bytes(SALT_BYTES)  # a new salt seals the new terms

        def decide() -> None:
            lot = self._lot(lot_id)
            current = lot.bids.get(bid_id)
            members = (consortium_shares(supplier_id, shares) if shares is not None
                       else current.shares if current is not None else {})
            terms = BidTerms.create(tiers=tiers, minimum_quantity=minimum_quantity,
                                    lead_time_days=lead_time_days, valid_until=valid_until,
                                    capacity=None if members else capacity, shares=members,
                                    delivery_costs=delivery_costs)
            lot.revise_bid(supplier_id, bid_id, terms, members=self._members(members),
                           shares=members, unit=unit, currency=currency, salt=salt, at=at)
            self.save(lot)
        self.command(decide)

    def withdraw_bid(self, supplier_id: UUID, lot_id: UUID, bid_id: UUID) -> None:
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> None:
            lot = self._lot(lot_id)
            lot.withdraw_bid(supplier_id, bid_id, at=at)
            self.save(lot)
        self.command(decide)

    def accept_consortium_share(self, member_id: UUID, lot_id: UUID, bid_id: UUID) -> bool:
        """A named member accepts its share of a consortium bid; False if it already had."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> bool:
            lot = self._lot(lot_id)
            accepted = lot.accept_share(self._participant(member_id), bid_id, at=at)
            if accepted:
                self.save(lot)
            return accepted
        return self.command(decide)

    def decline_consortium_share(self, member_id: UUID, lot_id: UUID, bid_id: UUID) -> bool:
        """A named member declines its share (or takes its acceptance back) before close."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> bool:
            lot: Lot = self._lot(lot_id)
            declined = lot.decline_share(member_id, bid_id, at=at)
            if declined:
                self.save(lot)
            return declined
        return self.command(decide)

    def _members(self, shares: Mapping[UUID, Decimal]) -> dict[UUID, Participant]:
        """The named members the marketplace knows; the lot's rules refuse the others."""
        members = {}
        for member in shares:
            try:
                members[member] = self._participant(member)
            except OrganisationNotFoundError:
                continue
        return members
