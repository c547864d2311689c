"""Time comes from an injected clock; the domain never reads the system time itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The server's clock in UTC: it decides deadlines, whatever the sender's clock says."""
    return datetime.now(UTC)


class SettableClock:
    """A clock that stands still until moved; for tests, demos and benchmarks."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock's time must be timezone-aware")
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
