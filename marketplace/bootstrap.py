"""Opening the marketplace: settings checked, database reachable, schema current."""

from __future__ import annotations

from events import Clock, DatabaseUnavailableError, check_connection, engine_for, system_clock
from marketplace.application import Marketplace
from marketplace.schema import SchemaOutOfDateError, ensure_current
from marketplace.settings import Settings, SettingsError

#: Errors of set-up that a person fixes from their one-line message.
STARTUP_ERRORS: tuple[type[Exception], ...] = (
    SettingsError, DatabaseUnavailableError, SchemaOutOfDateError)


def open_marketplace(settings: Settings, clock: Clock = system_clock) -> Marketplace:
    """The marketplace on the configured database, or a startup error naming what is wrong."""
    engine = engine_for(settings.database_url)
    check_connection(engine)
    ensure_current(engine)
    return Marketplace(settings.database_url, clock=clock)


__all__ = ["STARTUP_ERRORS", "DatabaseUnavailableError", "SchemaOutOfDateError",
           "open_marketplace"]
