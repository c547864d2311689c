"""Rebuilding every read model from the ledger.

The rebuild runs in one write transaction, read and projected in batches: other writers
wait while it runs, and readers keep seeing the old read models until it commits (on
PostgreSQL; on SQLite readers see the last committed state too, thanks to WAL). So nobody
ever sees a half-built read model, and no command slips in between the wipe and the refill.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from events.ledger import LedgerApplication

Progress = Callable[[int], None]


def count_events(app: LedgerApplication) -> int:
    recorder: Any = app.recorder
    with app.engine.connect() as connection:
        return int(connection.execute(
            sa.select(sa.func.count()).select_from(recorder.events_record_cls.__table__)
        ).scalar_one())


def rebuild_read_models(app: LedgerApplication, *, batch_size: int = 500,
                        progress: Progress | None = None) -> int:
    """Empties the projectors' tables and replays the whole ledger into them.

    Returns the number of events replayed; ``progress`` is called with the count after
    each batch.
    """
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    recorder: Any = app.recorder
    replayed = 0
    with app.transaction() as session:
        for table in reversed(app.projectors.tables):
            session.execute(sa.delete(table))
        last = recorder.max_notification_id() or 0
        start: int | None = None
        while True:
            notifications = recorder.select_notifications(
                start, batch_size, stop=last, inclusive_of_start=False)
            if not notifications:
                break
            connection = session.connection()
            for notification in notifications:
                app.projectors.apply(connection, app.mapper.to_domain_event(notification),
                                     notification.id)
            replayed += len(notifications)
            start = notifications[-1].id
            if progress is not None:
                progress(replayed)
    return replayed
