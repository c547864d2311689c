"""The capability vocabularies: terms by any of their names, and the terms in a buyer's words."""

import pytest

from marketplace.domain.capabilities import (
    CERTIFICATIONS,
    INDUSTRIES,
    MATERIALS,
    PROCESSES,
    Kind,
    Term,
    UnknownCapabilityTermError,
    Vocabulary,
    find_terms,
)


@pytest.mark.parametrize("name", ["press", "Press working", "プレス加工", "プレス", "stamping",
                                  "打ち抜き", "ＰＲＥＳＳ", "  press  "])
def test_a_process_is_found_by_its_code_either_label_or_any_synonym(name: str) -> None:
    assert PROCESSES.parse(name).code == "press"


@pytest.mark.parametrize(("name", "code"), [
    ("SPCC", "spcc"), ("冷間圧延鋼板", "spcc"), ("ｓｕｓ　３０４", "sus304"),
    ("ステンレス", "stainless_steel"),
    ("ABS樹脂", "abs"), ("真空パック", "vacuum_packaging"), ("vacuum-packed", "vacuum_packaging"),
    ("ISO13485", "iso_13485"), ("iso_13485", "iso_13485"), ("ＩＡＴＦ １６９４９", "iatf_16949"),
    ("介護", "nursing_care")])
def test_names_in_japanese_english_and_full_width_forms_read_as_one_code(name: str,
                                                                        code: str) -> None:
    vocabularies = (PROCESSES, MATERIALS, CERTIFICATIONS, INDUSTRIES)
    found = {v.parse(name).code for v in vocabularies if _names(v, name)}

    assert found == {code}


def test_an_unknown_term_is_refused_naming_it_and_where_to_find_the_valid_ones() -> None:
    with pytest.raises(UnknownCapabilityTermError,
                       match=r"'laser welding' is not a process.*GET /api/v1/vocabulary"):
        PROCESSES.parse("laser welding")


def test_the_refusal_has_a_stable_code_for_the_api() -> None:
    with pytest.raises(UnknownCapabilityTermError) as refused:
        CERTIFICATIONS.parse("ISO 99999")

    assert refused.value.code == "unknown_capability_term"


def test_several_names_of_one_term_are_kept_once_as_its_code() -> None:
    assert MATERIALS.parse_all(["SUS304", "sus 304", "ABS", "ABS樹脂"]) == ("abs", "sus304")


def test_a_name_given_to_two_terms_of_one_kind_is_a_mistake_caught_at_start_up() -> None:
    terms = [Term(Kind.PROCESS, "press", "Press", "プレス", ("stamping",)),
             Term(Kind.PROCESS, "forming", "Forming", "成形", ("Stamping",))]

    with pytest.raises(ValueError, match="names both press and forming"):
        Vocabulary(Kind.PROCESS, terms)


def test_a_wanted_term_is_met_by_itself_its_kinds_and_in_part_by_its_broader_term() -> None:
    assert {"spcc", "sphc", "steel"} <= MATERIALS.related("steel")
    assert MATERIALS.related("spcc") == {"spcc", "steel"}
    assert "sus316" not in MATERIALS.related("sus304")


def test_the_terms_of_a_japanese_need_without_spaces_are_found() -> None:
    mentioned = find_terms("介護ベッドのフレーム部品を冷間圧延鋼板から打ち抜きで、ISO9001工場に")

    assert mentioned.processes == {"press"}
    assert mentioned.materials == {"spcc"}
    assert mentioned.certifications == {"iso_9001"}
    assert mentioned.industries == {"nursing_care"}


def test_the_terms_of_an_english_need_are_found_in_plurals_and_any_case() -> None:
    mentioned = find_terms("Pressed STEEL brackets and injection-molded ABS housings for cars")

    assert mentioned.processes == {"press", "injection_moulding"}
    assert mentioned.materials == {"steel", "abs"}
    assert mentioned.industries == {"automotive"}


def test_latin_names_match_whole_words_only() -> None:
    mentioned = find_terms("absolutely no pressure, we care for quality")

    assert mentioned.processes == mentioned.materials == mentioned.industries == frozenset()


@pytest.mark.parametrize("text", ["宇宙食の真空包装", "vacuum packaging for space food"])
def test_the_longest_name_wins_so_vacuum_packaging_is_not_also_plain_packaging(text: str) -> None:
    mentioned = find_terms(text)

    assert mentioned.processes == {"vacuum_packaging"}
    assert mentioned.industries == {"aerospace"}


def test_a_japanese_and_an_english_synonym_read_as_the_same_term() -> None:
    assert find_terms("真空パック").processes == find_terms("vacuum sealed").processes


def _names(vocabulary: Vocabulary, name: str) -> bool:
    try:
        vocabulary.parse(name)
    except UnknownCapabilityTermError:
        return False
    return True
