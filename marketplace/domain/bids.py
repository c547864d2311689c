"""Bids: a supplier's sealed offer on a lot, alone or as a consortium that pools capacity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import UUID

from marketplace.domain import sealed_round
from marketplace.domain.errors import RuleViolationError
from marketplace.domain.items import calendar_date, quantity, unit_price
from marketplace.domain.prefectures import Prefecture

MAX_PRICE_BREAKS = 10
MAX_CONSORTIUM_MEMBERS = 10


class TierScheduleEmptyError(RuleViolationError):
    """A bid prices at least one quantity."""


class TooManyPriceBreaksError(RuleViolationError):
    """More price breaks than a buyer could compare."""


class PriceBreaksNotRisingError(RuleViolationError):
    """Each price break starts at a larger quantity than the one before."""


class PriceRisesWithVolumeError(RuleViolationError):
    """A volume tier never costs more per unit than a smaller one."""


class FirstPriceBreakAboveMinimumError(RuleViolationError):
    """Every quantity the bid accepts has a price."""


class PriceBreakAboveCapacityError(RuleViolationError):
    """A price break the supplier could never reach."""


class MinimumAboveCapacityError(RuleViolationError):
    """A minimum quantity larger than the capacity can never be awarded."""


class ValidityDateInvalidError(RuleViolationError):
    """A validity date written so that we cannot read it."""


class ConsortiumTooSmallError(RuleViolationError):
    """A consortium is its lead and at least one other member."""


class ConsortiumTooLargeError(RuleViolationError):
    """More members than one bid can coordinate."""


class ConsortiumLeadWithoutShareError(RuleViolationError):
    """The lead of a consortium states its own share too."""


class DeliveryCostsInvalidError(RuleViolationError):
    """Delivery costs are a price per unit for each prefecture the bid delivers to."""


class CapacityMissingError(RuleViolationError):
    """A bid alone states its capacity; a consortium's is the sum of its members' shares."""


@dataclass(frozen=True)
class PriceBreak:
    """From ``from_quantity`` awarded, every unit costs ``unit_price`` (all-units pricing)."""

    from_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class TierSchedule:
    """All-units price breaks by awarded quantity: thresholds strictly rise, prices never rise."""

    breaks: tuple[PriceBreak, ...]

    @classmethod
    def create(cls, raw: Any) -> TierSchedule:
        breaks = tuple(_price_break(item) for item in raw or ())
        if not breaks:
            raise TierScheduleEmptyError(
                "give at least one price break: the quantity it starts from and its unit price")
        if len(breaks) > MAX_PRICE_BREAKS:
            raise TooManyPriceBreaksError(
                f"{len(breaks)} price breaks given; keep at most {MAX_PRICE_BREAKS}")
        for before, after in pairwise(breaks):
            if after.from_quantity <= before.from_quantity:
                raise PriceBreaksNotRisingError(
                    f"the price break from {after.from_quantity} follows the one from "
                    f"{before.from_quantity}; list the breaks by strictly rising quantity")
            if after.unit_price > before.unit_price:
                raise PriceRisesWithVolumeError(
                    f"the unit price {after.unit_price} from {after.from_quantity} is higher than "
                    f"{before.unit_price} from {before.from_quantity}; a larger award may not "
                    "cost more per unit")
        return cls(breaks)

    def price_for(self, awarded: Decimal) -> Decimal | None:
        """The unit price of every unit when ``awarded`` units are awarded (None below tier 1)."""
        price = None
        for price_break in self.breaks:
            if awarded >= price_break.from_quantity:
                price = price_break.unit_price
        return price

    def as_event_data(self) -> list[dict[str, Decimal]]:
        return [{"from_quantity": b.from_quantity, "unit_price": b.unit_price}
                for b in self.breaks]

    @classmethod
    def from_event_data(cls, data: list[dict[str, Decimal]]) -> TierSchedule:
        return cls(tuple(PriceBreak(item["from_quantity"], item["unit_price"]) for item in data))


def _price_break(item: Any) -> PriceBreak:
    if not isinstance(item, dict) or not {"from_quantity", "unit_price"} <= set(item):
        raise TierScheduleEmptyError(
            "each price break is {'from_quantity': ..., 'unit_price': ...}")
    # The first break may start from 0: "any quantity".
    return PriceBreak(quantity(item["from_quantity"], "price break quantity", allow_zero=True),
                      unit_price(item["unit_price"]))


@dataclass(frozen=True)
class BidTerms:
    """What a bid offers besides its members: prices, capacity, minimum, lead time, validity.

    ``capacity`` is None for a consortium, whose capacity is the sum of its members' shares.
    ``delivery_costs`` None: the prices are delivered prices anywhere in the lot; otherwise
    the bid delivers only to the prefectures listed (by ISO code), at that cost per unit.
    """

    tiers: TierSchedule
    capacity: Decimal | None
    minimum_quantity: Decimal
    lead_time_days: int
    valid_until: date
    delivery_costs: dict[str, Decimal] | None = None

    @classmethod
    def create(cls, *, tiers: Any, minimum_quantity: Any, lead_time_days: Any,
               valid_until: Any, capacity: Any = None,
               shares: dict[UUID, Decimal] | None = None,
               delivery_costs: Any = None) -> BidTerms:
        """Validates the terms against the capacity (given, or the sum of ``shares``)."""
        schedule = TierSchedule.create(tiers)
        minimum = quantity(minimum_quantity, "minimum quantity")
        if shares:
            own_capacity = None
            total = sum(shares.values(), Decimal(0))
        elif capacity is None:
            raise CapacityMissingError("state the capacity: the most you can supply to this lot")
        else:
            own_capacity = total = quantity(capacity, "capacity")
        if minimum > total:
            raise MinimumAboveCapacityError(
                f"the minimum quantity {minimum} is more than the capacity {total}")
        first = schedule.breaks[0].from_quantity
        if first > minimum:
            raise FirstPriceBreakAboveMinimumError(
                f"you accept awards from {minimum} but your first price break starts at "
                f"{first}; add a price from {minimum} or raise the minimum quantity")
        last = schedule.breaks[-1].from_quantity
        if last > total:
            raise PriceBreakAboveCapacityError(
                f"the price break from {last} is above the capacity {total}, so it could never "
                "apply; remove it or raise the capacity")
        return cls(tiers=schedule, capacity=own_capacity, minimum_quantity=minimum,
                   lead_time_days=sealed_round.lead_time_days(lead_time_days),
                   valid_until=calendar_date(valid_until, ValidityDateInvalidError,
                                             "validity date"),
                   delivery_costs=_delivery_costs(delivery_costs))

    def __deepcopy__(self, memo: dict[int, Any]) -> BidTerms:
        return self  # immutable: aggregates copied from the cache may share it

    def as_event_data(self) -> dict[str, Any]:
        return {"tiers": self.tiers.as_event_data(), "capacity": self.capacity,
                "minimum_quantity": self.minimum_quantity,
                "lead_time_days": self.lead_time_days, "valid_until": self.valid_until,
                "delivery_costs": self.delivery_costs}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> BidTerms:
        return cls(tiers=TierSchedule.from_event_data(data["tiers"]), capacity=data["capacity"],
                   minimum_quantity=data["minimum_quantity"],
                   lead_time_days=data["lead_time_days"], valid_until=data["valid_until"],
                   delivery_costs=data.get("delivery_costs"))  # absent before delivery costs


def consortium_shares(lead_id: UUID, raw: Any) -> dict[UUID, Decimal]:
    """Members' capacity shares, the lead's included; {} for a bid alone."""
    if not raw:
        return {}
    shares: dict[UUID, Decimal] = {}
    for member_id, share in raw.items():
        shares[member_id] = quantity(share, "capacity share")
    if lead_id not in shares:
        raise ConsortiumLeadWithoutShareError(
            "as the consortium's lead, list your own capacity share among the members")
    if len(shares) < 2:
        raise ConsortiumTooSmallError(
            "a consortium needs at least one member besides its lead; bid alone otherwise")
    if len(shares) > MAX_CONSORTIUM_MEMBERS:
        raise ConsortiumTooLargeError(
            f"{len(shares)} members named; a consortium has at most {MAX_CONSORTIUM_MEMBERS}")
    return shares


@dataclass(frozen=True)
class Bid:
    """One bid on a lot, as the lot holds it: the lead's terms and, for a consortium, its members.

    A consortium bid counts only once every named member has accepted its share; its capacity
    is the sum of the accepted shares. The lead's own share is accepted by placing the bid.
    """

    bid_id: UUID
    lead_id: UUID
    terms: BidTerms
    shares: dict[UUID, Decimal] = field(default_factory=dict)
    accepted: frozenset[UUID] = frozenset()
    declined: frozenset[UUID] = frozenset()

    @property
    def is_consortium(self) -> bool:
        return bool(self.shares)

    @property
    def counts(self) -> bool:
        return not self.is_consortium or self.accepted >= set(self.shares)

    @property
    def capacity(self) -> Decimal:
        if not self.is_consortium:
            assert self.terms.capacity is not None  # noqa: S101 (guaranteed by BidTerms)
            return self.terms.capacity
        return sum((self.shares[member] for member in self.accepted), Decimal(0))

    @property
    def members(self) -> frozenset[UUID]:
        """Every organisation that bids through this bid (the lead included)."""
        return frozenset(self.shares) | {self.lead_id}

    def __deepcopy__(self, memo: dict[int, Any]) -> Bid:
        return self  # immutable: aggregates copied from the cache may share it


def shares_as_event_data(shares: dict[UUID, Decimal]) -> list[dict[str, Any]]:
    return [{"organisation_id": member, "share": share}
            for member, share in sorted(shares.items(), key=lambda item: str(item[0]))]


def shares_from_event_data(data: list[dict[str, Any]]) -> dict[UUID, Decimal]:
    return {item["organisation_id"]: item["share"] for item in data}


def _delivery_costs(raw: Any) -> dict[str, Decimal] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise DeliveryCostsInvalidError(
            "give delivery costs as {prefecture: cost per unit}, e.g. {'Gunma': '5'}, "
            "or leave them out if your prices include delivery")
    costs: dict[str, Decimal] = {}
    for name, cost in raw.items():
        code = Prefecture.parse(str(name)).code
        if code in costs:
            raise DeliveryCostsInvalidError(f"{name!r} names a prefecture listed twice")
        costs[code] = unit_price(cost, "delivery cost", allow_zero=True)
    return dict(sorted(costs.items()))

