"""The auditor's time travel pages: a lot's timeline, and the lot at a position or an instant
picked in the member's time zone; sealed bids stay sealed until the lot closes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from events import SettableClock
from marketplace.accounts import Member
from marketplace.application import Marketplace
from tests.integration.test_allocation_pages import CLUSTER, ENGLISH
from tests.integration.test_audit_pages import an_auditor
from tests.lots_builders import bid_alone, post_need
from tests.pages import PASSWORD, Site

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Lot:
    """Opened at 18:00 JST; 800 kg pooled at 19:00, 600 kg at 20:00; a bid at 21:00."""

    id: UUID
    buyer: Member
    supplier: Member
    supplier_name: str


def a_lot(site: Site, clock: SettableClock, *, closed: bool) -> Lot:
    marketplace: Marketplace = site.accounts.marketplace
    buyer, other = site.new_member(roles=("buyer",)), site.new_member(roles=("buyer",))
    supplier = site.new_member(roles=("supplier",), name="封印テスト鋼材株式会社")
    lot_id = marketplace.open_lot(
        buyer.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm",
        unit="kg", closes_at=clock() + timedelta(days=7), cluster=CLUSTER, thresholds=[1000])
    for member, quantity in ((buyer, 800), (other, 600)):
        clock.advance(HOUR)
        need_id = post_need(marketplace, member.organisation_id, quantity, max_unit_price=190)
        marketplace.pool_need(member.organisation_id, lot_id, need_id)
    clock.advance(HOUR)
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    if closed:
        clock.advance(timedelta(days=8))
        assert marketplace.close_due_lots() == [lot_id]
    return Lot(lot_id, buyer, supplier, "封印テスト鋼材株式会社")


def state_links(html: str, lot_id: UUID) -> list[int]:
    return [int(p) for p in re.findall(rf"/audit/lots/{lot_id}/state\?position=(\d+)", html)]


def test_an_auditor_sees_a_closed_lots_timeline_each_entry_linked_to_its_state(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=True)
    _, auditor = an_auditor(site)

    response = auditor.get(f"/audit/lots/{lot.id}/timeline", headers=ENGLISH)

    assert response.status_code == 200
    html = response.text
    positions = [int(p) for p in re.findall(r'<tr data-position="(\d+)"', html)]
    assert len(positions) == 7
    assert positions == sorted(positions)
    assert state_links(html, lot.id) == positions
    assert "pooled 800 kg by" in html
    assert f"bid placed by {lot.supplier_name}: ¥200 (≥ 100 kg)" in html
    assert 'id="bids-sealed"' not in html
    assert 'type="datetime-local" name="at"' in html
    assert "In your time zone, Asia/Tokyo." in html
    assert "style=" not in html


def test_the_state_page_shows_the_lot_as_it_stood_at_each_position(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=True)
    _, auditor = an_auditor(site)
    positions = state_links(auditor.get(f"/audit/lots/{lot.id}/timeline").text, lot.id)

    pages = [auditor.get(f"/audit/lots/{lot.id}/state?position={p}", headers=ENGLISH)
             for p in positions]

    assert [page.status_code for page in pages] == [200] * 7
    pooled = [re.search(r'data-quantity="([\d.]+)"', page.text).group(1)  # type: ignore[union-attr]
              for page in pages]
    assert pooled == ["0", "800", "1400", "1400", "1400", "1400", "1400"]
    statuses = [re.search(r'data-status="(\w+)"', page.text).group(1)  # type: ignore[union-attr]
                for page in pages]
    assert statuses == ["open"] * 5 + ["closed", "allocated"]
    first, last = pages[0].text, pages[-1].text
    assert f'href="/audit/lots/{lot.id}/state?position={positions[1]}" rel="next"' in first
    assert 'rel="prev"' not in first
    assert 'id="allocation"' in last
    assert lot.supplier_name in last[last.index('id="bids-table"'):]


def test_the_instant_picked_is_read_in_the_members_time_zone(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=False)
    _, auditor = an_auditor(site)

    # 19:30 in Tokyo is 10:30 UTC: after the first pooling (19:00 JST), before the second.
    html = auditor.get(f"/audit/lots/{lot.id}/state?at=2026-11-20T19:30",
                       headers=ENGLISH).text

    assert 'data-quantity="800"' in html
    assert 'data-version="2"' in html
    assert "You asked for the lot at 2026-11-20 19:30 JST." in html


def test_bids_are_sealed_on_the_pages_until_the_lot_closes(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=False)
    _, auditor = an_auditor(site)

    timeline = auditor.get(f"/audit/lots/{lot.id}/timeline", headers=ENGLISH).text
    state = auditor.get(f"/audit/lots/{lot.id}/state", headers=ENGLISH).text

    for html in (timeline, state):
        assert 'id="bids-sealed"' in html
        assert "¥200" not in html
        assert "¥180" not in html
        assert "2,000" not in html
    assert "a bid was placed (sealed until the lot closes)" in timeline
    assert "bid placed by" not in timeline
    assert 'id="bid-count" data-count="1"' in state
    assert 'id="bids-table"' not in state
    assert lot.supplier_name not in state[state.index('id="bids"'):]


def test_the_timeline_speaks_japanese(site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=False)
    _, auditor = an_auditor(site)

    html = auditor.get(f"/audit/lots/{lot.id}/timeline").text

    assert "タイムライン" in html
    assert "800 kg で参加" in html
    assert "入札あり（締切まで封印）" in html


def test_a_point_that_cannot_be_shown_is_a_4xx_page_that_says_why(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=False)
    _, auditor = an_auditor(site)
    end = site.accounts.marketplace.position()

    answers = {query: auditor.get(f"/audit/lots/{lot.id}/state?{query}", headers=ENGLISH)
               for query in (f"position={end + 1}", "position=1", "position=abc",
                             "at=2999-01-01T09:00", "at=yesterday", f"position=1&at={'x'}")}

    assert {q: r.status_code for q, r in answers.items()} == dict.fromkeys(answers, 422)
    assert f"its last position is {end}" in answers[f"position={end + 1}"].text
    assert "did not exist yet at position 1" in answers["position=1"].text
    assert "is not a ledger position" in answers["position=abc"].text
    assert "has not come yet" in answers["at=2999-01-01T09:00"].text
    assert "is not a date and time" in answers["at=yesterday"].text
    assert site.accounts.marketplace.position() == end


def test_a_lot_not_open_to_the_auditors_organisation_is_not_found(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=True)
    outsider = site.new_member(roles=("buyer",), clusters=("Kansai Metal",),
                               prefecture="Osaka")
    site.accounts.set_roles(outsider, outsider.id, ["admin", "auditor"])
    visitor = site.logged_in(outsider)

    for page in ("timeline", "state?position=1"):
        response = visitor.get(f"/audit/lots/{lot.id}/{page}", headers=ENGLISH)

        assert response.status_code == 404
        assert "Steel sheet" not in response.text


def test_buyers_and_suppliers_are_refused_the_time_travel_pages(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=True)
    for admin in (lot.buyer, lot.supplier):
        role = "buyer" if admin is lot.buyer else "supplier"
        token = site.accounts.invite(admin, f"{role}.only.{admin.id.hex[:8]}@firm.example.jp",
                                     [role])
        member = site.accounts.accept_invitation(token, name="担当", password=PASSWORD)
        visitor = site.logged_in(member)

        for page in ("timeline", "state"):
            response = visitor.get(f"/audit/lots/{lot.id}/{page}")

            assert response.status_code == 403
            assert "this page is for members with the auditor role" in response.text


def test_the_audit_landing_links_each_closed_lot_to_its_timeline(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock, closed=True)
    _, auditor = an_auditor(site)

    html = auditor.get("/audit", headers=ENGLISH).text

    assert f'href="/audit/lots/{lot.id}/timeline"' in html
