"""The verify's replay (events/replay_plans.py) makes the same events and the same aggregates as
eventsourcing's ``Mapper.to_domain_event`` and ``mutate``, event by event, for every type of
event the histories record; where a row does not replay, it fails with the library's error."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from events.replay_plans import Replay
from marketplace.application import Marketplace
from marketplace.demo import seed_demo_cluster
from tests.helpers import GUNMA_PRESS


def stored_events(marketplace: Marketplace) -> list[StoredEvent]:
    return list(marketplace.recorder.select_notifications(1, 10**6))


def demo_history(marketplace: Marketplace) -> Marketplace:
    seed_demo_cluster(marketplace)
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    marketplace.update_organisation_profile(organisation_id, roles=["supplier"])
    marketplace.update_organisation_profile(organisation_id, capabilities=["deep drawing"])
    return marketplace


def same(one: Any, other: Any) -> bool:
    return type(one) is type(other) and vars(one) == vars(other)


def test_the_cleared_lots_replay_to_the_same_events_and_aggregates_as_the_library(
        ledger: Marketplace) -> None:
    replays_as_the_library(ledger)


def test_the_demo_cluster_replays_to_the_same_events_and_aggregates_as_the_library(
        marketplace: Marketplace) -> None:
    replays_as_the_library(demo_history(marketplace))


def replays_as_the_library(history: Marketplace) -> None:
    replay = Replay(history.mapper)
    theirs: dict[Any, Any] = {}
    ours: dict[Any, Any] = {}
    topics = set()

    for stored in stored_events(history):
        their_event: Any = history.mapper.to_domain_event(stored)
        our_event = replay.event(stored.originator_id, stored.originator_version,
                                 stored.topic, stored.state)
        assert same(our_event, their_event), stored.topic
        key = stored.originator_id
        theirs[key] = their_event.mutate(theirs.get(key))
        ours[key] = replay.mutate(our_event, ours.get(key))
        assert same(ours[key], theirs[key]), stored.topic
        topics.add(stored.topic)

    assert len(topics) >= 8
    assert any(method is not None for method in replay.methods.values())  # the short way ran


def failure(action: Callable[[], Any]) -> tuple[type[BaseException], str]:
    with pytest.raises(Exception) as raised:  # noqa: PT011 (any: compared with the library's)
        action()
    return raised.type, str(raised.value)


def test_an_event_out_of_sequence_fails_with_the_library_s_error(ledger: Marketplace) -> None:
    replay = Replay(ledger.mapper)
    first, second = stored_events(ledger)[:2]
    assert first.originator_id == second.originator_id
    assert second.originator_version == 2
    aggregate = ledger.mapper.to_domain_event(first).mutate(None)  # type: ignore[attr-defined]
    aggregate.version = 5

    ours = failure(lambda: replay.mutate(replay.event(
        second.originator_id, 2, second.topic, second.state), aggregate))
    theirs = failure(lambda: ledger.mapper.to_domain_event(second).mutate(  # type: ignore[attr-defined]
        aggregate))

    assert ours == theirs


def test_a_state_that_does_not_decode_fails_with_the_library_s_error(ledger: Marketplace) -> None:
    replay = Replay(ledger.mapper)
    stored = stored_events(ledger)[1]
    broken = StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                         stored.state[:-1])

    ours = failure(lambda: replay.event(broken.originator_id, broken.originator_version,
                                        broken.topic, broken.state))
    theirs = failure(lambda: ledger.mapper.to_domain_event(broken))

    assert ours == theirs


@pytest.mark.parametrize("name", ["apply", "mutate", "_as_dict"])
def test_a_state_naming_one_of_the_events_methods_fails_as_with_the_library(
        ledger: Marketplace, name: str) -> None:
    """A state altered to carry a key that shadows a method the library calls on the event
    (and so fails on): never applied as if nothing were wrong."""
    replay = Replay(ledger.mapper)
    first, second = stored_events(ledger)[:2]
    aggregate = ledger.mapper.to_domain_event(first).mutate(None)  # type: ignore[attr-defined]
    state = ledger.mapper.transcoder.decode(second.state)
    state[name] = "x"
    altered = StoredEvent(second.originator_id, 2, second.topic,
                          ledger.mapper.transcoder.encode(state))

    ours = failure(lambda: replay.mutate(replay.event(
        altered.originator_id, 2, altered.topic, altered.state), copy.deepcopy(aggregate)))
    theirs = failure(lambda: ledger.mapper.to_domain_event(altered).mutate(  # type: ignore[attr-defined]
        copy.deepcopy(aggregate)))

    assert ours == theirs
