"""The aggregates a verify replays, the most recently used few thousand kept in memory
(events/verify_entries.py hands each entry to ``Aggregates.apply``).

Replaying is most of a verify's cost, and most of that is the library's generality rather
than our aggregates' work: ``Mapper.to_domain_event`` wraps every row in a ``StoredEvent`` and
looks its converters up again, ``mutate`` filters each event's attributes against the method's
signature through three calls. ``Replay`` does the same steps with what it looked up once per
event class, for the classes whose library steps are exactly those (events/replay_plans.py);
anything else, and anything that does not go the plain way (an error, an upcast), is handed
to the library, so a finding is reported in its words.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from events.ledger import LedgerApplication
from events.replay_plans import Replay
from events.verify import Problem, VerificationFailed, as_uuid


class Aggregates:
    """The aggregates being replayed, the most recently used few thousand kept in memory.

    An aggregate's events arrive in position order among everyone else's; one pushed out of
    memory is rebuilt from its own earlier events when it next appears (they were checked
    when they went by), so memory stays bounded whatever the ledger holds.
    """

    KEEP = 4096

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app
        self.replay = Replay(app.mapper)
        #: By the id as stored (16 bytes on SQLite): (its UUID, the aggregate so far).
        self.kept: dict[Any, tuple[UUID, Any]] = {}  # in order of use, oldest first

    def uuid(self, raw_id: Any) -> UUID:
        """The UUID of a stored id, made once per aggregate kept (it costs more than a hash)."""
        found = self.kept.get(raw_id)
        return found[0] if found is not None else as_uuid(raw_id)

    def apply(self, position: int, raw_id: Any, aggregate_id: UUID, version: int, topic: str,
              state: bytes) -> Any:
        replay = self.replay
        try:
            event: Any = replay.event(aggregate_id, version, topic, state)
            kept = self.kept.pop(raw_id, None)
            current = None if kept is None else kept[1]
            if current is None and version > 1:
                current = self._rebuild(aggregate_id, version - 1)
            self.kept[raw_id] = (aggregate_id, replay.mutate(event, current))
        except VerificationFailed:
            raise
        except Exception as error:  # any failure to decode or apply is the finding
            raise VerificationFailed(Problem(position, (
                f"version {version} of {aggregate_id} does not replay: "
                f"{type(error).__name__}: {error}"))) from None
        if len(self.kept) > self.KEEP:
            del self.kept[next(iter(self.kept))]
        return event

    def _rebuild(self, aggregate_id: UUID, version: int) -> Any:
        current: Any = None
        stored: StoredEvent
        for stored in self.app.recorder.select_events(aggregate_id, lte=version):
            event = self.replay.event(as_uuid(stored.originator_id),
                                      stored.originator_version, stored.topic, stored.state)
            current = self.replay.mutate(event, current)
        return current
