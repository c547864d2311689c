"""The members' dashboard: what needs each role's attention, as a page and as the fragment
that htmx refreshes every 30 seconds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain.sealed_round import SETTLE
from tests.lots_builders import BID_TERMS, CONSORTIUM_TERMS
from tests.pages import Site, ids_in

CLUSTER = "上州ものづくり"
DAY = timedelta(days=1)
QUOTE: list[dict[str, Any]] = [
    {"line": 1, "unit_price": "33.5", "lead_time_days": 5, "valid_until": "2026-12-31"}]


def _need(marketplace: Marketplace, buyer: UUID, quantity: Any = 1000, *,
          category: str = "steel sheet", unit: str = "kg") -> UUID:
    return marketplace.post_need(
        buyer, category=category, specification="SPCC 1 mm", unit=unit, quantity=quantity,
        needed_by="2026-12-15", delivery_prefecture="Gunma")


def _lot(marketplace: Marketplace, organiser: UUID, closes_in: timedelta) -> UUID:
    return marketplace.open_lot(
        organiser, category="Steel sheet", specification="SPCC 1 mm", unit="kg",
        closes_at=marketplace.clock() + closes_in, cluster=CLUSTER, thresholds=[1000, 5000])


def test_a_buyer_sees_its_open_needs_lots_closing_rfqs_and_allocations(
        site: Site, clock: SettableClock) -> None:
    member = site.new_member(roles=("buyer",))
    m, me = site.accounts.marketplace, member.organisation_id
    supplier = site.new_member(roles=("supplier",)).organisation_id
    open_need = _need(m, me, 300)
    closing, cleared = _lot(m, me, 7 * DAY), _lot(m, me, DAY)
    m.pool_need(me, closing, _need(m, me, 800))
    m.pool_need(me, cleared, _need(m, me, 1000))
    m.join_lot(supplier, cleared)
    m.place_bid(supplier, cleared, **BID_TERMS)
    rfq = m.issue_rfq(me, need_ids=[_need(m, me, 50, category="bolts", unit="pcs")],
                      title="Bolts for January", closes_at=clock() + 3 * DAY,
                      invited=[supplier])
    clock.advance(DAY + timedelta(minutes=1))
    m.close_due_lots()
    visitor = site.logged_in(member)  # after the clock moved: sessions end when idle

    page = visitor.get("/dashboard", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    assert "<html" in page.text
    assert ids_in(page.text, "/needs") == [open_need]
    assert f"/lots/{closing}" in page.text
    assert 'value="800" max="1000"' in page.text
    assert "200 kg more reaches the next threshold" in page.text
    assert f"/rfqs/{rfq}" in page.text
    assert "Bolts for January" in page.text
    assert f"/lots/{cleared}/allocation" in page.text
    assert "1,000 kg served" in page.text
    assert "As a supplier" not in page.text


def test_the_htmx_refresh_returns_only_the_attention_list_and_keeps_polling(
        site: Site) -> None:
    member, visitor = site.member_visitor(roles=("buyer",))
    need_id = _need(site.accounts.marketplace, member.organisation_id)

    whole = visitor.get("/dashboard")
    fragment = visitor.get("/dashboard", htmx=True)

    assert 'hx-get="/dashboard" hx-trigger="every 30s"' in whole.text
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="attention" hx-get="/dashboard" '
                                             'hx-trigger="every 30s" hx-swap="outerHTML">')
    assert ids_in(fragment.text, "/needs") == [need_id]


def test_a_supplier_sees_invitations_lots_rfqs_awards_and_purchase_orders(
        site: Site, clock: SettableClock) -> None:
    member = site.new_member(roles=("supplier",))
    m, me = site.accounts.marketplace, member.organisation_id
    buyer = site.new_member(roles=("buyer",)).organisation_id
    lead = site.new_member(roles=("supplier",), name="赤城スチール株式会社").organisation_id
    open_lot, cleared = _lot(m, buyer, 2 * DAY), _lot(m, buyer, DAY)
    m.pool_need(buyer, open_lot, _need(m, buyer, 800))
    m.pool_need(buyer, cleared, _need(m, buyer, 1000))
    m.join_lot(lead, open_lot)
    m.place_bid(lead, open_lot, **CONSORTIUM_TERMS, shares={lead: 600, me: 400})
    m.join_lot(me, cleared)
    m.place_bid(me, cleared, **BID_TERMS)
    invited = m.issue_rfq(buyer, need_ids=[_need(m, buyer, 80, category="nuts", unit="pcs")],
                          title="Nuts for March", closes_at=clock() + 3 * DAY, invited=[me])
    ordered = m.issue_rfq(buyer, need_ids=[_need(m, buyer, 50, category="bolts", unit="pcs")],
                          title="Bolts for January", closes_at=clock() + DAY, invited=[me])
    quote = m.submit_quote(me, ordered, QUOTE)
    clock.advance(DAY + SETTLE)
    m.close_due_lots()
    m.award_rfq(buyer, ordered, whole=quote, reason="the only quote")
    visitor = site.logged_in(member)

    page = visitor.get("/dashboard", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    assert "赤城スチール株式会社 asks you to supply 400 kg" in page.text
    assert f"/lots/{open_lot}" in page.text
    assert f"/rfqs/{invited}" in page.text
    assert "Invited, not quoted yet" in page.text
    assert f"/lots/{cleared}/allocation" in page.text
    assert "awarded 1,000 kg" in page.text
    assert f"/rfqs/{ordered}" in page.text
    assert "/purchase-orders/" in page.text
    assert "¥1,675" in page.text
    assert "As a buyer" not in page.text


def test_an_auditor_sees_the_ledger_position_and_an_admin_the_members(site: Site) -> None:
    member, visitor = site.member_visitor(roles=("buyer",))
    site.accounts.set_roles(member, member.id, ["admin", "auditor"])
    site.accounts.invite(member, "colleague@firm.example.jp", ["buyer"])
    position = site.accounts.marketplace.position()

    page = visitor.get("/dashboard", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    assert 'href="/audit"' in page.text
    assert f"position {position:,}" in page.text
    assert 'href="/members"' in page.text
    assert "Invitations not yet accepted" in page.text
    assert "As a buyer" not in page.text
    assert "As a supplier" not in page.text


def test_empty_sections_are_calm_and_speak_japanese_or_english(site: Site) -> None:
    _member, visitor = site.member_visitor(roles=("supplier",))

    japanese = visitor.get("/dashboard", headers={"Accept-Language": "ja"})
    english = visitor.get("/dashboard", headers={"Accept-Language": "en"})

    assert japanese.status_code == english.status_code == 200
    assert "サプライヤー" in japanese.text
    assert "共同体" in japanese.text
    assert "No consortium is waiting for your answer." in english.text
    assert "No RFQ is open to you just now." in english.text


def test_a_visitor_without_a_session_is_sent_to_log_in(site: Site) -> None:
    response = site.visitor().get("/dashboard")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
