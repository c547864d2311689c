"""Needs: a buyer's demand lines, which it may pool into a lot with other buyers' needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from marketplace.domain.copying import ReplacedNotMutated
from marketplace.domain.errors import RuleViolationError
from marketplace.domain.items import ItemSpec, calendar_date, unit_price
from marketplace.domain.items import quantity as parse_quantity
from marketplace.domain.prefectures import Prefecture

NEED_FIELDS = frozenset({"category", "specification", "unit", "quantity", "needed_by",
                         "delivery_prefecture", "max_unit_price"})


class NeededByInThePastError(RuleViolationError):
    """A need's needed-by date is today or later."""


class NeedWithdrawnError(RuleViolationError):
    """A withdrawn need cannot be changed or pooled."""


class NeedIsPooledError(RuleViolationError):
    """A pooled need is changed through its commitment on the lot, not directly."""


class NeedAlreadyPooledError(RuleViolationError):
    """A need is in at most one lot."""


class NeedNotPooledError(RuleViolationError):
    """The need is not in this lot."""


class NeedInRfqError(RuleViolationError):
    """A need in a live RFQ is changed through the RFQ, and pooled or quoted nowhere else."""


@dataclass(frozen=True)
class NeedLine:
    """What a buyer needs: the item, how much, by when, delivered where, at most at what price."""

    item: ItemSpec
    quantity: Decimal
    needed_by: date
    delivery_prefecture: Prefecture
    max_unit_price: Decimal | None

    @classmethod
    def create(cls, *, category: Any, specification: Any, unit: Any, quantity: Any,
               needed_by: Any, delivery_prefecture: Any, max_unit_price: Any = None,
               today: date) -> NeedLine:
        """Validates a need line; ``today`` is the server's date, for the needed-by rule."""
        line = cls(
            item=ItemSpec.create(category=category, specification=specification, unit=unit),
            quantity=parse_quantity(quantity),
            needed_by=calendar_date(needed_by, NeededByInvalidError, "needed-by date"),
            delivery_prefecture=Prefecture.parse(str(delivery_prefecture)),
            max_unit_price=None if max_unit_price is None else unit_price(
                max_unit_price, "max unit price"))
        if line.needed_by < today:
            raise NeededByInThePastError(
                f"the needed-by date {line.needed_by} has passed; give a date from {today} on")
        return line

    def changed(self, *, today: date, **changes: Any) -> NeedLine:
        current = {**self.as_event_data(), **changes}
        return NeedLine.create(today=today, **current)

    def __deepcopy__(self, memo: dict[int, Any]) -> NeedLine:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {**self.item.as_event_data(), "quantity": self.quantity,
                "needed_by": self.needed_by, "delivery_prefecture": self.delivery_prefecture.code,
                "max_unit_price": self.max_unit_price}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> NeedLine:
        return cls(item=ItemSpec.from_event_data(data), quantity=data["quantity"],
                   needed_by=data["needed_by"],
                   delivery_prefecture=Prefecture.parse(data["delivery_prefecture"]),
                   max_unit_price=data["max_unit_price"])


class Need(ReplacedNotMutated, Aggregate):
    """A buyer's demand line. It is in at most one lot; while it is, the lot holds the terms."""

    class Posted(Aggregate.Created):
        buyer_id: UUID
        category: str
        specification: str
        unit: str
        quantity: Decimal
        needed_by: date
        delivery_prefecture: str
        max_unit_price: Decimal | None

    class Revised(Aggregate.Event):
        changes: dict[str, Any]
        """Only the fields that changed, in the form of ``Posted``'s fields."""

    class Withdrawn(Aggregate.Event):
        pass

    class Pooled(Aggregate.Event):
        lot_id: UUID

    class Unpooled(Aggregate.Event):
        lot_id: UUID

    class QuotesRequested(Aggregate.Event):
        rfq_id: UUID

    class RfqReleased(Aggregate.Event):
        """The RFQ was cancelled, or awarded without this need's line: the need is free."""

        rfq_id: UUID

    @classmethod
    def post(cls, buyer_id: UUID, line: NeedLine, *, at: datetime) -> Need:
        return cls._create(cls.Posted, timestamp=at, buyer_id=buyer_id, **line.as_event_data())

    def __init__(self, buyer_id: UUID, category: str, specification: str, unit: str,
                 quantity: Decimal, needed_by: date, delivery_prefecture: str,
                 max_unit_price: Decimal | None) -> None:
        self.buyer_id = buyer_id
        self.line = NeedLine.from_event_data({
            "category": category, "specification": specification, "unit": unit,
            "quantity": quantity, "needed_by": needed_by,
            "delivery_prefecture": delivery_prefecture, "max_unit_price": max_unit_price})
        self.lot_id: UUID | None = None
        self.rfq_id: UUID | None = None
        self.withdrawn = False

    def revise(self, *, at: datetime, **changes: Any) -> bool:
        """Replaces the given fields; returns False (and records nothing) if none change."""
        self.require_open("revise")
        before = self.line.as_event_data()
        after = self.line.changed(today=at.date(), **changes).as_event_data()
        changed = {name: value for name, value in after.items() if before[name] != value}
        if not changed:
            return False
        self.trigger_event(self.Revised, timestamp=at, changes=changed)
        return True

    @event(Revised)
    def _revised(self, changes: dict[str, Any]) -> None:
        self.line = NeedLine.from_event_data({**self.line.as_event_data(), **changes})

    def withdraw(self, *, at: datetime) -> None:
        self.require_open("withdraw")
        self.trigger_event(self.Withdrawn, timestamp=at)

    @event(Withdrawn)
    def _withdrawn(self) -> None:
        self.withdrawn = True

    def pool_into(self, lot_id: UUID, *, at: datetime) -> None:
        if self.withdrawn:
            raise NeedWithdrawnError("this need was withdrawn; post a new one to pool it")
        self._require_not_in_rfq()
        if self.lot_id is not None:
            raise NeedAlreadyPooledError(
                f"this need is already pooled in lot {self.lot_id}; a need is in one lot at "
                "most, so withdraw it from that lot first")
        self.trigger_event(self.Pooled, timestamp=at, lot_id=lot_id)

    @event(Pooled)
    def _pooled(self, lot_id: UUID) -> None:
        self.lot_id = lot_id

    def unpool_from(self, lot_id: UUID, *, at: datetime) -> None:
        if self.lot_id != lot_id:
            raise NeedNotPooledError(f"this need is not pooled in lot {lot_id}")
        self.trigger_event(self.Unpooled, timestamp=at, lot_id=lot_id)

    @event(Unpooled)
    def _unpooled(self, lot_id: UUID) -> None:
        self.lot_id = None

    def request_quotes(self, rfq_id: UUID, *, at: datetime) -> None:
        """Puts the need into an RFQ as one of its lines."""
        self.require_open("request quotes for")
        self.trigger_event(self.QuotesRequested, timestamp=at, rfq_id=rfq_id)

    @event(QuotesRequested)
    def _quotes_requested(self, rfq_id: UUID) -> None:
        self.rfq_id = rfq_id

    def release_from_rfq(self, rfq_id: UUID, *, at: datetime) -> None:
        if self.rfq_id == rfq_id:
            self.trigger_event(self.RfqReleased, timestamp=at, rfq_id=rfq_id)

    @event(RfqReleased)
    def _rfq_released(self, rfq_id: UUID) -> None:
        self.rfq_id = None

    def require_open(self, action: str) -> None:
        """Free to change: not withdrawn, not pooled, not in an RFQ; else says what to do."""
        if self.withdrawn:
            raise NeedWithdrawnError(f"this need was withdrawn; there is nothing to {action}")
        if self.lot_id is not None:
            raise NeedIsPooledError(
                f"this need is pooled in lot {self.lot_id}: change or withdraw your commitment "
                "on that lot instead")
        self._require_not_in_rfq()

    def _require_not_in_rfq(self) -> None:
        if self.rfq_id is not None:
            raise NeedInRfqError(
                f"this need is a line of RFQ {self.rfq_id}: amend or cancel that RFQ instead")


class NeededByInvalidError(RuleViolationError):
    """A needed-by date written so that we cannot read it."""

