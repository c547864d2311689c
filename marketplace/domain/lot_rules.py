"""The rules a lot enforces, each a named error whose message says what to change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import UUID

from marketplace.domain.bids import Bid, BidTerms
from marketplace.domain.eligibility import Eligibility, Participant
from marketplace.domain.errors import NotFoundError, NotPermittedError, RuleViolationError
from marketplace.domain.items import (
    Currency,
    ItemSpec,
    Unit,
    quantity,
    unit_price,
    whole_number,
)
from marketplace.domain.organisation import Role
from marketplace.domain.sealed_round import (
    JST,
    MAX_OPEN_DAYS,
    jst,
    reason,
    require_future_deadline,
    require_valid_through,
)

MAX_THRESHOLDS = 10
MAX_SUPPLIERS_LIMIT = 100


class LotClosedError(RuleViolationError):
    """After its close time a lot takes no pooling and no bids."""


class LotCancelledError(RuleViolationError):
    """A cancelled lot takes nothing more."""


class LotNotDueError(RuleViolationError):
    """A lot closes at its close time, not before."""


class LotNotClosedError(RuleViolationError):
    """A lot is cleared only once its close is recorded."""


class LotAlreadyAllocatedError(RuleViolationError):
    """A lot is cleared once; its allocation is never replaced."""


class MaxSuppliersInvalidError(RuleViolationError):
    """The most suppliers a lot awards is a whole number from 1."""


class CloseTimeInvalidError(RuleViolationError):
    """A close time is an instant in the future, with its time zone, within a year."""


class ThresholdsNotRisingError(RuleViolationError):
    """Announced volume thresholds are listed by strictly rising quantity."""


class TooManyThresholdsError(RuleViolationError):
    """More announced thresholds than a buyer could follow."""


class CancelReasonMissingError(RuleViolationError):
    """Buyers and suppliers are told why a lot was cancelled."""


class NotLotOrganiserError(NotPermittedError):
    """Only the organiser of a lot cancels it."""


class UnitMismatchError(RuleViolationError):
    """Everything in a lot is counted in the lot's unit."""


class CategoryMismatchError(RuleViolationError):
    """Only needs of the lot's category pool together."""


class CurrencyMismatchError(RuleViolationError):
    """Bids are priced in the lot's currency."""


class NeedAlreadyInLotError(RuleViolationError):
    """A need is pooled into a lot once; its commitment is then changed, not pooled again."""


class CommitmentAboveNeedError(RuleViolationError):
    """A buyer commits at most the quantity it needs."""


class CommitmentNotFoundError(NotFoundError):
    """The buyer has no commitment of this need in this lot."""


class BidderNotJoinedError(RuleViolationError):
    """A supplier joins a lot before bidding on it."""


class AlreadyBiddingError(RuleViolationError):
    """A supplier bids once per lot: alone or as one consortium's member."""


class BidNotFoundError(NotFoundError):
    """No bid of the caller's has this id (other bids are sealed)."""


class NotConsortiumLeadError(NotPermittedError):
    """Only a consortium's lead revises or withdraws its bid."""


class LeadCannotDeclineError(RuleViolationError):
    """A lead withdraws its consortium's bid rather than declining it."""


class BidExpiresBeforeCloseError(RuleViolationError):
    """A bid stays valid at least until the lot closes."""


class ConsortiumMemberNotSupplierError(RuleViolationError):
    """Every consortium member is a supplier."""


class ConsortiumMemberNotEligibleError(RuleViolationError):
    """Every consortium member is eligible for the lot."""


def require_future_close(closes_at: datetime, at: datetime) -> None:
    require_future_deadline(closes_at, at, what="close time", error=CloseTimeInvalidError)


def thresholds(raw: Any) -> tuple[Decimal, ...]:
    """Announced volume thresholds (e.g. 1 t, 5 t, 10 t), strictly rising."""
    values = tuple(quantity(value, "volume threshold") for value in raw or ())
    if len(values) > MAX_THRESHOLDS:
        raise TooManyThresholdsError(
            f"{len(values)} thresholds given; announce at most {MAX_THRESHOLDS}")
    for before, after in pairwise(values):
        if after <= before:
            raise ThresholdsNotRisingError(
                f"the threshold {after} follows {before}; list thresholds by rising quantity")
    return values


def cancel_reason(raw: Any) -> str:
    return reason(raw, why="the lot is cancelled", error=CancelReasonMissingError)


def require_same_item(lot_item: ItemSpec, need_item: ItemSpec) -> None:
    if need_item.unit is not lot_item.unit:
        raise UnitMismatchError(
            f"the need is counted in {need_item.unit} but this lot in {lot_item.unit}; "
            f"revise the need to {lot_item.unit} first")
    if need_item.category != lot_item.category:
        raise CategoryMismatchError(
            f"the need is for {need_item.category!r} but this lot pools "
            f"{lot_item.category!r}; pool it into a lot of its own category")


def commitment_quantity(raw: Any, needed: Decimal) -> Decimal:
    committed = needed if raw is None else quantity(raw, "committed quantity")
    if committed > needed:
        raise CommitmentAboveNeedError(
            f"you need {needed} but would commit {committed}; commit at most what you need, "
            "or revise the need first")
    return committed


def max_price(raw: Any, default: Decimal | None) -> Decimal | None:
    return default if raw is None else unit_price(raw, "max unit price")


def require_terms_of_lot(item: ItemSpec, lot_currency: Currency, closes_at: datetime,
                         terms: BidTerms, *, unit: Any, currency: Any,
                         shares: dict[UUID, Decimal]) -> None:
    if (terms.capacity is None) != bool(shares):
        # BidTerms.create decides this from the same shares; a mismatch is a programming error.
        raise TypeError("a bid states its own capacity exactly when it has no consortium shares")
    if unit is not None and Unit.parse(unit) is not item.unit:
        raise UnitMismatchError(
            f"your bid is priced per {Unit.parse(unit)} but this lot trades in {item.unit}; "
            f"convert your prices and quantities to {item.unit}")
    if currency is not None and Currency.parse(currency) is not lot_currency:
        raise CurrencyMismatchError(
            f"your bid is in {currency} but this lot settles in {lot_currency}")
    require_valid_through(terms.valid_until, closes_at, offer="bid", round_="lot",
                          error=BidExpiresBeforeCloseError)


def require_consortium(lead_id: UUID, shares: dict[UUID, Decimal],
                       members: dict[UUID, Participant], eligibility: Eligibility) -> None:
    """Every member other than the lead is a known, eligible supplier."""
    for member_id in shares:
        if member_id == lead_id:
            continue
        member = members.get(member_id)
        if member is None or Role.SUPPLIER not in member.roles:
            raise ConsortiumMemberNotSupplierError(
                f"consortium member {member_id} is not a supplier of the marketplace")
        if not eligibility.admits(member):
            raise ConsortiumMemberNotEligibleError(
                f"consortium member {member_id} may not take part: this lot is open to "
                f"{eligibility.describe()}")


def max_suppliers(value: Any) -> int | None:
    """The most suppliers the lot's clearing may award (None: as many as is cheapest)."""
    if value is None:
        return None
    number = whole_number(value, 1, MAX_SUPPLIERS_LIMIT)
    if number is None:
        raise MaxSuppliersInvalidError(
            f"{value!r} is not a number of suppliers; give a whole number from 1 to "
            f"{MAX_SUPPLIERS_LIMIT}, or leave it out")
    return number


def led_bid(bids: dict[UUID, Bid], lead_id: UUID, bid_id: UUID) -> Bid:
    """The bid ``lead_id`` leads; a named member that is not the lead may not change it."""
    bid = bids.get(bid_id)
    if bid is None or lead_id not in bid.members:
        raise BidNotFoundError(f"you have no bid {bid_id} on this lot")
    if bid.lead_id != lead_id:
        raise NotConsortiumLeadError("only the consortium's lead changes its bid")
    return bid


def member_bid(bids: dict[UUID, Bid], member_id: UUID, bid_id: UUID) -> Bid:
    bid = bids.get(bid_id)
    if bid is None or member_id not in bid.members:
        raise BidNotFoundError(f"you are not named in a bid {bid_id} on this lot")
    return bid


def require_not_bidding(current: Bid | None) -> None:
    if current is not None:
        raise AlreadyBiddingError(
            "your organisation already bids on this lot (alone or in a consortium); "
            "revise or withdraw that bid instead")


__all__ = ["JST", "MAX_OPEN_DAYS", "jst"]  # re-exported: lots' messages, pages, pooling use them
