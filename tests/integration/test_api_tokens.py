"""API tokens issued, listed and revoked; clusters on the profile; both replayed from the ledger."""

import json
from datetime import timedelta
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa

from events import SettableClock, engine_for, rebuild_read_models
from marketplace.application import Marketplace, OrganisationNotFoundError
from marketplace.domain import ApiTokenAlreadyRevokedError, ApiTokenNotFoundError
from marketplace.readmodels import ApiTokenView
from tests.helpers import GUNMA_PRESS, ledger_length, read_model_rows


def update_profile(api: httpx.Client, organisation_id: UUID, token: str) -> httpx.Response:
    return api.patch(f"/api/v1/organisations/{organisation_id}", json={"name_en": "Joshu"},
                     headers={"Authorization": f"Bearer {token}"})


def test_an_issued_token_authenticates_over_the_http_api(
        api: httpx.Client, marketplace: Marketplace) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id

    issued = marketplace.issue_api_token(organisation_id, label="ERP export")

    assert issued.api_token.startswith("kyodo_")
    response = update_profile(api, organisation_id, issued.api_token)
    assert response.status_code == 200, response.text
    assert response.json()["name_en"] == "Joshu"


def test_a_revoked_token_is_refused_at_once_and_the_others_keep_working(
        api: httpx.Client, marketplace: Marketplace) -> None:
    registration = marketplace.register_organisation(**GUNMA_PRESS)
    organisation_id = registration.organisation_id
    issued = marketplace.issue_api_token(organisation_id)
    assert update_profile(api, organisation_id, issued.api_token).status_code == 200

    marketplace.revoke_api_token(organisation_id, issued.token_id)

    refused = update_profile(api, organisation_id, issued.api_token)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "this API token is unknown or revoked"
    assert update_profile(api, organisation_id, registration.api_token).status_code == 200


def test_the_token_list_shows_labels_and_times_but_never_a_token_or_its_hash(
        marketplace: Marketplace, clock: SettableClock) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    issued_at = clock.now
    clock.advance(timedelta(minutes=5))
    erp = marketplace.issue_api_token(organisation_id, label="ERP export")
    clock.advance(timedelta(minutes=5))

    marketplace.revoke_api_token(organisation_id, erp.token_id)

    first, second = marketplace.organisations.api_tokens(organisation_id)
    assert (first.label, first.issued_at, first.revoked_at) == (None, issued_at, None)
    assert second == ApiTokenView(token_id=erp.token_id, label="ERP export",
                                  issued_at=issued_at + timedelta(minutes=5),
                                  revoked_at=issued_at + timedelta(minutes=10))
    assert set(vars(second)) == {"token_id", "label", "issued_at", "revoked_at"}
    assert marketplace.organisations.api_tokens(uuid4()) == []


def test_revoking_an_unknown_or_revoked_token_is_refused_and_records_nothing(
        marketplace: Marketplace, migrated_url: str) -> None:
    mine = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    theirs = marketplace.register_organisation(**{**GUNMA_PRESS, "name_ja": "他社"})
    issued = marketplace.issue_api_token(mine)
    marketplace.revoke_api_token(mine, issued.token_id)
    before = (ledger_length(migrated_url), read_model_rows(migrated_url))

    with pytest.raises(ApiTokenNotFoundError):
        marketplace.revoke_api_token(mine, uuid4())
    with pytest.raises(ApiTokenAlreadyRevokedError):
        marketplace.revoke_api_token(mine, issued.token_id)
    with pytest.raises(OrganisationNotFoundError):
        marketplace.issue_api_token(uuid4())
    tokens_of_theirs = marketplace.organisations.api_tokens(theirs.organisation_id)
    with pytest.raises(ApiTokenNotFoundError):
        marketplace.revoke_api_token(mine, tokens_of_theirs[0].token_id)

    assert (ledger_length(migrated_url), read_model_rows(migrated_url)) == before


def test_a_replay_reproduces_tokens_and_clusters_exactly(
        marketplace: Marketplace, migrated_url: str, clock: SettableClock) -> None:
    organisation_id = marketplace.register_organisation(
        **GUNMA_PRESS, clusters=["Gunma-Press-Kai"]).organisation_id
    marketplace.register_organisation(name_en="Ryomo Resin", roles=["supplier"],
                                      prefecture="Tochigi", clusters=["両毛ものづくりネット"])
    clock.advance(timedelta(hours=1))
    erp = marketplace.issue_api_token(organisation_id, label="ERP export")
    clock.advance(timedelta(hours=1))
    marketplace.issue_api_token(organisation_id, label="受発注システム")
    clock.advance(timedelta(hours=1))
    marketplace.revoke_api_token(organisation_id, erp.token_id)
    marketplace.update_organisation_profile(
        organisation_id, clusters=["gunma-press-kai", "両毛ものづくりネット"])
    live = read_model_rows(migrated_url)

    rebuild_read_models(marketplace, batch_size=3)

    assert read_model_rows(migrated_url) == live
    assert len(live["organisation_clusters"]) == 3
    assert len(live["api_tokens"]) == 4
    assert [view.revoked_at is not None
            for view in marketplace.organisations.api_tokens(organisation_id)] == [
        False, True, False]


def test_a_ledger_recorded_before_clusters_and_labels_replays_and_its_tokens_revoke(
        marketplace: Marketplace, migrated_url: str, clock: SettableClock) -> None:
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    clock.advance(timedelta(minutes=1))
    issued = marketplace.issue_api_token(organisation_id)
    forget_fields_added_since_0001(migrated_url)
    older = Marketplace(migrated_url)  # a fresh process: no aggregate cached from before
    rebuild_read_models(older)

    older.revoke_api_token(organisation_id, issued.token_id)

    view = older.organisations.get(organisation_id)
    assert view is not None
    assert view.clusters == []
    assert [(t.label, t.revoked_at is not None) for t in older.organisations.api_tokens(
        organisation_id)] == [(None, False), (None, True)]


def forget_fields_added_since_0001(url: str) -> None:
    """Rewrites the stored events as the code of migration 0001 recorded them."""
    with engine_for(url).begin() as connection:
        for position, state in connection.execute(sa.text("SELECT id, state FROM ledger_events")):
            data = json.loads(bytes(state))
            data.pop("clusters", None)
            data.pop("label", None)
            connection.execute(sa.text("UPDATE ledger_events SET state = :state WHERE id = :id"),
                               {"state": json.dumps(data).encode(), "id": position})
