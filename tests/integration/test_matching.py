"""Supplier matching on a small cluster of firms, on SQLite and on PostgreSQL: the right firm
first, for Japanese and English needs, across industries, and the reasons why."""

from uuid import UUID

import pytest

from events import rebuild_read_models
from marketplace.application import Marketplace, NeedNotFoundError
from marketplace.domain.capabilities import UnknownCapabilityTermError
from marketplace.readmodels.matching import (
    MAX_QUERY_LENGTH,
    MatchQuery,
    MatchQueryEmptyError,
    MatchQueryTooLongError,
    SupplierMatch,
)
from tests.helpers import read_model_rows
from tests.matching_firms import FIRMS, register_firms

CARE_BED_EN = "pressed steel parts for care bed frames"
CARE_BED_JA = "介護ベッドのフレーム部品をプレスで"


@pytest.fixture
def firms(marketplace: Marketplace) -> dict[str, UUID]:
    return register_firms(marketplace)


def ranked(marketplace: Marketplace, firms: dict[str, UUID], text: str = "",
           **query: object) -> list[str]:
    return [key_of(firms, m) for m in matches(marketplace, text, **query)]


def matches(marketplace: Marketplace, text: str = "", **query: object) -> list[SupplierMatch]:
    return marketplace.matching.match(MatchQuery(text=text, **query))  # type: ignore[arg-type]


def key_of(firms: dict[str, UUID], match: SupplierMatch | UUID) -> str:
    organisation_id = match if isinstance(match, UUID) else match.organisation_id
    return next(key for key, i in firms.items() if i == organisation_id)


def keyword_only(marketplace: Marketplace, firms: dict[str, UUID], text: str) -> list[str]:
    return [key_of(firms, i) for i in marketplace.matching.text_search(text)]


def test_a_care_bed_makers_need_finds_the_car_press_shop_that_keyword_search_misses(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    found = matches(marketplace, CARE_BED_EN, prefecture="Gunma")

    assert "ota_press" not in keyword_only(marketplace, firms, CARE_BED_EN)
    assert key_of(firms, found[0]) == "ota_press"
    codes = [reason.code for reason in found[0].reasons]
    assert codes[:3] == ["process", "material", "other_industry"]
    assert "press working" in found[0].reasons[0].text_en
    assert "プレス加工" in found[0].reasons[0].text_ja


def test_keyword_search_ranks_the_welder_that_shares_the_words_but_matching_ranks_the_press(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    by_keyword = keyword_only(marketplace, firms, CARE_BED_JA)

    by_fit = ranked(marketplace, firms, CARE_BED_JA, prefecture="群馬県")

    assert by_keyword[0] == "utsunomiya_weld"
    assert by_fit[:2] == ["ota_press", "naniwa_press"]


@pytest.mark.parametrize("need", ["vacuum packaging for space food", "宇宙食の真空包装"])
def test_a_space_food_need_finds_the_food_packer_whose_profile_says_vacuum_pack(
        marketplace: Marketplace, firms: dict[str, UUID], need: str) -> None:
    found = matches(marketplace, need)

    assert key_of(firms, found[0]) == "echigo_pack"
    reasons = {reason.code: reason for reason in found[0].reasons}
    assert "vacuum packaging" in reasons["process"].text_en
    assert "真空包装" in reasons["process"].text_ja
    assert "food" in reasons["other_industry"].text_en


def test_the_english_space_food_need_shares_no_word_with_the_japanese_only_packer(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    assert FIRMS["echigo_pack"].profile.get("description_en") is None
    assert keyword_only(marketplace, firms, "vacuum packaging for space food") == []


@pytest.mark.parametrize("need", ["群馬県内でSPCCのプレス加工ができる会社を探しています",
                                  "SPCC press working near Gunma"])
def test_a_plain_need_in_either_language_ranks_the_press_shop_first(
        marketplace: Marketplace, firms: dict[str, UUID], need: str) -> None:
    found = matches(marketplace, need, prefecture="Gunma")

    assert key_of(firms, found[0]) == "ota_press"
    material = next(r for r in found[0].reasons if r.code == "material")
    assert "SPCC" in material.text_en


def test_injection_moulded_abs_finds_the_moulder_by_process_and_material(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    found = matches(marketplace, "injection moulded ABS housings")

    assert key_of(firms, found[0]) == "isesaki_jushi"
    assert {"process", "material"} <= {reason.code for reason in found[0].reasons}


def test_a_required_certification_leaves_out_every_supplier_without_it(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    need = "SUS304の精密切削部品（手術器具）"

    anyone = ranked(marketplace, firms, need)
    certified = ranked(marketplace, firms, need, certifications=frozenset({"ISO 13485"}))

    assert {"akagi_seiki", "kiryu_seimitsu"} <= set(anyone)
    assert certified[0] == "akagi_seiki"
    assert "kiryu_seimitsu" not in certified
    assert {"ota_press", "naniwa_press"}.isdisjoint(certified)


def test_a_certification_in_the_words_of_the_need_is_preferred_and_its_lack_said(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    found = matches(marketplace, "ISO 13485 certified turning of SUS304 pins")

    assert key_of(firms, found[0]) == "akagi_seiki"
    lacking = next(m for m in found if key_of(firms, m) == "kiryu_seimitsu")
    assert "missing_certification" in {reason.code for reason in lacking.reasons}


@pytest.mark.parametrize(("delivery", "nearest"), [("Gunma", "ota_press"),
                                                   ("Osaka", "naniwa_press")])
def test_between_equally_capable_suppliers_the_nearer_one_ranks_first(
        marketplace: Marketplace, firms: dict[str, UUID], delivery: str, nearest: str) -> None:
    found = matches(marketplace, processes=frozenset({"press"}), prefecture=delivery)

    assert {key_of(firms, m) for m in found[:2]} == {"ota_press", "naniwa_press"}
    assert key_of(firms, found[0]) == nearest
    assert found[0].distance_km is not None
    assert found[0].distance_km < found[1].distance_km


@pytest.mark.parametrize("need", ["handrails", "手すり"])
def test_a_need_the_vocabulary_does_not_know_is_found_by_the_full_text_index(
        marketplace: Marketplace, firms: dict[str, UUID], need: str) -> None:
    found = matches(marketplace, need)

    assert [key_of(firms, m) for m in found] == ["utsunomiya_weld"]
    assert [reason.code for reason in found[0].reasons] == ["text"]


def test_the_buyer_itself_and_organisations_that_no_longer_supply_are_left_out(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    marketplace.update_organisation_profile(firms["naniwa_press"], roles=["buyer"])

    found = ranked(marketplace, firms, CARE_BED_EN, exclude=frozenset({firms["ota_press"]}))

    assert "ota_press" not in found
    assert "naniwa_press" not in found
    assert found


def test_a_changed_profile_is_matched_at_once(marketplace: Marketplace,
                                              firms: dict[str, UUID]) -> None:
    assert "joshu_shiki" not in ranked(marketplace, firms, "vacuum packaging")

    marketplace.publish_supplier_profile(
        firms["joshu_shiki"], processes=["corrugated_boxes", "vacuum_packaging"])

    assert "joshu_shiki" in ranked(marketplace, firms, "vacuum packaging")


def test_a_buyer_matches_its_own_need_and_no_one_elses(
        marketplace: Marketplace, firms: dict[str, UUID]) -> None:
    need_id = marketplace.post_need(
        firms["maebashi_care"], category="care bed parts",
        specification="介護ベッド用フレーム部品 SPCC t1.6 プレス加工", unit="pcs", quantity=3000,
        needed_by="2027-03-01", delivery_prefecture="Gunma")

    found = marketplace.matching.for_need(firms["maebashi_care"], need_id)

    assert key_of(firms, found[0]) == "ota_press"
    with pytest.raises(NeedNotFoundError):
        marketplace.matching.for_need(firms["joshu_shiki"], need_id)


@pytest.mark.parametrize(("query", "error"), [
    (MatchQuery(text="  "), MatchQueryEmptyError),
    (MatchQuery(text="x" * (MAX_QUERY_LENGTH + 1)), MatchQueryTooLongError),
    (MatchQuery(text="parts", processes=frozenset({"hydroforming"})), UnknownCapabilityTermError),
])
def test_a_need_that_says_nothing_too_much_or_an_unknown_term_is_refused(
        marketplace: Marketplace, query: MatchQuery, error: type[Exception]) -> None:
    with pytest.raises(error):
        marketplace.matching.match(query)


def test_a_replay_rebuilds_profiles_token_counts_and_the_full_text_index(
        marketplace: Marketplace, firms: dict[str, UUID], migrated_url: str) -> None:
    marketplace.publish_supplier_profile(firms["ota_press"], description_en="Stamped brackets")
    live = read_model_rows(migrated_url)
    before = matches(marketplace, CARE_BED_JA, prefecture="Gunma")

    rebuild_read_models(marketplace, batch_size=4)

    assert read_model_rows(migrated_url) == live
    assert matches(marketplace, CARE_BED_JA, prefecture="Gunma") == before
    assert keyword_only(marketplace, firms, "stamped brackets") == ["ota_press"]
    assert len(live["supplier_profiles"]) == sum(bool(f.profile) for f in FIRMS.values())
