"""Lots' lifecycle: open, cancel, and close at the close time by the server's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from marketplace.commands.base import Commands
from marketplace.domain.eligibility import Eligibility
from marketplace.domain.items import ItemSpec
from marketplace.domain.lot import Lot


class LotCommands(Commands):
    """A buyer opens a lot for one item spec; the clock closes it; its organiser may cancel it."""

    def open_lot(self, organiser_id: UUID, *, category: Any, specification: Any, unit: Any,
                 closes_at: datetime, currency: Any = "JPY", cluster: Any = None,
                 prefectures: Any = (), thresholds: Any = ()) -> UUID:
        """Opens a lot that buyers pool needs into until ``closes_at``; returns its id."""
        item = ItemSpec.create(category=category, specification=specification, unit=unit)
        eligibility = Eligibility.create(cluster=cluster, prefectures=prefectures)

        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> UUID:
            lot = Lot.open(self._participant(organiser_id), item, currency=currency,
                           closes_at=closes_at, eligibility=eligibility, thresholds=thresholds,
                           at=at)
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

    def close_lot(self, lot_id: UUID) -> bool:
        """Records the close of a lot whose close time has passed; False if it already was.

        The close itself happens at the close time whatever is recorded: every command on a
        lot is decided against the clock. Recording it fixes what stood at close (the pooled
        quantity and the bids that count) on the ledger, for allocation and audit.
        """
        def decide() -> bool:
            lot = self._lot(lot_id)
            closed = lot.record_close(at=self.clock())
            if closed:
                self.save(lot)
            return closed
        return self.command(decide)
