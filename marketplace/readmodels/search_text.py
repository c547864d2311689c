"""Tokens for full-text search, cut in Python the same way for SQLite and PostgreSQL.

Japanese has no spaces between words, so a run of katakana and kanji becomes its
overlapping bigrams (プレス加工 → プレ レス ス加 加工), a single character its unigram.
Hiragana carries the grammar (の, を, しています) and is left out: its bigrams (いま, ます)
would make every polite sentence match every other. The few content words written in
hiragana (めっき, ねじ) are found through the vocabulary instead. Latin text becomes
lower-cased words, with common English function words dropped and plurals folded
(presses → press, frames → frame). Both databases index these tokens as they are (FTS5's
``ascii`` tokenizer splits on the spaces only; PostgreSQL's ``array_to_tsvector`` takes them
without a parser), so they find the same candidates for the same query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_CJK = "\u3005\u3006\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[0-9a-z\u00c0-\u024f]+)")
_NOT_HIRAGANA = re.compile("[^\u3040-\u309f]+")
STOP_WORDS = frozenset({
    "an", "and", "any", "are", "as", "at", "be", "by", "can", "for", "from", "in", "into", "is",
    "it", "its", "of", "on", "or", "our", "over", "per", "such", "than", "that", "the", "these",
    "this", "those", "to", "up", "us", "via", "we", "will", "with", "your"})
"""English words that say nothing about what is made (one-letter words are dropped anyway)."""


def tokens(text: str) -> list[str]:
    """The distinct search tokens of a text, in order of first appearance."""
    found: dict[str, None] = {}
    for run in _RUNS.finditer(unicodedata.normalize("NFKC", text).lower()):
        if run.group("cjk"):
            found.update(dict.fromkeys(_cjk_tokens(run.group())))
        elif (word := _word(run.group())) is not None:
            found[word] = None
    return list(found)


def document(*texts: str | None) -> str:
    """What the full-text index holds for these texts: their tokens, sorted, space-separated."""
    return " ".join(sorted({token for text in texts if text for token in tokens(text)}))


def sqlite_match(query_tokens: Iterable[str]) -> str:
    """An FTS5 MATCH expression for any of the tokens (they never contain quotes)."""
    return " OR ".join(f'"{token}"' for token in query_tokens)


def postgresql_tsquery(query_tokens: Iterable[str]) -> str:
    """A tsquery for any of the tokens, each quoted as a literal lexeme."""
    return " | ".join(f"'{token}'" for token in query_tokens)


def _cjk_tokens(run: str) -> list[str]:
    found = []
    for part in _NOT_HIRAGANA.findall(run):
        found += [part] if len(part) == 1 else [part[i:i + 2] for i in range(len(part) - 1)]
    return found


MAX_TOKEN_LENGTH = 64


def _word(word: str) -> str | None:
    if not 2 <= len(word) <= MAX_TOKEN_LENGTH or word in STOP_WORDS:
        return None
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
