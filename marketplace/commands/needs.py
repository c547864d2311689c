"""Buyers' commands: post, revise and withdraw needs; pool them into lots and change that."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from marketplace.commands.base import Commands, NeedNotFoundError
from marketplace.domain import Role
from marketplace.domain.need import NEED_FIELDS, Need, NeedLine


class NeedCommands(Commands):
    """What a buyer does with its needs, alone and in lots."""

    def post_need(self, buyer_id: UUID, *, category: Any, specification: Any, unit: Any,
                  quantity: Any, needed_by: Any, delivery_prefecture: Any,
                  max_unit_price: Any = None) -> UUID:
        """Records a buyer's demand line; returns the need's id."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> UUID:
            self._participant(buyer_id).require(Role.BUYER, "post needs")
            line = NeedLine.create(
                category=category, specification=specification, unit=unit, quantity=quantity,
                needed_by=needed_by, delivery_prefecture=delivery_prefecture,
                max_unit_price=max_unit_price, today=at.date())
            need = Need.post(buyer_id, line, at=at)
            self.save(need)
            return need.id
        return self.command(decide)

    def revise_need(self, buyer_id: UUID, need_id: UUID, **changes: Any) -> bool:
        """Replaces the given fields of an unpooled need; returns whether anything changed."""
        unknown = set(changes) - NEED_FIELDS
        if unknown:
            raise TypeError(f"not need fields: {', '.join(sorted(unknown))}")

        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> bool:
            need = self._own_need(buyer_id, need_id)
            released = self._release_from_cancelled_lot(need, at)
            changed = need.revise(at=at, **changes)
            if changed or released:
                self.save(need)
            return changed
        return self.command(decide)

    def withdraw_need(self, buyer_id: UUID, need_id: UUID) -> None:
        """Withdraws a need, and its commitment from its lot if the lot is still open."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> None:
            need = self._own_need(buyer_id, need_id)
            changed: list[Any] = [need]
            self._release_from_cancelled_lot(need, at)
            if need.lot_id is not None:
                lot = self._lot(need.lot_id)
                lot.withdraw_commitment(buyer_id, need_id, at=at)
                need.unpool_from(lot.id, at=at)
                changed.append(lot)
            need.withdraw(at=at)
            self.save(*changed)
        self.command(decide)

    def pool_need(self, buyer_id: UUID, lot_id: UUID, need_id: UUID, *, quantity: Any = None,
                  max_unit_price: Any = None) -> None:
        """Commits a need to a lot: its quantity (or less) at most at its max unit price."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> None:
            lot, need = self._lot(lot_id), self._own_need(buyer_id, need_id)
            self._release_from_cancelled_lot(need, at)
            lot.pool_need(self._participant(buyer_id), need.id, need.line, quantity=quantity,
                          max_unit_price=max_unit_price, at=at)
            need.pool_into(lot.id, at=at)
            self.save(lot, need)
        self.command(decide)

    def change_commitment(self, buyer_id: UUID, lot_id: UUID, need_id: UUID, *,
                          quantity: Any = None, max_unit_price: Any = None) -> bool:
        """Changes a pooled need's committed quantity or max price until the lot closes."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> bool:
            lot, need = self._lot(lot_id), self._own_need(buyer_id, need_id)
            changed = lot.change_commitment(buyer_id, need.id, need.line, quantity=quantity,
                                            max_unit_price=max_unit_price, at=at)
            if changed:
                self.save(lot)
            return changed
        return self.command(decide)

    def withdraw_commitment(self, buyer_id: UUID, lot_id: UUID, need_id: UUID) -> None:
        """Takes a need back out of a lot before it closes; the need stays open."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> None:
            lot, need = self._lot(lot_id), self._own_need(buyer_id, need_id)
            lot.withdraw_commitment(buyer_id, need.id, at=at)
            need.unpool_from(lot.id, at=at)
            self.save(lot, need)
        self.command(decide)

    def _release_from_cancelled_lot(self, need: Need, at: datetime) -> bool:
        """A need pooled in a lot that was since cancelled is free again; True if released."""
        if need.lot_id is None or self._lot(need.lot_id).cancel_reason is None:
            return False
        need.unpool_from(need.lot_id, at=at)
        return True


__all__ = ["NeedCommands", "NeedNotFoundError"]
