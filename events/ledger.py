"""The ledger application: one eventsourcing Application, one global order, one way to commit.

A command runs in one database transaction: load the aggregate, decide, save its new
events, apply the read-model projectors to them, commit. All of it commits or none of it
does. If another command saved the same aggregate first, the unique (aggregate, version)
index rejects our events; we roll back, reload and decide again, a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import sqlalchemy as sa
import sqlalchemy.exc
from eventsourcing.application import Application, LRUCache
from eventsourcing.persistence import JSONTranscoder, Recording, Transcoder, Transcoding
from sqlalchemy.orm import Session

from events import tree
from events.checkpoints import Checkpoint, Checkpoints, Signer, signed_body
from events.clock import Clock, system_clock
from events.database import (
    engine_for,
    in_write_transaction,
    reading,
    write_intent,
    writer_queue,
    writing_on,
)
from events.integrity_tables import checkpoints as checkpoints_table
from events.projectors import Projectors
from events.store import event_store_tables, ledger_env
from events.transcoder import LedgerTranscoder

T = TypeVar("T")

#: How long a writer waits for the write lock before giving up (SQLite's busy timeout too).
LOCK_TIMEOUT_S = 30
#: Names the ledger in its checkpoints, so that no signature can be taken for another's.
DEFAULT_ORIGIN = "kyodo.localhost/ledger"


class ConflictError(Exception):
    """Other changes to the same record kept winning the race; nothing of ours was recorded."""


class _StaleAggregateError(ConflictError):
    """Our events were decided on an aggregate that another command has since changed.

    ``command`` retries on it; a bare ``save`` outside ``command`` reports it as a conflict.
    """


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class LedgerApplication(Application[UUID]):
    """Base of the one application that holds every aggregate of the marketplace.

    Its notification id is the ledger position. ``save`` applies the projectors in the same
    transaction; ``command`` wraps a decision in a transaction with bounded retries.
    """

    max_attempts: ClassVar[int] = 5
    #: How often the served app signs a checkpoint: after so many entries, or so many
    #: seconds when anything was added (the settings set both).
    checkpoint_every_entries: int = 1000
    checkpoint_every_seconds: float = 60.0
    #: Aggregates kept in memory between commands and fast-forwarded from the store on load
    #: (one query for the events since), instead of replaying each one's whole history.
    aggregate_cache_size: ClassVar[int] = 10_000

    def __init__(self, database_url: str, projectors: Projectors,
                 clock: Clock = system_clock, *, signer: Signer | None = None,
                 origin: str = DEFAULT_ORIGIN) -> None:
        super().__init__(env={**ledger_env(database_url),
                              "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size)})
        self.engine = engine_for(database_url)
        events = event_store_tables(self.name)["events"]
        self._last_position = sa.select(sa.func.max(events.c.id))
        self.projectors = projectors
        self.clock = clock
        self.signer = signer
        self.origin = origin
        self.checkpoints = Checkpoints(self.engine)

    def construct_transcoder(self) -> Transcoder:
        transcoder = LedgerTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The write transaction: one Session shared by the event store and the projectors.

        Nested calls join the outer transaction (eventsourcing-sqlalchemy keeps it in a
        context variable), so ``save`` inside ``command`` commits once, at the end.

        Writers are serialised from their first statement, so an aggregate is always loaded
        under the lock it is saved under: SQLite begins IMMEDIATE; on PostgreSQL we take at
        once the EXCLUSIVE lock on the events table that the recorder would take to append
        anyway (plain reads are not blocked by it).
        """
        recorder: Any = self.recorder
        outermost = not in_write_transaction()
        queue = (writer_queue(self.engine) if outermost and self.engine.dialect.name == "sqlite"
                 else nullcontext())
        try:
            with queue, write_intent(), recorder.transaction(commit=True) as session:
                if not outermost:
                    yield session
                    return
                if self.engine.dialect.name == "postgresql":
                    # Bounded like SQLite's busy timeout: a writer gives up (503, try again)
                    # rather than wait past the settle time after which lots' closes are fixed.
                    session.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'"))
                    session.execute(sa.text(
                        f"LOCK TABLE {recorder.events_table_name} IN EXCLUSIVE MODE"))
                with writing_on(session.connection()):
                    yield session
        except BaseException:
            if outermost:
                # The cache may hold a state read inside the rolled-back transaction.
                self._forget_cached_aggregates()
            raise

    def _forget_cached_aggregates(self) -> None:
        if self.repository.cache is not None:
            self.repository.cache = LRUCache(maxsize=self.aggregate_cache_size)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        with self.transaction() as session:
            try:
                recordings = super().save(*objs, **kwargs)
            except sqlalchemy.exc.IntegrityError as error:
                raise _StaleAggregateError from error
            connection = session.connection()
            for recording in recordings:
                self.projectors.apply(connection, recording.domain_event,
                                      recording.notification.id)
            tree.append_leaves(connection, sorted(
                (n.id, UUID(str(n.originator_id)), n.originator_version, n.topic, n.state)
                for n in (recording.notification for recording in recordings)))
        return recordings

    def command(self, decide: Callable[[], T]) -> T:
        """Runs ``decide`` (load, decide, save) in one transaction, retrying on a stale load."""
        for _attempt in range(self.max_attempts):
            try:
                with self.transaction():
                    return decide()
            except _StaleAggregateError:
                continue
        raise ConflictError(
            f"this record was changed by others {self.max_attempts} times while we tried to "
            "change it; nothing was recorded, please try again")

    def position(self) -> int:
        """The ledger position of the last recorded event (0 for an empty ledger).

        One indexed read on the process's engine (the recorder's own way took a session and
        cost three times as much; pages ask this on every request to know what is fresh).
        """
        with reading(self.engine) as connection:
            position = connection.execute(self._last_position).scalar()
        return int(position or 0)

    def checkpoint(self, reason: str) -> Checkpoint | None:
        """Signs the tree head over every entry so far, unless the latest checkpoint already
        covers them all (then that one is returned); None when there is no signing key or no
        entry yet.

        The tree is extended from the latest checkpoint under the write lock, so the cost is
        that of the entries since, and two workers never sign two heads of one size."""
        if self.signer is None:
            return None
        with self.transaction() as session:
            connection = session.connection()
            latest = self.checkpoints.latest(connection)
            built = 0 if latest is None else latest.tree_size
            size = tree.leaf_count(connection)
            if size == 0:
                return None  # nothing to sign yet
            if latest is not None and size <= built:
                return latest
            root = tree.extend(connection, built, size)
            # Never dated before the latest (another worker's clock may run a little ahead):
            # checkpoints' times rise with their sizes, and verify holds them to it.
            made_at, reason = self.clock(), reason[:40]
            if latest is not None and made_at < latest.made_at:
                made_at = latest.made_at
            signature = self.signer.sign(signed_body(self.origin, size, root, made_at))
            checkpoint_id = connection.execute(checkpoints_table.insert().values(
                origin=self.origin, tree_size=size, root_hash=root, made_at=made_at,
                public_key=self.signer.public_key, signature=signature, reason=reason,
            ).returning(checkpoints_table.c.id)).scalar_one()
        return Checkpoint(id=int(checkpoint_id), origin=self.origin, tree_size=size,
                          root_hash=root, made_at=made_at, public_key=self.signer.public_key,
                          signature=signature, reason=reason)

    def checkpoint_if_due(self) -> Checkpoint | None:
        """A new checkpoint when ``checkpoint_every_entries`` entries have been added since
        the latest, or any entry and ``checkpoint_every_seconds`` have passed; else None."""
        every_entries, every_seconds = self.checkpoint_every_entries, self.checkpoint_every_seconds
        if self.signer is None:
            return None
        with reading(self.engine) as connection:
            latest = self.checkpoints.latest(connection)
            size = tree.leaf_count(connection)
        built = 0 if latest is None else latest.tree_size
        if size <= built:
            return None
        waited = (None if latest is None
                  else (self.clock() - latest.made_at).total_seconds())
        if size - built >= every_entries or waited is None or waited >= every_seconds:
            return self.checkpoint("periodic")
        return None
