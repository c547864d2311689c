"""The auditor's landing page: the ledger's position, the lots and their clearings, the tools."""

from __future__ import annotations

from events import SettableClock
from marketplace.accounts import Member
from tests.integration.test_allocation_pages import ENGLISH, a_lot
from tests.pages import PASSWORD, Site, Visitor


def an_auditor(site: Site) -> tuple[Member, Visitor]:
    """The admin of a firm of the lot's cluster that takes no part in the lot, now its auditor."""
    member = site.new_member(roles=("buyer",))
    site.accounts.set_roles(member, member.id, ["admin", "auditor"])
    return member, site.logged_in(member)


def test_an_auditor_sees_the_ledger_position_and_the_closed_lots_with_their_allocation(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    _, auditor = an_auditor(site)

    response = auditor.get("/audit", headers=ENGLISH)

    assert response.status_code == 200
    html = response.text
    position = site.accounts.marketplace.position()
    assert position > 0
    assert f'data-position="{position}"' in html
    assert 'data-count="1"' in html
    assert f'href="/lots/{lot.id}/allocation"' in html
    assert "marketplace replay" in html
    assert "marketplace allocate INPUT.json" in html
    tools = html[html.index('id="audit-tools"'):]
    assert 'href="/audit/ledger"' in tools
    assert 'href="/audit/verify"' in tools
    assert 'href="/ledger/checkpoints"' in tools
    assert 'href="/audit" aria-current="page"' in html


def test_an_auditor_outside_the_lot_sees_its_allocation_in_aggregate_only(
        site: Site, clock: SettableClock) -> None:
    lot = a_lot(site, clock)
    _, auditor = an_auditor(site)

    html = auditor.get(f"/lots/{lot.id}/allocation", headers=ENGLISH).text

    assert 'data-status="optimal"' in html
    assert "1,400 of 1,500 kg pooled" in html
    assert 'id="input-digest">sha256:' in html
    assert 'id="pool-unit-price"' not in html
    assert 'id="savings-chart"' not in html
    assert 'id="allocation-table"' not in html
    assert "¥180" not in html
    assert 'href="/audit"' in html


def test_the_audit_page_is_refused_to_a_buyer_only_member(site: Site) -> None:
    admin = site.new_member(roles=("buyer",))
    token = site.accounts.invite(admin, "buyer.only@firm.example.jp", ["buyer"])
    buyer = site.accounts.accept_invitation(token, name="購買 担当", password=PASSWORD)
    visitor = site.logged_in(buyer)

    response = visitor.get("/audit")

    assert response.status_code == 403
    assert "ledger-position" not in response.text
