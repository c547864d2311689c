"""The JSON API over real HTTP: /api/v1/organisations and /health."""

from uuid import uuid4

import httpx
import pytest

from marketplace.application import Marketplace
from tests.helpers import GUNMA_PRESS, ledger_length, read_model_rows


def register(api: httpx.Client, **overrides: object) -> dict[str, object]:
    response = api.post("/api/v1/organisations", json={**GUNMA_PRESS, **overrides})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_registering_returns_the_organisation_and_its_token_once(api: httpx.Client) -> None:
    body = register(api)

    organisation = body["organisation"]
    assert isinstance(organisation, dict)
    assert organisation["prefecture_name_ja"] == "群馬県"
    assert str(body["api_token"]).startswith("kyodo_")
    fetched = api.get(f"/api/v1/organisations/{organisation['id']}").json()
    assert fetched == organisation
    assert "api_token" not in fetched


def test_the_list_filters_by_role_prefecture_and_capability(api: httpx.Client) -> None:
    register(api)
    register(api, name_ja="両毛樹脂", name_en=None, roles=["supplier"], prefecture="Tochigi",
             capabilities=["resin pellets"])

    def names(**params: str) -> list[object]:
        response = api.get("/api/v1/organisations", params=params)
        assert response.status_code == 200, response.text
        return [o["name_ja"] for o in response.json()]

    assert names() == ["上州精密プレス", "両毛樹脂"]
    assert names(role="buyer") == ["上州精密プレス"]
    assert names(prefecture="栃木県") == ["両毛樹脂"]
    assert names(capability="ＲＥＳＩＮ  Pellets") == ["両毛樹脂"]
    assert names(role="supplier", prefecture="JP-10") == ["上州精密プレス"]


def test_the_list_filters_by_cluster_in_its_normalised_form(api: httpx.Client) -> None:
    register(api, clusters=["Gunma-Press-Kai"])
    register(api, name_ja="両毛樹脂", clusters=["両毛ものづくりネット", "gunma-press-kai"])
    register(api, name_ja="北関東パッケージ")

    def names(cluster: str) -> list[object]:
        response = api.get("/api/v1/organisations", params={"cluster": cluster})
        assert response.status_code == 200, response.text
        return [o["name_ja"] for o in response.json()]

    assert names("ＧＵＮＭＡ-press-kai") == ["上州精密プレス", "両毛樹脂"]
    assert names("両毛ものづくりネット") == ["両毛樹脂"]
    assert names("nobody's cluster") == []


def test_clusters_are_registered_normalised_and_replaced_by_a_profile_update(
        api: httpx.Client) -> None:
    body = register(api, clusters=["Gunma-Press-Kai", "両毛ものづくりネット"])
    organisation = body["organisation"]
    assert isinstance(organisation, dict)

    response = api.patch(f"/api/v1/organisations/{organisation['id']}",
                         json={"clusters": ["Kita Kanto"]},
                         headers={"Authorization": f"Bearer {body['api_token']}"})

    assert organisation["clusters"] == ["gunma-press-kai", "両毛ものづくりネット"]
    assert response.status_code == 200, response.text
    assert response.json()["clusters"] == ["kita kanto"]


def test_an_organisation_updates_its_own_profile_with_its_token(api: httpx.Client) -> None:
    body = register(api)
    organisation_id = body["organisation"]["id"]  # type: ignore[index]

    response = api.patch(f"/api/v1/organisations/{organisation_id}",
                         json={"name_en": None, "capabilities": ["deep drawing"]},
                         headers={"Authorization": f"Bearer {body['api_token']}"})

    assert response.status_code == 200, response.text
    assert response.json()["name_en"] is None
    assert response.json()["capabilities"] == ["deep drawing"]
    assert response.json()["name_ja"] == "上州精密プレス"


def test_a_profile_update_needs_the_organisations_own_token(
        api: httpx.Client, migrated_url: str) -> None:
    mine = register(api)
    theirs = register(api, name_ja="他社")
    target = f"/api/v1/organisations/{mine['organisation']['id']}"  # type: ignore[index]
    before = read_model_rows(migrated_url)

    anonymous = api.patch(target, json={"name_en": "Hijacked"})
    forged = api.patch(target, json={"name_en": "Hijacked"},
                       headers={"Authorization": "Bearer kyodo_not-a-real-token"})
    other = api.patch(target, json={"name_en": "Hijacked"},
                      headers={"Authorization": f"Bearer {theirs['api_token']}"})

    assert (anonymous.status_code, forged.status_code, other.status_code) == (401, 401, 403)
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in anonymous.json()["error"]["message"]
    assert other.json()["error"]["message"] == "an organisation may update only its own profile"
    assert read_model_rows(migrated_url) == before


@pytest.mark.parametrize(("body", "status", "code", "words"), [
    (b"{not json", 400, "invalid_request", "malformed"),
    (b'{"roles": "buyer", "prefecture": "Gunma"}', 400, "invalid_request", "roles"),
    (b'{"roles": ["buyer"], "prefecture": "Gunma", "colour": "red"}', 400, "invalid_request",
     "colour"),
    (b'{"roles": ["buyer"], "prefecture": "Gunma"}', 422, "organisation_name_missing", "name"),
    (b'{"roles": ["buyer"], "prefecture": "Mars", "name_en": "X"}', 422, "unknown_prefecture",
     "Mars"),
    (b'{"roles": ["chef"], "prefecture": "Gunma", "name_en": "X"}', 422, "unknown_role", "chef"),
    (b'{"roles": ["buyer"], "prefecture": "Gunma", "name_en": "X", "clusters": [" "]}', 422,
     "cluster_name_invalid", "1 to 60 characters"),
    # PostgreSQL cannot store NUL in text: refused on every route, on both databases alike.
    (b'{"roles": ["buyer"], "prefecture": "Gunma", "name_en": "X\\u0000Y"}', 400,
     "invalid_request", "NUL characters"),
])
def test_bad_input_gets_a_clear_4xx_and_writes_nothing(
        api: httpx.Client, migrated_url: str, body: bytes, status: int, code: str,
        words: str) -> None:
    response = api.post("/api/v1/organisations", content=body,
                        headers={"Content-Type": "application/json"})

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert words in response.json()["error"]["message"]
    assert ledger_length(migrated_url) == 0


def test_an_unknown_organisation_is_a_404(api: httpx.Client) -> None:
    response = api.get(f"/api/v1/organisations/{uuid4()}")

    assert response.status_code == 404
    assert "no organisation" in response.json()["error"]["message"]


def test_a_bad_query_parameter_is_a_400_not_a_500(api: httpx.Client) -> None:
    assert api.get("/api/v1/organisations", params={"limit": "0"}).status_code == 400
    assert api.get("/api/v1/organisations", params={"role": "chef"}).status_code == 400
    response = api.get("/api/v1/organisations", params={"prefecture": "Mars"})
    assert response.status_code == 422
    response = api.get("/api/v1/organisations", params={"capability": "press\x00"})
    assert response.status_code == 400


def test_health_reports_the_database_the_schema_and_the_ledger_position(
        api: httpx.Client, marketplace: Marketplace) -> None:
    register(api)

    body = api.get("/health").json()

    assert body["status"] == "ok"
    assert body["database"] == marketplace.engine.dialect.name
    assert body["schema"]["database"] == body["schema"]["code"]
    assert body["ledger_position"] == 2


def test_pages_and_api_responses_carry_the_security_headers(api: httpx.Client) -> None:
    for path in ("/", "/health", "/api/v1/organisations"):
        headers = api.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
