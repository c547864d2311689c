"""The JSON API over real HTTP: supplier profiles, the vocabulary, and supplier matching."""

from typing import Any

import httpx
import pytest

from marketplace.application import Marketplace
from tests.helpers import ledger_length, register_over_http
from tests.matching_firms import FIRMS

PROFILE: dict[str, Any] = {
    "processes": ["プレス加工", "deep drawing"], "materials": ["SPCC"],
    "certifications": ["IATF 16949"], "industries": ["automotive"],
    "capacity": "200t presses × 12",
    "description_ja": "自動車メーカー向けにボディ骨格のブラケットを順送金型で量産しています。",
    "description_en": "Progressive-die stampings of body brackets for car makers."}

Party = tuple[str, dict[str, str]]


@pytest.fixture
def supplier(api: httpx.Client) -> Party:
    return register_over_http(api, name_ja="太田プレス工業", name_en="Ota Press",
                              roles=["supplier"])


@pytest.fixture
def buyer(api: httpx.Client) -> Party:
    return register_over_http(api, name_ja="前橋ケアベッド", name_en=None, roles=["buyer"])


def publish(api: httpx.Client, party: Party, **overrides: Any) -> httpx.Response:
    organisation_id, headers = party
    return api.put(f"/api/v1/organisations/{organisation_id}/supplier-profile",
                   json={**PROFILE, **overrides}, headers=headers)


def test_a_supplier_publishes_its_profile_and_anyone_reads_it_with_labels(
        api: httpx.Client, supplier: Party) -> None:
    published = publish(api, supplier)

    assert published.status_code == 200, published.text
    read = api.get(f"/api/v1/organisations/{supplier[0]}/supplier-profile")
    assert read.json() == published.json()
    body = read.json()
    assert [p["code"] for p in body["processes"]] == ["deep_drawing", "press"]
    assert body["processes"][1]["label_ja"] == "プレス加工"
    assert body["certifications"][0]["label_en"] == "IATF 16949"
    assert body["name_en"] == "Ota Press"


def test_a_patch_replaces_only_the_fields_it_names(api: httpx.Client, supplier: Party) -> None:
    publish(api, supplier)

    changed = api.patch(f"/api/v1/organisations/{supplier[0]}/supplier-profile",
                        json={"materials": ["SPCC", "SUS304"], "capacity": None},
                        headers=supplier[1])

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [m["code"] for m in body["materials"]] == ["spcc", "sus304"]
    assert body["capacity"] is None
    assert body["description_en"] == PROFILE["description_en"]


def test_an_organisation_may_not_publish_another_ones_profile(
        api: httpx.Client, supplier: Party, buyer: Party, marketplace: Marketplace) -> None:
    before = marketplace.position()

    response = api.put(f"/api/v1/organisations/{supplier[0]}/supplier-profile", json=PROFILE,
                       headers=buyer[1])

    assert response.status_code == 403
    assert "its own" in response.json()["error"]["message"]
    assert marketplace.position() == before


def test_a_buyer_only_organisation_is_told_to_become_a_supplier_first(
        api: httpx.Client, buyer: Party) -> None:
    response = publish(api, buyer)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_supplier"


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"processes": ["hydroforming"]}, "unknown_capability_term", "'hydroforming' is not a process"),
    ({"processes": []}, "supplier_processes_missing", "at least one process"),
    ({"description_ja": None, "description_en": None}, "supplier_description_missing",
     "describe what the supplier delivers"),
    ({"capacity": "9" * 201}, "supplier_capacity_too_long", "201 characters"),
])
def test_a_profile_that_breaks_a_rule_is_refused_with_what_to_change_and_nothing_recorded(
        api: httpx.Client, supplier: Party, migrated_url: str, change: dict[str, Any],
        code: str, words: str) -> None:
    before = ledger_length(migrated_url)

    response = publish(api, supplier, **change)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert words in response.json()["error"]["message"]
    assert ledger_length(migrated_url) == before


def test_an_unknown_field_is_a_bad_request(api: httpx.Client, supplier: Party) -> None:
    response = publish(api, supplier, lead_time_days=5)

    assert response.status_code == 400
    assert "lead_time_days" in response.json()["error"]["message"]


def test_a_profile_never_published_is_not_found(api: httpx.Client, buyer: Party) -> None:
    response = api.get(f"/api/v1/organisations/{buyer[0]}/supplier-profile")

    assert response.status_code == 404
    assert "has not published" in response.json()["error"]["message"]


def test_the_vocabulary_lists_every_kind_of_term_in_both_languages(api: httpx.Client) -> None:
    vocabulary = api.get("/api/v1/vocabulary").json()

    assert set(vocabulary) == {"processes", "materials", "certifications", "industries"}
    press = next(t for t in vocabulary["processes"] if t["code"] == "press")
    assert press["label_ja"] == "プレス加工"
    assert "stamping" in press["synonyms"]
    spcc = next(t for t in vocabulary["materials"] if t["code"] == "spcc")
    assert spcc["broader"] == "steel"


def test_matching_finds_suppliers_says_what_it_understood_and_why(
        api: httpx.Client, supplier: Party, buyer: Party) -> None:
    packer = register_over_http(api, name_ja="越後パック", name_en=None, roles=["supplier"],
                                prefecture="Niigata")
    publish(api, supplier)
    publish(api, packer, **FIRMS["echigo_pack"].profile, description_en=None)

    response = api.get("/api/v1/suppliers/matches", headers=buyer[1],
                       params={"q": "vacuum packaging for space food", "prefecture": "Gunma"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["code"] for p in body["understood"]["processes"]] == ["vacuum_packaging"]
    assert [m["organisation_id"] for m in body["matches"]] == [packer[0]]
    match = body["matches"][0]
    assert match["prefecture"] == "JP-15"
    assert match["distance_km"] > 100
    assert {r["code"] for r in match["reasons"]} >= {"process", "other_industry", "distance"}
    assert all(r["text_en"] and r["text_ja"] for r in match["reasons"])


def test_matching_leaves_out_the_searcher_and_those_without_a_required_certification(
        api: httpx.Client, supplier: Party) -> None:
    publish(api, supplier)
    rival = register_over_http(api, name_ja="浪速プレス", name_en=None, roles=["supplier"])
    publish(api, rival, certifications=["ISO 9001"])

    def found(**params: Any) -> list[str]:
        response = api.get("/api/v1/suppliers/matches", headers=supplier[1],
                           params={"q": "SPCC プレス加工", **params})
        assert response.status_code == 200, response.text
        return [m["organisation_id"] for m in response.json()["matches"]]

    assert found() == [rival[0]]
    assert found(certification="IATF 16949") == []


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"q": ""}, 422, "say what you need"),
    ({"q": "x" * 2001}, 422, "2001 characters"),
    ({"q": "press", "certification": "ISO 99999"}, 422, "'ISO 99999' is not a certification"),
    ({"q": "press", "prefecture": "Atlantis"}, 422, "not a Japanese prefecture"),
    ({"q": "press", "limit": "0"}, 400, "limit"),
])
def test_a_bad_search_is_refused_with_a_message_a_person_can_act_on(
        api: httpx.Client, buyer: Party, params: dict[str, str], status: int,
        words: str) -> None:
    response = api.get("/api/v1/suppliers/matches", headers=buyer[1], params=params)

    assert response.status_code == status
    assert words in response.json()["error"]["message"]


def test_matching_needs_an_api_token(api: httpx.Client) -> None:
    response = api.get("/api/v1/suppliers/matches", params={"q": "press"})

    assert response.status_code == 401


def test_a_need_is_matched_for_its_buyer_only(api: httpx.Client, supplier: Party,
                                              buyer: Party) -> None:
    publish(api, supplier)
    posted = api.post("/api/v1/needs", headers=buyer[1], json={
        "category": "care bed parts", "specification": "介護ベッド用フレーム部品 SPCC プレス",
        "unit": "pcs", "quantity": 3000, "needed_by": "2027-03-01",
        "delivery_prefecture": "Gunma"})
    assert posted.status_code == 201, posted.text
    need_id = posted.json()["id"]

    mine = api.get(f"/api/v1/needs/{need_id}/matches", headers=buyer[1])
    theirs = api.get(f"/api/v1/needs/{need_id}/matches", headers=supplier[1])

    assert mine.status_code == 200, mine.text
    assert [m["organisation_id"] for m in mine.json()["matches"]] == [supplier[0]]
    assert "other_industry" in {r["code"] for r in mine.json()["matches"][0]["reasons"]}
    assert theirs.status_code == 404
