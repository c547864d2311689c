"""Idempotency-Key over real HTTP: a POST sent again with its key is answered, not repeated."""

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from events import engine_for
from marketplace.application import Marketplace
from marketplace.readmodels import idempotency_keys
from tests.helpers import GUNMA_PRESS, ledger_length, register_over_http
from tests.servers import serving
from web.app import create_app

NEED = {"category": "cutting oil", "specification": "water-soluble, 18 L can", "unit": "can",
        "quantity": "12", "needed_by": "2026-12-15", "delivery_prefecture": "Gunma"}
LOT = {"category": "cutting oil", "specification": "water-soluble", "unit": "can",
       "closes_at": "2026-11-27T17:00:00+09:00", "prefectures": ["Gunma"]}


@pytest.fixture
def base_url(marketplace: Marketplace) -> Iterator[str]:
    with serving(create_app(marketplace=marketplace)) as url:
        yield url


@pytest.fixture
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def buyer(api: httpx.Client) -> dict[str, str]:
    return register_over_http(api)[1]


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def test_the_same_request_with_the_same_key_is_answered_again_and_recorded_once(
        api: httpx.Client, buyer: dict[str, str], migrated_url: str) -> None:
    first = api.post("/api/v1/needs", json=NEED, headers=keyed(buyer, "need-2026-11-20-a"))
    after_first = ledger_length(migrated_url)

    again = api.post("/api/v1/needs", json=NEED, headers=keyed(buyer, "need-2026-11-20-a"))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert ledger_length(migrated_url) == after_first
    assert len(api.get("/api/v1/needs", headers=buyer).json()) == 1


def test_the_same_key_with_another_request_is_refused_and_records_nothing(
        api: httpx.Client, buyer: dict[str, str], migrated_url: str) -> None:
    api.post("/api/v1/needs", json=NEED, headers=keyed(buyer, "k1"))
    before = ledger_length(migrated_url)

    other_body = api.post("/api/v1/needs", json={**NEED, "quantity": "13"},
                          headers=keyed(buyer, "k1"))
    other_path = api.post("/api/v1/lots", json=LOT, headers=keyed(buyer, "k1"))

    for response in (other_body, other_path):
        assert response.status_code == 422, response.text
        assert response.json()["error"] == {
            "code": "idempotency_key_reused",
            "message": "this Idempotency-Key was used with a different request; use a new key"}
    assert ledger_length(migrated_url) == before


def test_a_failed_request_stores_nothing_so_its_corrected_form_may_reuse_the_key(
        api: httpx.Client, buyer: dict[str, str], migrated_url: str) -> None:
    failed = api.post("/api/v1/needs", json={**NEED, "quantity": "-12"},
                      headers=keyed(buyer, "k2"))
    after_failure = ledger_length(migrated_url)

    corrected = api.post("/api/v1/needs", json=NEED, headers=keyed(buyer, "k2"))
    replayed = api.post("/api/v1/needs", json=NEED, headers=keyed(buyer, "k2"))

    assert failed.status_code == 422
    assert corrected.status_code == 201, corrected.text
    assert "idempotent-replayed" not in corrected.headers
    assert replayed.content == corrected.content
    assert ledger_length(migrated_url) > after_failure


def test_two_requests_racing_with_one_key_have_exactly_one_effect(
        base_url: str, buyer: dict[str, str], migrated_url: str) -> None:
    before = ledger_length(migrated_url)
    start = threading.Barrier(4)
    responses: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            start.wait()
            responses.append(client.post("/api/v1/needs", json=NEED,
                                          headers=keyed(buyer, "race")))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.content for r in responses}) == 1
    assert sum("idempotent-replayed" in r.headers for r in responses) == 3
    assert ledger_length(migrated_url) == before + 1


def test_keys_belong_to_the_organisation_that_sent_them(
        api: httpx.Client, buyer: dict[str, str]) -> None:
    other = register_over_http(api, name_ja="前橋金型")[1]

    mine = api.post("/api/v1/needs", json=NEED, headers=keyed(buyer, "shared"))
    theirs = api.post("/api/v1/needs", json={**NEED, "quantity": "5"},
                      headers=keyed(other, "shared"))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_post_without_a_body_replays_its_first_status(
        api: httpx.Client, buyer: dict[str, str], migrated_url: str) -> None:
    lot = api.post("/api/v1/lots", json=LOT, headers=buyer).json()["lot"]
    join = f"/api/v1/lots/{lot['id']}/suppliers"

    first = api.post(join, headers=keyed(buyer, "join"))
    after_first = ledger_length(migrated_url)
    again = api.post(join, headers=keyed(buyer, "join"))
    unkeyed = api.post(join, headers=buyer)

    assert (first.status_code, again.status_code, unkeyed.status_code) == (201, 201, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert ledger_length(migrated_url) == after_first


@pytest.mark.parametrize("key", ["", "x" * 201, "キー".encode(), "tab\there"])
def test_a_malformed_key_is_a_400_and_records_nothing(
        api: httpx.Client, buyer: dict[str, str], migrated_url: str, key: Any) -> None:
    before = ledger_length(migrated_url)

    response = api.post("/api/v1/needs", json=NEED, headers=keyed(buyer, key))

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert "Idempotency-Key" in response.json()["error"]["message"]
    assert ledger_length(migrated_url) == before


def test_a_registration_sent_again_with_its_key_returns_the_same_token_and_registers_once(
        api: httpx.Client, marketplace: Marketplace, migrated_url: str) -> None:
    key = {"Idempotency-Key": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}

    first = api.post("/api/v1/organisations", json=GUNMA_PRESS, headers=key)
    again = api.post("/api/v1/organisations", json=GUNMA_PRESS, headers=key)

    assert first.status_code == again.status_code == 201, first.text
    assert again.content == first.content
    assert marketplace.organisations.count() == 1
    with engine_for(migrated_url).connect() as connection:
        stored = connection.execute(sa.select(idempotency_keys)).one()
    assert stored.scope == "anonymous"
    assert first.json()["api_token"] not in stored.response_body
    assert key["Idempotency-Key"] not in stored.key_hash
