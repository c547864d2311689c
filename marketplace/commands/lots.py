"""Lots' lifecycle: open and cancel (the close and clearing are in `commands.clearing`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from marketplace.commands.base import Commands
from marketplace.domain.eligibility import Eligibility
from marketplace.domain.items import ItemSpec
from marketplace.domain.lot import Lot


class LotCommands(Commands):
    """A buyer opens a lot for one item spec; its organiser may cancel it until it closes."""

    def open_lot(self, organiser_id: UUID, *, category: Any, specification: Any, unit: Any,
                 closes_at: datetime, currency: Any = "JPY", cluster: Any = None,
                 prefectures: Any = (), thresholds: Any = (), max_suppliers: Any = None) -> UUID:
        """Opens a lot that buyers pool needs into until ``closes_at``; returns its id."""
        item = ItemSpec.create(category=category, specification=specification, unit=unit)
        eligibility = Eligibility.create(cluster=cluster, prefectures=prefectures)

        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> UUID:
            lot = Lot.open(self._participant(organiser_id), item, currency=currency,
                           closes_at=closes_at, eligibility=eligibility, thresholds=thresholds,
                           at=at, max_suppliers=max_suppliers)
            self.save(lot)
            return lot.id
        return self.command(decide)

    def cancel_lot(self, organiser_id: UUID, lot_id: UUID, reason: Any) -> None:
        """Cancels a lot, telling every participant why."""
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> None:
            lot = self._lot(lot_id)
            lot.cancel(organiser_id, reason, at=at)
            self.save(lot)
        self.command(decide)
