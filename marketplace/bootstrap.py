"""Opening the marketplace: settings checked, database reachable, schema current."""

from __future__ import annotations

from events import Clock, DatabaseUnavailableError, check_connection, engine_for, system_clock
from events.checkpoints import Signer
from marketplace.application import Marketplace
from marketplace.payments import payments_for
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
    signer = None if settings.ledger_key is None else Signer.from_seed(settings.ledger_key)
    marketplace = Marketplace(settings.database_url, clock=clock, signer=signer,
                              origin=settings.ledger_origin)
    marketplace.checkpoint_every_entries = settings.checkpoint_every_entries
    marketplace.checkpoint_every_seconds = settings.checkpoint_every_seconds
    marketplace.payments = payments_for(settings)
    marketplace.platform_fee = settings.platform_fee_percent / 100
    return marketplace


__all__ = ["STARTUP_ERRORS", "DatabaseUnavailableError", "SchemaOutOfDateError",
           "open_marketplace"]
