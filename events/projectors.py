"""Read-model projectors, registered per event type and applied in the command's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: A projector writes one event into the read models: (connection, event, ledger position).
Projector = Callable[[Connection, Any, int], None]
P = TypeVar("P", bound=Projector)


class Projectors:
    """The registry of read-model projectors and of the tables they own.

    The same functions run live, inside each command's transaction, and on replay, so a
    rebuilt read model equals the live one by construction (and a test checks it).
    """

    def __init__(self) -> None:
        self._by_type: dict[type, list[Projector]] = {}
        self._resolved: dict[type, tuple[Projector, ...]] = {}
        self._tables: list[sa.Table] = []

    def owns(self, *tables: sa.Table) -> None:
        """Declares tables that only projectors write; replay empties and refills them."""
        self._tables.extend(table for table in tables if table not in self._tables)

    @property
    def tables(self) -> list[sa.Table]:
        """The owned tables, parents before children."""
        return sa.schema.sort_tables(self._tables)

    def on(self, *event_types: type) -> Callable[[P], P]:
        """Registers the decorated function for these event types (and their subclasses)."""
        def register(projector: P) -> P:
            for event_type in event_types:
                self._by_type.setdefault(event_type, []).append(projector)
            self._resolved.clear()
            return projector
        return register

    def for_event(self, event_type: type) -> tuple[Projector, ...]:
        resolved = self._resolved.get(event_type)
        if resolved is None:
            resolved = tuple(projector for klass in reversed(event_type.__mro__)
                             for projector in self._by_type.get(klass, ()))
            self._resolved[event_type] = resolved
        return resolved

    def apply(self, connection: Connection, event: Any, position: int) -> None:
        for projector in self.for_event(type(event)):
            projector(connection, event, position)
