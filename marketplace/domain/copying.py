"""Cheap copies of aggregates whose state is only ever replaced, never changed in place."""

from __future__ import annotations

from typing import Any


class ReplacedNotMutated:
    """Mixin for aggregates whose attributes hold immutable values, or containers that the
    event methods replace wholesale (``self.bids = {**self.bids, ...}``) and never mutate.

    The application's aggregate cache hands out a deep copy on every load; for such an
    aggregate a shallow copy is as safe, and a busy lot's deep copy (every UUID and Decimal of
    every commitment and bid) cost more than the rest of the command.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.__dict__["_pending_events"] = list(self.__dict__.get("_pending_events", ()))
        return clone
