"""Stored events decoded and applied as eventsourcing's ``Mapper.to_domain_event`` and
``mutate`` do, with what those look up on every call looked up once per event class.

A class takes the short way only where the library's own steps are exactly the ones done
here: no cipher or compressor, no upcasting, the plain ``mutate`` and ``apply`` of an event
made by ``@event``. Anything else (a created event, an unusual class, a row that does not
decode, an event for the wrong aggregate or version) goes through the library itself, so
what it makes, or the error it raises, is the library's (tests/integration/
test_replay_plans.py). So does an event whose stored state names one of its class's methods
(``apply``, say), which the library would then call and fail on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable
from types import FunctionType
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import (
    CanInitAggregate,
    CanMutateAggregate,
    DecoratedFuncCaller,
    decorated_funcs,
)
from eventsourcing.persistence import (
    Mapper,
    StoredEvent,
    find_id_convertor,
    pass_through_convertor,
)
from eventsourcing.utils import resolve_topic

_new = object.__new__
_set = object.__setattr__
#: An event method, the names of its parameters, and the names of the event class's methods
#: (an entry whose state names one of them would shadow it: only the library says how).
Method = tuple[Callable[..., None], frozenset[str], frozenset[str]]


class Replay:
    """Decodes and applies stored events for a verify (or anything that replays)."""

    def __init__(self, mapper: Mapper[UUID]) -> None:
        self.mapper = mapper
        self.decode = mapper.transcoder.decode
        self.plain = mapper.cipher is None and mapper.compressor is None
        #: By topic: the event class, or None where the library must decode.
        self.classes: dict[str, type[Any] | None] = {}
        #: By event class: its ``@event`` method, or None where the library must apply.
        self.methods: dict[type[Any], Method | None] = {}

    def event(self, aggregate_id: UUID, version: int, topic: str, state: bytes) -> Any:
        """What ``mapper.to_domain_event`` makes of the stored event."""
        try:
            cls = self.classes[topic]
        except KeyError:
            cls = self.classes[topic] = self._class_of(topic)
        if cls is not None and type(aggregate_id) is UUID:
            try:
                event_state = self.decode(state)
            except Exception:  # decoded again below, for the library's error
                event_state = None
            if type(event_state) is dict and "class_version" not in event_state:
                event_state["originator_id"] = aggregate_id
                event_state["originator_version"] = version
                event = _new(cls)
                _set(event, "__dict__", event_state)
                return event
        return self.mapper.to_domain_event(StoredEvent(
            originator_id=aggregate_id, originator_version=version, topic=topic, state=state))

    def mutate(self, event: Any, aggregate: Any) -> Any:
        """``event.mutate(aggregate)``."""
        cls = type(event)
        try:
            method = self.methods[cls]
        except KeyError:
            method = self.methods[cls] = _method_of(cls)
        if (method is None or aggregate is None or event.originator_id != aggregate.id
                or event.originator_version != aggregate.version + 1
                or not method[2].isdisjoint(event.__dict__)):
            return event.mutate(aggregate)  # the library's way, or its error
        function, names, _ = method
        function(aggregate, **{k: v for k, v in event.__dict__.items() if k in names})
        aggregate.version = event.originator_version
        aggregate.modified_on = event.timestamp
        return aggregate

    def _class_of(self, topic: str) -> type[Any] | None:
        if not self.plain:
            return None
        try:
            cls: type[Any] = resolve_topic(topic)
            if (isinstance(cls, type) and getattr(cls, "class_version", 1) == 1
                    and find_id_convertor(cast(Hashable, cls), cast(Hashable, UUID))
                    is pass_through_convertor):
                return cls
        except Exception:  # the library names the problem when it decodes
            return None
        return None


def _method_of(cls: type[Any]) -> Method | None:
    """The ``@event`` method that the library's ``mutate`` of ``cls`` would call, if that is
    all it would do besides checking and moving on the aggregate's version and time."""
    if not issubclass(cls, DecoratedFuncCaller) or issubclass(cls, CanInitAggregate):
        return None
    appliers = [k for k in cls.__mro__ if "apply" in vars(k)]
    function = decorated_funcs.get(cls)
    if (cls.mutate is not CanMutateAggregate.mutate
            or cls._as_dict is not CanMutateAggregate._as_dict
            or appliers != [DecoratedFuncCaller, CanMutateAggregate]
            or type(function) is not FunctionType):
        return None
    methods = frozenset(name for name in dir(cls) if callable(getattr(cls, name, None)))
    return function, frozenset(inspect.signature(function).parameters), methods
