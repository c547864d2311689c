"""Closing and clearing a lot: the close is recorded, then the closed lot solved and cleared.

Two transactions, on purpose. Recording `Lot.Closed` first fixes what stood at close: from
then on the lot refuses every command, so the solve (up to a couple of seconds on a large lot)
runs outside the ledger's write lock on a lot that can no longer change, and nothing waits for
it. A process that stops between the two leaves a closed lot without its clearing; `due`
lists such lots, so the next round clears them.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from marketplace.allocation import (
    AllocationError,
    AllocationInput,
    BidOffer,
    BuyerNeed,
    Member,
    Options,
    Tier,
    allocate,
    parse_input,
)
from marketplace.commands.base import Commands
from marketplace.commands.needs import NeedNotFoundError
from marketplace.domain.bids import Bid
from marketplace.domain.lot import Lot
from marketplace.domain.need import Need

__all__ = ["AllocationError", "ClearingCommands"]


class ClearingCommands(Commands):
    """The close of a lot and its clearing by the allocation engine."""

    def close_lot(self, lot_id: UUID) -> bool:
        """Records the close of a lot whose close time has passed, then its clearing.

        False if both were already recorded, or the lot was cancelled. The close itself happens
        at the close time whatever is recorded: every command on a lot is decided against the
        clock. Recording it fixes what stood at close (the pooled quantity and the bids that
        count) and how the lot clears (`Lot.Allocated`), for payment and audit.
        """
        at = self.clock()

        def record_close() -> tuple[bool, Lot]:
            lot = self._lot(lot_id)
            closed = lot.record_close(at=at)  # False if recorded before, or cancelled
            if closed:
                self.save(lot)
            return closed, lot
        closed, lot = self.command(record_close)
        if lot.cancel_reason is not None or lot.allocation_digest is not None:
            return closed
        problem = self.allocation_input(lot)
        result = allocate(problem)

        def record_clearing() -> bool:
            lot = self._lot(lot_id)
            if lot.allocation_digest is not None:
                return False  # another process cleared it meanwhile, from the same closed lot
            lot.record_allocation(problem.digest, problem.as_json(), result.as_json(),
                                  at=self.clock())
            self.save(lot)
            return True
        return self.command(record_clearing) or closed

    def allocation_input(self, lot: Lot) -> AllocationInput:
        """The engine's input for the lot as it stands: its commitments in the order they were
        pooled, and the bids that count in the order they were placed (ties go to the earlier).
        """
        buyers = [BuyerNeed(id=str(c.need_id), quantity=c.quantity,
                            max_unit_price=c.max_unit_price,
                            region=self._need(c.need_id).line.delivery_prefecture.code)
                  for c in lot.commitments.values()]
        offers = [_offer(bid) for bid in lot.bids.values() if bid.counts]
        built = AllocationInput(currency=lot.currency.value, unit=lot.item.unit.value,
                                buyers=tuple(buyers), bids=tuple(offers),
                                options=Options(max_suppliers=lot.max_suppliers))
        # Read back through the file format, so what is recorded is exactly what was solved.
        return parse_input(built.as_json())

    def _need(self, need_id: UUID) -> Need:
        return self._load(Need, need_id, NeedNotFoundError, "need")


def _offer(bid: Bid) -> BidOffer:
    terms = bid.terms
    members: tuple[Member, ...] = ()
    if bid.is_consortium:
        # The lead first, then the others in a fixed order; all have accepted (the bid counts).
        order = [bid.lead_id, *sorted(set(bid.shares) - {bid.lead_id}, key=str)]
        members = tuple(Member(id=str(m), share=bid.shares[m]) for m in order)
    return BidOffer(
        id=str(bid.bid_id), capacity=bid.capacity, min_quantity=terms.minimum_quantity,
        tiers=tuple(Tier(min_quantity=b.from_quantity, unit_price=b.unit_price)
                    for b in terms.tiers.breaks),
        delivery_cost=None if terms.delivery_costs is None else {
            code: Decimal(cost) for code, cost in terms.delivery_costs.items()},
        members=members)
