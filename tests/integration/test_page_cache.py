"""Kept pages (web/page_cache.py): a page read again before the ledger moves is the page a
fresh render would give, to the same member only, with the asking browser's CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

from events import SettableClock
from tests.integration.test_lot_pages import open_lot, post_need
from tests.pages import Site


def csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="_csrf_token" value="([^"]+)"', html))


def test_a_page_read_again_is_the_same_page_with_this_browsers_csrf_token(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, first = site.member_visitor(roles=("buyer",))
    second = site.logged_in(member)  # the same member in another browser
    lot_id = open_lot(marketplace, member.organisation_id)

    one = first.get(f"/lots/{lot_id}").text
    two = second.get(f"/lots/{lot_id}").text

    assert csrf_tokens(one) == {first.csrf_token()}
    assert csrf_tokens(two) == {second.csrf_token()}
    assert one.replace(first.csrf_token(), "T") == two.replace(second.csrf_token(), "T")


def test_any_new_event_on_the_ledger_shows_on_the_next_read(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    other = site.new_member()
    lot_id = open_lot(marketplace, member.organisation_id)
    before = visitor.get(f"/lots/{lot_id}").text

    marketplace.pool_need(other.organisation_id, lot_id,
                          post_need(marketplace, other.organisation_id, 1234))
    after = visitor.get(f"/lots/{lot_id}").text

    assert "1,234" not in before
    assert "1,234" in after


def test_a_kept_page_is_never_served_to_another_member(site: Site) -> None:
    marketplace = site.accounts.marketplace
    organiser, _ = site.member_visitor(roles=("buyer",))
    supplier, supplier_visitor = site.member_visitor(roles=("supplier",))
    rival, rival_visitor = site.member_visitor(roles=("supplier",))
    lot_id = open_lot(marketplace, organiser.organisation_id)
    marketplace.join_lot(supplier.organisation_id, lot_id)
    marketplace.place_bid(supplier.organisation_id, lot_id,
                          tiers=[{"from_quantity": 0, "unit_price": "187.25"}],
                          minimum_quantity=1, lead_time_days=10, valid_until="2026-12-31",
                          capacity=5000)

    mine = supplier_visitor.get(f"/lots/{lot_id}").text
    theirs = rival_visitor.get(f"/lots/{lot_id}").text

    assert "187.25" in mine
    assert "187.25" not in theirs
    assert rival.display_name in theirs


def test_an_open_lot_reads_as_closed_from_its_close_time_without_any_new_event(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id, closes_in=timedelta(minutes=10))
    polling = visitor.get(f"/lots/{lot_id}/progress").text
    position = marketplace.position()

    clock.advance(timedelta(minutes=11))
    closed = visitor.get(f"/lots/{lot_id}/progress").text

    assert marketplace.position() == position
    assert 'hx-trigger="every 5s"' in polling
    assert "hx-trigger" not in closed
