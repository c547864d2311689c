"""Search tokens: Japanese without spaces cut into bigrams, English into plain words."""

from marketplace.readmodels.search_text import document, postgresql_tsquery, sqlite_match, tokens


def test_japanese_without_spaces_becomes_overlapping_bigrams() -> None:
    assert tokens("プレス加工") == ["プレ", "レス", "ス加", "加工"]


def test_hiragana_is_grammar_and_is_left_out() -> None:
    assert tokens("真空パックの充填をしています") == ["真空", "空パ", "パッ", "ック", "充填"]


def test_a_single_kanji_between_kana_is_kept_as_itself() -> None:
    assert tokens("鉄を") == ["鉄"]


def test_english_is_lower_cased_its_plurals_folded_and_its_function_words_dropped() -> None:
    assert tokens("Presses and Stampings for the Car Makers") == ["press", "stamping", "car",
                                                                  "maker"]


def test_full_width_letters_and_digits_read_as_ascii() -> None:
    assert tokens("ＳＵＳ３０４の板") == ["sus304", "板"]


def test_a_document_holds_each_token_once_sorted() -> None:
    assert document("spcc プレス", None, "SPCC") == "spcc プレ レス"


def test_both_databases_are_asked_for_any_of_the_same_quoted_tokens() -> None:
    assert sqlite_match(["真空", "pack"]) == '"真空" OR "pack"'
    assert postgresql_tsquery(["真空", "pack"]) == "'真空' | 'pack'"
