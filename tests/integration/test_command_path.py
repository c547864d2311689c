"""The command path: load, decide, save, project, commit — or nothing at all."""

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from events import ConflictError, SettableClock
from marketplace.application import Marketplace, OrganisationNotFoundError
from marketplace.domain import Organisation, RuleViolationError
from tests.helpers import GUNMA_PRESS, ledger_length, read_model_rows


def test_a_registered_organisation_is_on_the_ledger_and_in_the_read_model(
        marketplace: Marketplace, clock: SettableClock) -> None:
    registration = marketplace.register_organisation(**GUNMA_PRESS)

    view = marketplace.organisations.get(registration.organisation_id)
    assert view is not None
    assert (view.name_ja, view.roles, view.prefecture) == (
        "上州精密プレス", ["buyer", "supplier"], "JP-10")
    assert view.capabilities == ["press", "spcc"]
    assert view.registered_at == clock.now
    assert marketplace.position() == 2  # Registered, ApiTokenIssued
    assert marketplace.organisations.organisation_for_token(registration.api_token) == \
        registration.organisation_id


def test_a_profile_update_replaces_the_given_fields_only(marketplace: Marketplace) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id

    changed = marketplace.update_organisation_profile(
        organisation_id, name_en=None, capabilities=["プレス", "welding"])

    view = marketplace.organisations.get(organisation_id)
    assert changed is True
    assert view is not None
    assert (view.name_ja, view.name_en) == ("上州精密プレス", None)
    assert view.capabilities == ["welding", "プレス"]
    assert view.roles == ["buyer", "supplier"]
    assert view.version == 3


def test_a_broken_rule_records_nothing(marketplace: Marketplace, migrated_url: str) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    before = read_model_rows(migrated_url)

    with pytest.raises(RuleViolationError):
        marketplace.update_organisation_profile(organisation_id, prefecture="Atlantis")

    assert marketplace.position() == 2
    assert read_model_rows(migrated_url) == before


def test_updating_an_unknown_organisation_is_a_clear_not_found(marketplace: Marketplace) -> None:
    with pytest.raises(OrganisationNotFoundError, match="no organisation"):
        marketplace.update_organisation_profile(
            Organisation.create_id(), name_en="Ghost")  # type: ignore[no-untyped-call]


def test_a_failing_projector_rolls_back_the_events_too(
        marketplace: Marketplace, migrated_url: str) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    before = read_model_rows(migrated_url)

    def broken_projector(*_: Any) -> None:
        raise RuntimeError("read model unavailable")
    marketplace.projectors.on(Organisation.ProfileUpdated)(broken_projector)

    with pytest.raises(RuntimeError):
        marketplace.update_organisation_profile(organisation_id, name_en="Changed")

    assert ledger_length(migrated_url) == 2
    assert marketplace.repository.get(organisation_id).version == 2
    assert read_model_rows(migrated_url) == before


def test_a_decision_on_a_stale_aggregate_is_retried_on_a_fresh_one(
        marketplace: Marketplace, clock: SettableClock) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    stale = marketplace.repository.get(organisation_id)
    marketplace.update_organisation_profile(organisation_id, name_en="Someone else's change")
    attempts: list[Organisation] = []

    def decide() -> None:
        organisation = stale if not attempts else marketplace.repository.get(organisation_id)
        attempts.append(organisation)
        organisation.update_profile(at=clock(), capabilities=["welding"])
        marketplace.save(organisation)
    marketplace.command(decide)

    view = marketplace.organisations.get(organisation_id)
    assert len(attempts) == 2
    assert view is not None
    assert (view.name_en, view.capabilities, view.version) == (
        "Someone else's change", ["welding"], 4)


def test_a_command_that_keeps_losing_gives_up_with_a_conflict_and_records_nothing(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    marketplace.update_organisation_profile(organisation_id, name_en="Newer")
    before = read_model_rows(migrated_url)
    attempts = 0

    def decide_on_version_two() -> None:
        nonlocal attempts
        attempts += 1
        organisation = marketplace.repository.get(organisation_id, version=2)
        organisation.update_profile(at=clock(), capabilities=["welding"])
        marketplace.save(organisation)

    with pytest.raises(ConflictError, match="nothing was recorded"):
        marketplace.command(decide_on_version_two)

    assert attempts == marketplace.max_attempts
    assert ledger_length(migrated_url) == 3
    assert read_model_rows(migrated_url) == before


def test_concurrent_updates_of_one_organisation_lose_nothing(marketplace: Marketplace) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    threads, updates_each = 4, 10
    errors: list[BaseException] = []

    def update(worker: int) -> None:
        try:
            for i in range(updates_each):
                marketplace.update_organisation_profile(organisation_id, name_en=f"w{worker}-{i}")
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
    workers = [threading.Thread(target=update, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    organisation = marketplace.repository.get(organisation_id)
    view = marketplace.organisations.get(organisation_id)
    assert errors == []
    assert organisation.version == 2 + threads * updates_each
    assert view is not None
    assert view.version == organisation.version
    assert view.name_en == organisation.profile.name_en


def test_a_writer_waits_for_the_write_lock_at_most_thirty_seconds(
        marketplace: Marketplace) -> None:
    # The served app fixes a lot's close 60 s after its close time, trusting that every
    # command received before it has been decided or has given up by then.
    with marketplace.transaction() as session:
        if marketplace.engine.dialect.name == "postgresql":
            waits = session.execute(sa.text("SHOW lock_timeout")).scalar_one()
        else:
            waits = session.execute(sa.text("PRAGMA busy_timeout")).scalar_one()

    assert waits in {"30s", 30_000}
