"""The bid form: its fields and rows as sent, rows added and removed without JavaScript, and
each problem placed next to the field it is about.

Amounts are read with the domain's own readers only to say *which* field is wrong; the bid's
rules are decided by the command, whose errors are then placed by their kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

from marketplace.domain import RuleViolationError, lot_rules
from marketplace.domain import bids as bid_rules
from marketplace.domain.items import calendar_date, quantity, unit_price
from marketplace.domain.sealed_round import LeadTimeInvalidError, lead_time_days
from marketplace.readmodels.lot_queries import BidView, LotView
from web.forms import field as form_field
from web.forms import fields as form_fields

#: Rows a blank form starts with.
BLANK_TIERS = 2
MAX_ROWS = 10

#: Where a rule's message goes: the field it is about ("form": above the form).
FIELD_OF: dict[type[RuleViolationError], str] = {
    bid_rules.CapacityMissingError: "capacity",
    bid_rules.MinimumAboveCapacityError: "minimum_quantity",
    bid_rules.TierScheduleEmptyError: "tiers",
    bid_rules.TooManyPriceBreaksError: "tiers",
    bid_rules.PriceBreaksNotRisingError: "tiers",
    bid_rules.PriceRisesWithVolumeError: "tiers",
    bid_rules.FirstPriceBreakAboveMinimumError: "tiers",
    bid_rules.PriceBreakAboveCapacityError: "tiers",
    bid_rules.ValidityDateInvalidError: "valid_until",
    lot_rules.BidExpiresBeforeCloseError: "valid_until",
    LeadTimeInvalidError: "lead_time_days",
    bid_rules.ConsortiumTooSmallError: "members",
    bid_rules.ConsortiumTooLargeError: "members",
    bid_rules.ConsortiumLeadWithoutShareError: "my_share",
    lot_rules.ConsortiumMemberNotSupplierError: "members",
    lot_rules.ConsortiumMemberNotEligibleError: "members",
}

Say = Callable[[str], str]
#: A rule's refusal as the page shows it (``web.render.error_message`` of the request).
Explain = Callable[[RuleViolationError], str]


@dataclass
class Row:
    """One row of a repeated part: a tier (from quantity, unit price) or a consortium member
    (organisation, share). ``index`` names it in the page, whatever rows came and went."""

    index: int
    first: str = ""
    second: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.first.strip() and not self.second.strip()


@dataclass
class BidForm:
    capacity: str = ""
    minimum_quantity: str = ""
    lead_time_days: str = ""
    valid_until: str = ""
    my_share: str = ""
    tiers: list[Row] = field(default_factory=list)
    members: list[Row] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    """Messages by field name; rows' by "tier:<index>" and "member:<index>"."""

    @classmethod
    def blank(cls, lot: LotView) -> BidForm:
        """An empty form; the validity date proposed a month after the close."""
        valid = (lot.closes_at + timedelta(days=30)).date().isoformat()
        return cls(valid_until=valid, tiers=[Row(i) for i in range(BLANK_TIERS)])

    @classmethod
    def of_bid(cls, bid: BidView) -> BidForm:
        """My bid's terms, to revise them."""
        others = [m for m in bid.members if m.organisation_id != bid.lead_id]
        own = next((m.share for m in bid.members if m.organisation_id == bid.lead_id), None)
        return cls(
            capacity="" if bid.is_consortium else str(bid.capacity),
            minimum_quantity=str(bid.minimum_quantity), lead_time_days=str(bid.lead_time_days),
            valid_until=bid.valid_until.isoformat(), my_share="" if own is None else str(own),
            tiers=[Row(i, str(t.from_quantity), str(t.unit_price))
                   for i, t in enumerate(bid.tiers)],
            members=[Row(i, str(m.organisation_id), str(m.share)) for i, m in enumerate(others)])

    @classmethod
    def sent(cls, data: dict[str, Any]) -> BidForm:
        """The form as the browser sent it (rows in page order)."""
        def rows(prefix: str, first: str, second: str) -> list[Row]:
            indexes = form_fields(data, f"{prefix}_row")
            firsts, seconds = form_fields(data, first), form_fields(data, second)
            return [Row(_index(raw, n), _at(firsts, n), _at(seconds, n))
                    for n, raw in enumerate(indexes)][:MAX_ROWS * 2]
        def text(name: str) -> str:
            return form_field(data, name).strip()
        return cls(
            capacity=text("capacity"), minimum_quantity=text("minimum_quantity"),
            lead_time_days=text("lead_time_days"), valid_until=text("valid_until"),
            my_share=text("my_share"),
            tiers=rows("tier", "tier_from", "tier_price"),
            members=rows("member", "member_org", "member_share"))

    @property
    def next_tier(self) -> int:
        return max((r.index for r in self.tiers), default=-1) + 1

    @property
    def next_member(self) -> int:
        return max((r.index for r in self.members), default=-1) + 1

    def act(self, action: str) -> bool:
        """Adds or removes a row as ``action`` says; False if it is not a row action."""
        kind, _, which = action.partition(":")
        if kind == "add_tier":
            if len(self.tiers) < MAX_ROWS:
                self.tiers.append(Row(self.next_tier))
        elif kind == "add_member":
            if len(self.members) < MAX_ROWS:
                self.members.append(Row(self.next_member))
        elif kind == "remove_tier":
            self.tiers = [r for r in self.tiers if str(r.index) != which]
        elif kind == "remove_member":
            self.members = [r for r in self.members if str(r.index) != which]
        else:
            return False
        return True

    def terms(self, lead_id: UUID, say: Say, explain: Explain) -> dict[str, Any] | None:
        """The bid's terms as ``place_bid`` takes them, or None with ``errors`` filled in."""
        self.errors = {}

        def check(name: str, read: Callable[[], object]) -> None:
            self._check(name, read, explain)

        tiers = [r for r in self.tiers if not r.is_blank]
        for row in tiers:
            check(f"tier:{row.index}", partial(
                quantity, row.first, "price break quantity", allow_zero=True))
            check(f"tier:{row.index}", partial(unit_price, row.second))
        members = [r for r in self.members if not r.is_blank]
        shares: dict[UUID, str] | None = None
        if members:
            check("my_share", lambda: quantity(self.my_share, "capacity share"))
            shares = {lead_id: self.my_share}
            for row in members:
                organisation = _uuid(row.first)
                if organisation is None:
                    self.errors[f"member:{row.index}"] = say("Choose the member organisation.")
                elif organisation == lead_id or organisation in shares:
                    self.errors[f"member:{row.index}"] = say(
                        "Name each organisation once; your own share goes above.")
                else:
                    shares[organisation] = row.second
                    check(f"member:{row.index}", partial(
                        quantity, row.second, "capacity share"))
        elif self.capacity:
            check("capacity", lambda: quantity(self.capacity, "capacity"))
        check("minimum_quantity", lambda: quantity(self.minimum_quantity,
                                                   "minimum quantity"))
        check("lead_time_days", lambda: lead_time_days(self.lead_time_days))
        check("valid_until", lambda: calendar_date(
            self.valid_until, bid_rules.ValidityDateInvalidError, "validity date"))
        if self.errors:
            return None
        return {"tiers": [{"from_quantity": r.first, "unit_price": r.second} for r in tiers],
                "minimum_quantity": self.minimum_quantity,
                "lead_time_days": self.lead_time_days, "valid_until": self.valid_until,
                "capacity": None if members else (self.capacity or None),
                "shares": shares or {}}

    def refused(self, error: RuleViolationError, message: str) -> None:
        """Places the command's refusal (``message``, as the page shows it) next to the
        field it is about."""
        self.errors[FIELD_OF.get(type(error), "form")] = message

    def _check(self, name: str, read: Callable[[], object], explain: Explain) -> None:
        if name in self.errors:
            return
        try:
            read()
        except RuleViolationError as error:
            self.errors[name] = explain(error)


def _index(raw: str, default: int) -> int:
    try:
        return max(0, min(int(raw), 10_000))
    except ValueError:
        return default


def _at(values: list[str], n: int) -> str:
    return values[n].strip() if n < len(values) else ""


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text.strip())
    except ValueError:
        return None
