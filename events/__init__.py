"""Event-sourcing and ledger machinery that knows nothing of procurement."""

from events.clock import Clock, SettableClock, system_clock
from events.database import (
    DatabaseUnavailableError,
    DatabaseURLError,
    check_connection,
    dispose_engine,
    engine_for,
    first_line,
    normalise_url,
    reading,
    safe_url,
    writing,
)
from events.ledger import ConflictError, LedgerApplication
from events.projectors import Projector, Projectors
from events.replay import count_events, rebuild_read_models
from events.store import event_store_metadata, event_store_tables

__all__ = [
    "Clock",
    "ConflictError",
    "DatabaseURLError",
    "DatabaseUnavailableError",
    "LedgerApplication",
    "Projector",
    "Projectors",
    "SettableClock",
    "check_connection",
    "count_events",
    "dispose_engine",
    "engine_for",
    "event_store_metadata",
    "event_store_tables",
    "first_line",
    "normalise_url",
    "reading",
    "rebuild_read_models",
    "safe_url",
    "system_clock",
    "writing",
]
