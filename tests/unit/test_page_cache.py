"""The kept pages' map: bounded, least recently used out first, nothing past its expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from web.page_cache import PageCache

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)


def test_a_kept_page_is_found_until_it_expires() -> None:
    cache = PageCache()
    cache.put("lot", ("<p>lot</p>",), expires_at=LATER)

    assert cache.get("lot", NOW) == ("<p>lot</p>",)
    assert cache.get("lot", LATER) is None
    assert cache.get("lot", NOW) is None  # gone once expired


def test_the_least_recently_read_page_makes_room_for_a_new_one() -> None:
    cache = PageCache(size=2)
    cache.put("a", ("A",), LATER)
    cache.put("b", ("B",), LATER)
    cache.get("a", NOW)

    cache.put("c", ("C",), LATER)

    assert cache.get("b", NOW) is None
    assert cache.get("a", NOW) == ("A",)
    assert cache.get("c", NOW) == ("C",)


def test_a_cache_of_size_zero_keeps_nothing() -> None:
    cache = PageCache(size=0)

    cache.put("a", ("A",), LATER)

    assert cache.get("a", NOW) is None
