"""What a lot's clearing starts from: the buyers' pooled needs, the bids, and the options.

The engine reads the same shape from a lot on the ledger and from a JSON file
(``marketplace allocate``); `docs/allocation.md` documents it. A field that cannot be read
raises `AllocationInputError` naming the field, e.g. ``bids[1].tiers[0].unit_price``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any, TypeVar

from marketplace.domain.errors import RuleViolationError
from marketplace.domain.items import Currency, quantity, unit_price

_T = TypeVar("_T")

MAX_BUYERS = 5000
MAX_BIDS = 500
MAX_TIERS = 10
MAX_ID_LENGTH = 100


class AllocationInputError(RuleViolationError):
    """The allocation input names a field that is missing, malformed or inconsistent."""

    located = False


@dataclass(frozen=True)
class Tier:
    """All-units pricing: from ``min_quantity`` awarded, every unit costs ``unit_price``."""

    min_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class Member:
    """A consortium member and the capacity it contributes to the bid."""

    id: str
    share: Decimal


@dataclass(frozen=True)
class BuyerNeed:
    """One pooled need: served in full or not at all, never above ``max_unit_price``."""

    id: str
    quantity: Decimal
    max_unit_price: Decimal | None
    region: str


@dataclass(frozen=True)
class BidOffer:
    """One bid: tiers, capacity, minimum award, members' shares, and delivery cost per region.

    ``delivery_cost`` None means the prices are delivered prices everywhere; a mapping means the
    bid delivers only to the regions it lists, at that extra cost per unit.
    """

    id: str
    capacity: Decimal
    min_quantity: Decimal
    tiers: tuple[Tier, ...]
    delivery_cost: dict[str, Decimal] | None
    members: tuple[Member, ...] = ()

    def price_for(self, awarded: Decimal) -> Decimal | None:
        """The price of every unit when ``awarded`` units go to this bid (None below tier 1)."""
        tier = self.tier_for(awarded)
        return None if tier is None else tier.unit_price

    def tier_for(self, awarded: Decimal) -> Tier | None:
        reached = None
        for tier in self.tiers:
            if awarded >= tier.min_quantity:
                reached = tier
        return reached

    def delivers_to(self, region: str) -> bool:
        return self.delivery_cost is None or region in self.delivery_cost

    def delivery_to(self, region: str) -> Decimal:
        return Decimal(0) if self.delivery_cost is None else self.delivery_cost[region]


@dataclass(frozen=True)
class Options:
    """Rules the lot sets on the clearing; None means no limit."""

    max_suppliers: int | None = None


@dataclass(frozen=True)
class AllocationInput:
    """The whole input. The order of ``buyers`` and ``bids`` breaks ties: earlier wins."""

    currency: str
    unit: str
    buyers: tuple[BuyerNeed, ...]
    bids: tuple[BidOffer, ...]
    options: Options = Options()

    def as_json(self) -> dict[str, Any]:
        """The canonical JSON form: what `parse_input` reads and what the digest is over."""
        return {
            "currency": self.currency, "unit": self.unit,
            "buyers": [{"id": b.id, "quantity": str(b.quantity),
                        "max_unit_price": _text(b.max_unit_price), "region": b.region}
                       for b in self.buyers],
            "bids": [{"id": s.id, "capacity": str(s.capacity),
                      "min_quantity": str(s.min_quantity),
                      "tiers": [{"min_quantity": str(t.min_quantity),
                                 "unit_price": str(t.unit_price)} for t in s.tiers],
                      "delivery_cost": None if s.delivery_cost is None else {
                          region: str(cost) for region, cost in sorted(s.delivery_cost.items())},
                      "members": [{"id": m.id, "share": str(m.share)} for m in s.members]}
                     for s in self.bids],
            "options": {"max_suppliers": self.options.max_suppliers},
        }

    @property
    def digest(self) -> str:
        """SHA-256 over the canonical JSON form, so two equal inputs have one digest."""
        return "sha256:" + hashlib.sha256(canonical_json(self.as_json())).hexdigest()


def canonical_json(document: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the byte form digests and files are made of."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def parse_input(document: Any) -> AllocationInput:
    """Reads an input document (parsed JSON); raises AllocationInputError naming the field."""
    reader = _Reader()
    with reader.field(""):  # named "the input", like every other field that cannot be read
        root = reader.mapping(document, {"currency", "unit", "buyers", "bids", "options"})
    with reader.field("currency"):
        currency = Currency.parse(root.get("currency", "JPY")).value
    with reader.field("unit"):
        unit = reader.text(root.get("unit"))
    buyers = tuple(reader.each(root, "buyers", _buyer, MAX_BUYERS))
    bids = tuple(reader.each(root, "bids", _bid, MAX_BIDS))
    reader.unique("buyers", [b.id for b in buyers])
    reader.unique("bids", [s.id for s in bids])
    with reader.field("options"):
        options = _options(reader, root.get("options") or {})
    return AllocationInput(currency=currency, unit=unit, buyers=buyers, bids=bids,
                           options=options)


def _buyer(reader: _Reader, raw: Any) -> BuyerNeed:
    data = reader.mapping(raw, {"id", "quantity", "max_unit_price", "region"})
    with reader.field("id"):
        buyer_id = reader.text(data.get("id"))
    with reader.field("quantity"):
        wanted = quantity(reader.present(data, "quantity"))
    with reader.field("max_unit_price"):
        limit = data.get("max_unit_price")
        max_price = None if limit is None else unit_price(limit, "max unit price")
    with reader.field("region"):
        region = reader.text(data.get("region"))
    return BuyerNeed(id=buyer_id, quantity=wanted, max_unit_price=max_price, region=region)


def _bid(reader: _Reader, raw: Any) -> BidOffer:
    data = reader.mapping(
        raw, {"id", "capacity", "min_quantity", "tiers", "delivery_cost", "members"})
    with reader.field("id"):
        bid_id = reader.text(data.get("id"))
    members = tuple(reader.each(data, "members", _member, MAX_BUYERS, required=False))
    reader.unique("members", [m.id for m in members])
    shares = sum((m.share for m in members), Decimal(0))
    with reader.field("capacity"):
        if data.get("capacity") is None and members:
            capacity = shares
        else:
            capacity = quantity(reader.present(data, "capacity"), "capacity")
        if members and capacity > shares:
            raise AllocationInputError(
                f"the capacity {capacity} is more than the members' shares add up to ({shares})")
    with reader.field("min_quantity"):
        minimum = quantity(data.get("min_quantity", 0), "minimum quantity", allow_zero=True)
        if minimum > capacity:
            raise AllocationInputError(
                f"the minimum quantity {minimum} is more than the capacity {capacity}")
    tiers = tuple(reader.each(data, "tiers", _tier, MAX_TIERS))
    with reader.field("tiers"):
        _check_tiers(tiers, minimum)
    with reader.field("delivery_cost"):
        delivery = _delivery(reader, data.get("delivery_cost"))
    return BidOffer(id=bid_id, capacity=capacity, min_quantity=minimum, tiers=tiers,
                    delivery_cost=delivery, members=members)


def _member(reader: _Reader, raw: Any) -> Member:
    data = reader.mapping(raw, {"id", "share"})
    with reader.field("id"):
        member_id = reader.text(data.get("id"))
    with reader.field("share"):
        share = quantity(reader.present(data, "share"), "share")
    return Member(id=member_id, share=share)


def _tier(reader: _Reader, raw: Any) -> Tier:
    data = reader.mapping(raw, {"min_quantity", "unit_price"})
    with reader.field("min_quantity"):
        start = quantity(reader.present(data, "min_quantity"), "tier quantity", allow_zero=True)
    with reader.field("unit_price"):
        price = unit_price(reader.present(data, "unit_price"))
    return Tier(min_quantity=start, unit_price=price)


def _check_tiers(tiers: tuple[Tier, ...], minimum: Decimal) -> None:
    if not tiers:
        raise AllocationInputError("give at least one tier")
    for before, after in pairwise(tiers):
        if after.min_quantity <= before.min_quantity:
            raise AllocationInputError("list the tiers by strictly rising min_quantity")
        if after.unit_price > before.unit_price:
            raise AllocationInputError(
                f"the tier from {after.min_quantity} costs more per unit than the one before; "
                "all-units tiers never rise in price")
    if tiers[0].min_quantity > minimum:
        raise AllocationInputError(
            f"the first tier starts at {tiers[0].min_quantity}, above the minimum quantity "
            f"{minimum}: price every quantity the bid accepts")


def _delivery(reader: _Reader, raw: Any) -> dict[str, Decimal] | None:
    if raw is None:
        return None
    costs = reader.mapping(raw)
    delivery: dict[str, Decimal] = {}
    for region, cost in costs.items():
        with reader.field(str(region)):
            delivery[reader.text(region)] = _delivery_cost(cost)
    return delivery


def _delivery_cost(value: Any) -> Decimal:
    return unit_price(value, "delivery cost", allow_zero=True)


def _options(reader: _Reader, raw: Any) -> Options:
    data = reader.mapping(raw, {"max_suppliers"})
    limit = data.get("max_suppliers")
    if limit is None:
        return Options()
    with reader.field("max_suppliers"):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise AllocationInputError(f"{limit!r} is not a whole number of suppliers from 1")
    return Options(max_suppliers=limit)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class _Reader:
    """Keeps the path of the field being read, so every error names it."""

    def __init__(self) -> None:
        self.path: list[str] = []

    @contextmanager
    def field(self, name: str) -> Iterator[None]:
        self.path.append(name)
        try:
            yield
        except RuleViolationError as error:
            if isinstance(error, AllocationInputError) and error.located:
                raise
            located = AllocationInputError(f"{self.where}: {error}")
            located.located = True
            raise located from None
        finally:
            self.path.pop()

    @property
    def where(self) -> str:
        text = ""
        for part in self.path:
            if not part:
                continue
            text += part if part.startswith("[") or not text else "." + part
        return text or "the input"

    def each(self, data: dict[str, Any], name: str, read: Callable[[_Reader, Any], _T],
                limit: int, *, required: bool = True) -> Iterator[_T]:
        with self.field(name):
            raw = data.get(name)
            if raw is None and not required:
                return
            if not isinstance(raw, list):
                raise AllocationInputError("must be a list")
            if len(raw) > limit:
                raise AllocationInputError(f"{len(raw)} entries; at most {limit}")
        for index, item in enumerate(raw):
            with self.field(name), self.field(f"[{index}]"):
                yield read(self, item)

    def unique(self, name: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for index, item in enumerate(ids):
            if item in seen:
                # Through `field`, so a member's path reads bids[0].members[1].id like any other.
                with self.field(name), self.field(f"[{index}]"), self.field("id"):
                    raise AllocationInputError(f"{item!r} appears twice")
            seen.add(item)

    @staticmethod
    def mapping(raw: Any, fields: set[str] | None = None) -> dict[str, Any]:
        """An object; with ``fields``, one that has no other (a misspelt field is an error,
        not a default: ``max_price`` must not silently mean "no max price")."""
        if not isinstance(raw, dict):
            raise AllocationInputError("must be an object")
        unknown = sorted(set(raw) - fields) if fields is not None else []
        if unknown:
            raise AllocationInputError(
                f"unknown field {unknown[0]!r}; the fields are {', '.join(sorted(fields or ()))}")
        return raw

    @staticmethod
    def present(data: dict[str, Any], name: str) -> Any:
        if data.get(name) is None:
            raise AllocationInputError("is missing")
        return data[name]

    @staticmethod
    def text(raw: Any) -> str:
        if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_ID_LENGTH:
            raise AllocationInputError(f"must be text of 1 to {MAX_ID_LENGTH} characters")
        return raw.strip()
