"""The ledger's public JSON over real HTTP: checkpoints, the public key, consistency proofs."""

from __future__ import annotations

import base64

import httpx

from events.receipts import check_consistency
from marketplace.application import Marketplace
from tests.conftest import LEDGER_SIGNER
from tests.lots_builders import register


def test_checkpoints_are_public_and_page_newest_first(api: httpx.Client,
                                                      marketplace: Marketplace) -> None:
    made = []
    for _ in range(3):
        register(marketplace, "buyer")
        checkpoint = marketplace.checkpoint("manual")
        assert checkpoint is not None
        made.append(checkpoint.id)

    first = api.get("/api/v1/ledger/checkpoints", params={"limit": 2}).json()
    rest = api.get("/api/v1/ledger/checkpoints",
                   params={"limit": 2, "before": first["next_before"]}).json()
    latest = api.get("/api/v1/ledger/checkpoints/latest").json()
    one = api.get(f"/api/v1/ledger/checkpoints/{made[0]}").json()

    assert [c["id"] for c in first["checkpoints"] + rest["checkpoints"]] == made[::-1]
    assert rest["next_before"] is None
    assert latest["id"] == made[-1]
    assert latest["tree_size"] == marketplace.position()
    assert one["tree_size"] == 2
    assert one["key_id"] == LEDGER_SIGNER.key_id


def test_the_public_key_is_published(api: httpx.Client) -> None:
    key = api.get("/api/v1/ledger/public-key").json()
    assert base64.b64decode(key["public_key"]) == LEDGER_SIGNER.public_key
    assert key["algorithm"] == "Ed25519"


def test_a_consistency_proof_between_two_checkpoints_checks(api: httpx.Client,
                                                            marketplace: Marketplace) -> None:
    ids = []
    for count in (1, 3):
        for _ in range(count):
            register(marketplace, "supplier")
        checkpoint = marketplace.checkpoint("manual")
        assert checkpoint is not None
        ids.append(checkpoint.id)

    response = api.get("/api/v1/ledger/consistency", params={"first": ids[1], "second": ids[0]})
    older, newer = check_consistency(response.content, LEDGER_SIGNER.public_key)

    assert (older.tree_size, newer.tree_size) == (2, 8)


def test_bad_requests_get_a_message(api: httpx.Client, marketplace: Marketplace) -> None:
    register(marketplace, "buyer")
    checkpoint = marketplace.checkpoint("manual")
    assert checkpoint is not None
    cases = {
        "/api/v1/ledger/checkpoints/999": 404,
        f"/api/v1/ledger/consistency?first={checkpoint.id}&second={checkpoint.id}": 422,
        f"/api/v1/ledger/consistency?first={checkpoint.id}&second=999": 404,
        "/api/v1/ledger/consistency?first=x&second=1": 400,
        "/api/v1/ledger/checkpoints?limit=0": 400,
    }
    for path, status in cases.items():
        response = api.get(path)
        assert response.status_code == status, path
        assert response.json()["error"]["message"], path


def test_ids_past_64_bits_are_a_request_error(api: httpx.Client,
                                              marketplace: Marketplace) -> None:
    huge = "99999999999999999999"
    for path, status in ((f"/api/v1/ledger/checkpoints/{huge}", 404),
                         (f"/api/v1/ledger/checkpoints?before={huge}", 400),
                         (f"/api/v1/ledger/consistency?first=1&second={huge}", 400)):
        response = api.get(path)
        assert response.status_code == status, path
        assert response.json()["error"]["message"]
