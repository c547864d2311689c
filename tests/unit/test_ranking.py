"""The fit of a supplier to a need: its parts, their weights, and the reasons given."""

from marketplace.domain import Prefecture
from marketplace.domain.capabilities import MATERIALS, PROCESSES, Kind
from marketplace.readmodels.ranking import (
    BROADER_FIT,
    MIN_SCORE,
    WEIGHTS,
    Candidate,
    Need,
    idf,
    parts,
    reasons,
    score,
    term_fit,
)


def a_need(**fields: object) -> Need:
    values: dict[str, object] = {
        "processes": frozenset(), "materials": frozenset(), "certifications": frozenset(),
        "required": frozenset(), "industries": frozenset(), "tokens": frozenset(),
        "prefecture": None}
    values.update(fields)
    return Need(**values)  # type: ignore[arg-type]


def test_a_kind_of_the_wanted_material_meets_it_fully() -> None:
    fit = term_fit(MATERIALS, frozenset({"steel"}), {"spcc", "abs"})

    assert fit.score == 1.0
    assert fit.exact == ("spcc",)


def test_the_broader_term_meets_a_wanted_one_by_half_and_says_which_it_stands_for() -> None:
    fit = term_fit(PROCESSES, frozenset({"deep_drawing", "welding"}), {"press", "welding"})

    assert fit.score == (BROADER_FIT + 1.0) / 2
    assert fit.related == ("press",)
    assert fit.unmet == ("deep_drawing",)


def test_another_term_of_the_family_does_not_count() -> None:
    assert term_fit(MATERIALS, frozenset({"sus304"}), {"sus316"}).score == 0.0


def test_the_score_weighs_only_the_parts_the_need_speaks_of_so_a_perfect_fit_scores_one() -> None:
    need = a_need(processes=frozenset({"press"}), prefecture=Prefecture.parse("Gunma"))
    perfect = Candidate("JP-10", fits={Kind.PROCESS: 1.0})

    found = parts(need, perfect, {})

    assert set(found) == {"process", "distance"}
    assert score(need, found) == 1.0


def test_being_near_without_any_capability_the_need_asks_for_is_no_match() -> None:
    need = a_need(processes=frozenset({"press"}), prefecture=Prefecture.parse("Gunma"))
    neighbour = Candidate("JP-10")

    assert score(need, parts(need, neighbour, {})) == 0.0


def test_a_thin_fit_below_the_minimum_score_is_not_shown() -> None:
    need = a_need(processes=frozenset({"press"}), tokens=frozenset({"bracket", "frame"}))
    weak = Candidate("JP-10", tokens=frozenset({"frame"}))
    rare = {"bracket": 9.0, "frame": 0.5}

    found = parts(need, weak, rare)

    assert 0 < WEIGHTS["text"] * found["text"] / (WEIGHTS["process"] + WEIGHTS["text"]) < MIN_SCORE
    assert score(need, found) == 0.0


def test_rare_words_count_more_than_common_ones_in_the_text_part() -> None:
    need = a_need(tokens=frozenset({"handrail", "part"}))
    weights = {"handrail": idf(3, 1000), "part": idf(900, 1000)}

    with_rare = parts(need, Candidate("JP-10", tokens=frozenset({"handrail"})), weights)
    with_common = parts(need, Candidate("JP-10", tokens=frozenset({"part"})), weights)

    assert with_rare["text"] > 0.9 > 0.1 > with_common["text"]


def test_a_supplier_of_another_industry_is_marked_as_a_cross_industry_match() -> None:
    need = a_need(processes=frozenset({"press"}), industries=frozenset({"nursing_care"}))
    press_shop = Candidate("JP-10", fits={Kind.PROCESS: 1.0},
                           terms={Kind.PROCESS: {"press"}, Kind.INDUSTRY: {"automotive"}})

    said = reasons(need, press_shop, parts(need, press_shop, {}))

    assert [r.code for r in said] == ["process", "other_industry"]
    assert "automotive" in said[1].text_en
    assert "nursing care" in said[1].text_en
    assert "異業種" in said[1].text_ja


def test_a_supplier_of_the_same_industry_is_said_to_serve_it_already() -> None:
    need = a_need(processes=frozenset({"press"}), industries=frozenset({"automotive"}))
    press_shop = Candidate("JP-10", fits={Kind.PROCESS: 1.0},
                           terms={Kind.PROCESS: {"press"}, Kind.INDUSTRY: {"automotive"}})

    said = reasons(need, press_shop, parts(need, press_shop, {}))

    assert [r.code for r in said] == ["process", "industry"]


def test_a_mentioned_certification_the_supplier_lacks_is_said_in_both_languages() -> None:
    need = a_need(processes=frozenset({"turning"}), certifications=frozenset({"iso_13485"}))
    lathe_shop = Candidate("JP-10", fits={Kind.PROCESS: 1.0},
                           terms={Kind.PROCESS: {"turning"}, Kind.CERTIFICATION: {"iso_9001"}})

    said = {r.code: r for r in reasons(need, lathe_shop, parts(need, lathe_shop, {}))}

    assert said["missing_certification"].text_en == "Does not hold ISO 13485, which your need " \
                                                    "mentions."
    assert "ISO 13485" in said["missing_certification"].text_ja


def test_the_distance_reason_names_both_prefectures_and_the_kilometres() -> None:
    need = a_need(processes=frozenset({"press"}), prefecture=Prefecture.parse("Gunma"))
    osaka = Candidate("JP-27", fits={Kind.PROCESS: 1.0}, terms={Kind.PROCESS: {"press"}})

    distance = reasons(need, osaka, parts(need, osaka, {}))[-1]

    assert distance.code == "distance"
    assert distance.text_en.startswith("Based in Osaka, about ")
    assert distance.text_en.endswith(" km from delivery in Gunma.")
    assert "大阪府" in distance.text_ja
    assert "群馬県" in distance.text_ja
