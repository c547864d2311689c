"""Suppliers' sealed bids through the pages: the bid form and its tier rows (with and without
htmx), placing, revising and withdrawing a bid, consortium invitations, and sealing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from marketplace.application import Marketplace
from tests.integration.test_lot_pages import open_lot
from tests.pages import Site, Visitor

#: A bid alone, priced so that its figures are found nowhere else on a page.
BID: dict[str, Any] = {
    "tier_row": ["0", "1"], "tier_from": ["100", "1000"], "tier_price": ["187.53", "176.27"],
    "capacity": "3000", "minimum_quantity": "100", "lead_time_days": "14",
    "valid_until": "2026-12-31", "action": "place"}


def joined_supplier(site: Site, lot_id: UUID, **kwargs: Any) -> tuple[UUID, Visitor]:
    member, visitor = site.member_visitor(roles=("supplier",), **kwargs)
    site.accounts.marketplace.join_lot(member.organisation_id, lot_id)
    return member.organisation_id, visitor


def a_lot(site: Site) -> UUID:
    return open_lot(site.accounts.marketplace, site.new_member().organisation_id)


def bids_of(marketplace: Marketplace, organisation_id: UUID) -> list[Any]:
    return marketplace.lots.bids(organisation_id)


def test_the_bid_form_starts_with_two_tier_rows_and_a_button_for_the_next(site: Site) -> None:
    lot_id = a_lot(site)
    _me, visitor = joined_supplier(site, lot_id)

    response = visitor.get(f"/lots/{lot_id}/bid")

    assert response.status_code == 200
    assert response.text.count('name="tier_from"') == 2
    assert f'hx-get="/lots/{lot_id}/bid/tier-row?index=2"' in response.text
    assert 'name="action" value="add_tier"' in response.text
    assert 'value="remove_tier:1"' in response.text
    assert 'value="2026-12-27"' in response.text  # valid a month after the close


def test_placing_a_bid_records_it_and_nobody_else_sees_it_before_the_close(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    organiser, buyer = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, organiser.organisation_id)
    me, visitor = joined_supplier(site, lot_id)
    _rival, rival = joined_supplier(site, lot_id)

    response = visitor.post(f"/lots/{lot_id}/bid", BID)

    assert response.status_code == 303
    assert response.headers["location"] == f"/lots/{lot_id}"
    [bid] = bids_of(marketplace, me)
    assert [(t.from_quantity, t.unit_price) for t in bid.tiers] == [
        (100, Decimal("187.53")), (1000, Decimal("176.27"))]
    assert "187.53" in visitor.get(f"/lots/{lot_id}").text
    for page in (rival.get(f"/lots/{lot_id}"), rival.get(f"/lots/{lot_id}/bid"),
                 rival.get(f"/lots/{lot_id}/progress"), buyer.get(f"/lots/{lot_id}")):
        assert page.status_code == 200
        assert "187.53" not in page.text
        assert "176.27" not in page.text


def test_bad_bid_input_says_what_is_wrong_next_to_each_field_and_records_nothing(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    lot_id = a_lot(site)
    me, visitor = joined_supplier(site, lot_id)

    unreadable = visitor.post(f"/lots/{lot_id}/bid", {
        **BID, "tier_price": ["abc", "176.27"], "lead_time_days": "two weeks"})
    rising = visitor.post(f"/lots/{lot_id}/bid", {**BID, "tier_price": ["150", "180"]})

    assert unreadable.status_code == 422
    assert 'id="tier-error-0"' in unreadable.text
    assert 'id="lead-error"' in unreadable.text
    assert 'value="two weeks"' in unreadable.text
    assert rising.status_code == 422
    assert 'id="tiers-error"' in rising.text
    assert "may not cost more per unit" in rising.text
    assert bids_of(marketplace, me) == []


def test_tier_rows_are_added_and_removed_without_javascript(site: Site) -> None:
    marketplace = site.accounts.marketplace
    lot_id = a_lot(site)
    me, visitor = joined_supplier(site, lot_id)

    added = visitor.post(f"/lots/{lot_id}/bid", {**BID, "action": "add_tier"})
    removed = visitor.post(f"/lots/{lot_id}/bid", {**BID, "action": "remove_tier:0"})

    assert added.status_code == 200
    assert added.text.count('name="tier_from"') == 3
    assert 'value="187.53"' in added.text
    assert 'value="remove_tier:2"' in added.text
    assert removed.status_code == 200
    assert removed.text.count('name="tier_from"') == 1
    assert 'value="187.53"' not in removed.text
    assert 'value="176.27"' in removed.text
    assert bids_of(marketplace, me) == []


def test_tier_rows_are_added_and_removed_in_place_with_htmx(site: Site) -> None:
    lot_id = a_lot(site)
    _me, visitor = joined_supplier(site, lot_id)

    added = visitor.get(f"/lots/{lot_id}/bid/tier-row?index=2&action=add_tier", htmx=True)
    removed = visitor.get(f"/lots/{lot_id}/bid/tier-row/removed", htmx=True)

    assert added.status_code == 200
    assert added.text.lstrip().startswith('<tr id="tier-2"')
    assert 'name="tier_row" value="2"' in added.text
    assert "<html" not in added.text
    assert 'id="add-tier"' in added.text
    assert 'hx-swap-oob="true"' in added.text
    assert 'tier-row?index=3"' in added.text
    assert removed.status_code == 200
    assert removed.text == ""


def test_revising_my_bid_starts_from_its_terms_and_withdrawing_ends_it(site: Site) -> None:
    marketplace = site.accounts.marketplace
    lot_id = a_lot(site)
    me, visitor = joined_supplier(site, lot_id)
    visitor.post(f"/lots/{lot_id}/bid", BID)

    form = visitor.get(f"/lots/{lot_id}/bid")
    revised = visitor.post(f"/lots/{lot_id}/bid", {**BID, "tier_price": ["185", "170"]})
    withdrawn = visitor.post(f"/lots/{lot_id}/bid/withdrawal")

    assert 'value="187.53"' in form.text
    assert revised.status_code == 303
    assert withdrawn.status_code == 303
    [bid] = bids_of(marketplace, me)
    assert [t.unit_price for t in bid.tiers] == [185, 170]
    assert bid.status == "withdrawn"


def test_a_consortium_member_sees_its_invitation_and_accepts_it_in_place(site: Site) -> None:
    marketplace = site.accounts.marketplace
    lot_id = a_lot(site)
    lead, visitor = joined_supplier(site, lot_id, name="赤城鋼材株式会社")
    partner, partner_visitor = site.member_visitor(roles=("supplier",))
    form = visitor.post(f"/lots/{lot_id}/bid", {**BID, "action": "add_member"})
    placed = visitor.post(f"/lots/{lot_id}/bid", {
        **BID, "capacity": "", "my_share": "1200", "member_row": ["0"],
        "member_org": [str(partner.organisation_id)], "member_share": ["800"]})
    [bid] = bids_of(marketplace, lead)
    page = partner_visitor.get(f"/lots/{lot_id}")

    accepted = partner_visitor.post(f"/lots/{lot_id}/bids/{bid.id}/acceptance", htmx=True)

    assert f'<option value="{partner.organisation_id}"' in form.text
    assert placed.status_code == 303
    assert 'id="invitations"' in page.text
    assert "赤城鋼材株式会社" in page.text
    assert "800" in page.text
    assert accepted.status_code == 200
    assert accepted.text.lstrip().startswith('<section id="invitations"')
    assert 'aria-labelledby="supplier-title" hx-swap-oob="true"' in accepted.text
    [answered] = bids_of(marketplace, partner.organisation_id)
    assert answered.counts


def test_declining_without_javascript_goes_back_to_the_invitation(site: Site) -> None:
    marketplace = site.accounts.marketplace
    lot_id = a_lot(site)
    lead, _visitor = joined_supplier(site, lot_id)
    partner, partner_visitor = site.member_visitor(roles=("supplier",))
    bid_id = marketplace.place_bid(
        lead, lot_id, tiers=[{"from_quantity": 100, "unit_price": 190}], minimum_quantity=100,
        lead_time_days=21, valid_until="2026-12-31",
        shares={lead: 600, partner.organisation_id: 400})

    response = partner_visitor.post(f"/lots/{lot_id}/bids/{bid_id}/decline")

    assert response.status_code == 303
    assert response.headers["location"] == f"/lots/{lot_id}#invitations"
    [bid] = bids_of(marketplace, partner.organisation_id)
    assert {m.organisation_id: m.status for m in bid.members}[
        partner.organisation_id] == "declined"


def test_only_suppliers_bid_and_only_named_members_answer_an_invitation(site: Site) -> None:
    marketplace = site.accounts.marketplace
    lot_id = a_lot(site)
    lead, _visitor = joined_supplier(site, lot_id)
    bid_id = marketplace.place_bid(
        lead, lot_id, tiers=[{"from_quantity": 100, "unit_price": 200}], capacity=2000,
        minimum_quantity=100, lead_time_days=14, valid_until="2026-12-31")
    buyer_member, buyer = site.member_visitor(roles=("buyer",))
    stranger_id, stranger = joined_supplier(site, lot_id)

    refused = [buyer.get(f"/lots/{lot_id}/bid"), buyer.post(f"/lots/{lot_id}/bid", BID),
               stranger.post(f"/lots/{lot_id}/bids/{bid_id}/acceptance")]

    assert [r.status_code for r in refused] == [403, 403, 404]
    assert bids_of(marketplace, buyer_member.organisation_id) == []
    assert bids_of(marketplace, stranger_id) == []
