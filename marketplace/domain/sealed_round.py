"""What a pooled lot and an RFQ share: a round of sealed offers that ends at a deadline.

A lot is many buyers' round and an RFQ one buyer's, but the rules of the round are the same
and live here once: the deadline is an instant with its time zone, in the future and within a
year; the server's receive time decides it (before it an offer may be accepted, at or after it
never, and nothing is recorded); a cancelled round takes nothing more, and says why; an offer
stays valid at least until the deadline; lead times are whole days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar

from marketplace.domain.errors import RuleViolationError
from marketplace.domain.items import whole_number

JST = timezone(timedelta(hours=9), "JST")  # the cluster's clock, for messages; no DST in Japan
MAX_OPEN_DAYS = 365
MAX_REASON_LENGTH = 500
MAX_LEAD_TIME_DAYS = 365
#: Longer than a command may wait for the write lock (30 s: SQLite's busy timeout, the
#: ledger's lock_timeout on PostgreSQL), so every command received before a deadline has
#: been decided, or has given up, before the close of its lot or RFQ is recorded.
SETTLE = timedelta(seconds=60)


class DeadlineInvalidError(RuleViolationError):
    """A close time or deadline is an instant in the future, with its time zone, within a year."""


class LeadTimeInvalidError(RuleViolationError):
    """A lead time is a whole number of days from 0 to 365."""


def jst(instant: datetime) -> str:
    return instant.astimezone(JST).strftime("%Y-%m-%d %H:%M JST")


def require_future_deadline(deadline: datetime, at: datetime, *, what: str,
                            error: type[RuleViolationError] = DeadlineInvalidError) -> None:
    """``what`` names the instant in the buyer's words: "close time", "deadline"."""
    if deadline.tzinfo is None:
        raise error(f"give the {what} with its time zone, e.g. 2026-12-01T17:00:00+09:00")
    if deadline <= at:
        raise error(f"the {what} {deadline.isoformat()} has passed; choose a time in the future")
    if deadline - at > timedelta(days=MAX_OPEN_DAYS):
        raise error(f"a round of offers stays open at most {MAX_OPEN_DAYS} days; choose an "
                    f"earlier {what}")


def reason(raw: Any, *, why: str, error: type[RuleViolationError]) -> str:
    """A reason told to every party, e.g. why="the lot is cancelled"; one line, bounded."""
    text = " ".join(str(raw or "").split())
    if not text or len(text) > MAX_REASON_LENGTH:
        raise error(f"say in 1 to {MAX_REASON_LENGTH} characters why {why}")
    return text


def require_valid_through(valid_until: date, deadline: datetime, *, offer: str, round_: str,
                          error: type[RuleViolationError]) -> None:
    """An offer stays valid at least until its round's deadline (its date in JST)."""
    closing_day = deadline.astimezone(JST).date()
    if valid_until < closing_day:
        raise error(f"your {offer} is valid until {valid_until} but the {round_} closes on "
                    f"{closing_day}; keep it valid at least until then")


def lead_time_days(value: Any) -> int:
    days = whole_number(value, 0, MAX_LEAD_TIME_DAYS)
    if days is None:
        raise LeadTimeInvalidError(
            f"the lead time {value!r} must be a whole number of days from 0 to "
            f"{MAX_LEAD_TIME_DAYS}")
    return days


class SealedRound:
    """Mixed into the aggregates that run a round: a lot, an RFQ.

    They keep ``closes_at``, ``cancel_reason`` and ``closed`` and name the errors their
    parties see, so a buyer reads "this RFQ closed at ..." where a lot says "this lot".
    """

    closes_at: datetime
    cancel_reason: str | None
    closed: bool

    round_noun: ClassVar[str]
    ClosedError: ClassVar[type[RuleViolationError]]
    CancelledError: ClassVar[type[RuleViolationError]]

    def is_open_at(self, at: datetime) -> bool:
        return self.cancel_reason is None and not self.closed and at < self.closes_at

    def _require_open(self, at: datetime) -> None:
        if self.cancel_reason is not None:
            raise self.CancelledError(
                f"this {self.round_noun} was cancelled ({self.cancel_reason}); "
                "nothing was recorded")
        if self.closed or at >= self.closes_at:
            raise self.ClosedError(
                f"this {self.round_noun} closed at {jst(self.closes_at)}; nothing was recorded")
