"""Pooled lots through the pages: browsing, the lot page with its live bar and chart, pooling
a need (with and without htmx), joining as a supplier, and who may see what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from events import SettableClock
from marketplace.application import Marketplace
from tests.lot_scenes import lot_view
from tests.pages import Site

CLUSTER = "上州ものづくり"  # the cluster of every organisation tests.pages signs up


def open_lot(marketplace: Marketplace, organiser: UUID, *, category: str = "Steel sheet",
             closes_in: timedelta = timedelta(days=7), cluster: str = CLUSTER,
             thresholds: Any = (1000, 5000)) -> UUID:
    return marketplace.open_lot(
        organiser, category=category, specification="SPCC 1.0 mm, cold rolled", unit="kg",
        closes_at=marketplace.clock() + closes_in, cluster=cluster,
        thresholds=list(thresholds))


def post_need(marketplace: Marketplace, buyer: UUID, quantity: Any = 800, *,
              category: str = "steel sheet") -> UUID:
    return marketplace.post_need(
        buyer, category=category, specification="SPCC 1 mm", unit="kg", quantity=quantity,
        needed_by="2026-12-15", delivery_prefecture="Gunma", max_unit_price=190)


def need_status(marketplace: Marketplace, buyer: UUID, need_id: UUID) -> str:
    need = marketplace.lots.need(buyer, need_id)
    assert need is not None
    return need.status


def test_the_lots_page_lists_the_lots_open_to_my_organisation(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    ours = open_lot(marketplace, member.organisation_id)
    elsewhere = site.new_member(clusters=("浜松ものづくり",), prefecture="Shizuoka")
    theirs = open_lot(marketplace, elsewhere.organisation_id, cluster="浜松ものづくり")

    response = visitor.get("/lots")

    assert response.status_code == 200
    assert "<html" in response.text
    assert f"/lots/{ours}" in response.text
    assert f"/lots/{theirs}" not in response.text
    assert 'hx-get="/lots"' in response.text


def test_the_filters_swap_only_the_results_and_a_category_link_comes_prefilled(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    steel = open_lot(marketplace, member.organisation_id)
    resin = open_lot(marketplace, member.organisation_id, category="Resin pellets")

    fragment = visitor.get("/lots?category=steel+sheet&within=30", htmx=True)
    linked = visitor.get("/lots?category=Resin%20pellets")
    wrong = visitor.get("/lots?within=soon", htmx=True)

    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="results"')
    assert f"/lots/{steel}" in fragment.text
    assert f"/lots/{resin}" not in fragment.text
    assert fragment.headers["hx-push-url"] == "/lots?category=steel+sheet&within=30"
    assert 'value="Resin pellets"' in linked.text
    assert f"/lots/{resin}" in linked.text
    assert f"/lots/{steel}" not in linked.text
    assert "/lots/" not in wrong.text
    assert 'class="form-error"' in wrong.text


def test_the_lot_page_states_its_terms_and_polls_its_live_bar(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id)
    post_need(marketplace, member.organisation_id)

    response = visitor.get(f"/lots/{lot_id}")

    assert response.status_code == 200
    page = response.text
    assert "2026-11-27 18:00 JST" in page
    assert CLUSTER in page
    assert (f'hx-get="/lots/{lot_id}/progress" hx-trigger="every 5s" '
            'hx-swap="outerHTML"') in page
    assert '<svg class="threshold-bar"' in page
    assert "<title" in page
    assert "<desc" in page
    assert "<polyline" not in page  # bids are sealed: no prices before the close
    assert f'action="/lots/{lot_id}/commitments"' in page
    assert 'hx-target="#pool"' in page


def test_the_progress_fragment_shows_new_pooling_without_reloading_the_page(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    other = site.new_member(name="競合しない工業株式会社")
    lot_id = open_lot(marketplace, member.organisation_id)
    marketplace.pool_need(member.organisation_id, lot_id,
                          post_need(marketplace, member.organisation_id, 800))
    before = visitor.get(f"/lots/{lot_id}/progress", htmx=True)

    marketplace.pool_need(other.organisation_id, lot_id,
                          post_need(marketplace, other.organisation_id, 450))
    after = visitor.get(f"/lots/{lot_id}/progress")

    assert before.status_code == after.status_code == 200
    assert "800" in before.text
    assert "1,250" not in before.text
    assert after.text.lstrip().startswith('<section id="lot-progress"')
    assert "<html" not in after.text
    assert "1,250" in after.text
    assert "競合しない工業" not in after.text
    assert 'hx-trigger="every 5s"' in after.text
    assert len(after.content) < 3000


def test_a_closed_lot_stops_polling(site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id, closes_in=timedelta(minutes=10))

    clock.advance(timedelta(minutes=11))
    response = visitor.get(f"/lots/{lot_id}/progress", htmx=True)

    assert response.status_code == 200
    assert "hx-trigger" not in response.text


def test_pooling_my_need_from_the_lot_page_records_it_and_goes_back_to_the_lot(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id)
    need_id = post_need(marketplace, member.organisation_id, 800)

    response = visitor.post(f"/lots/{lot_id}/commitments",
                            {"need_id": str(need_id), "quantity": "600"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/lots/{lot_id}"
    commitment = marketplace.lots.commitment(member.organisation_id, lot_id, need_id)
    assert commitment is not None
    assert commitment.quantity == 600


def test_pooling_with_htmx_answers_the_updated_form_and_bar(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id)
    need_id = post_need(marketplace, member.organisation_id, 800)

    response = visitor.post(f"/lots/{lot_id}/commitments", {"need_id": str(need_id)},
                            htmx=True)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="pool"')
    assert "<html" not in response.text
    assert f"/lots/{lot_id}/commitments/{need_id}/withdrawal" in response.text
    assert 'id="lot-progress"' in response.text
    assert 'hx-swap-oob="true"' in response.text


def test_committing_more_than_the_need_says_so_next_to_the_field_and_records_nothing(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id)
    need_id = post_need(marketplace, member.organisation_id, 800)

    response = visitor.post(f"/lots/{lot_id}/commitments",
                            {"need_id": str(need_id), "quantity": "900"}, htmx=True)

    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="pool"')
    assert 'id="pool-quantity-error"' in response.text
    assert "commit at most what you need" in response.text
    assert 'value="900"' in response.text
    assert marketplace.lots.commitment(member.organisation_id, lot_id, need_id) is None


def test_a_need_of_another_category_is_refused_with_the_rule_of_the_lot(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id)
    resin = post_need(marketplace, member.organisation_id, category="resin pellets")

    response = visitor.post(f"/lots/{lot_id}/commitments", {"need_id": str(resin)})

    assert response.status_code == 422
    assert "<html" in response.text
    assert "but this lot pools" in response.text
    assert need_status(marketplace, member.organisation_id, resin) == "open"


def test_another_organisations_need_cannot_be_pooled(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    other = site.new_member()
    lot_id = open_lot(marketplace, member.organisation_id)
    theirs = post_need(marketplace, other.organisation_id)

    response = visitor.post(f"/lots/{lot_id}/commitments", {"need_id": str(theirs)},
                            htmx=True)

    assert response.status_code == 404
    assert 'id="pool-need-error"' in response.text
    assert need_status(marketplace, other.organisation_id, theirs) == "open"
    assert marketplace.lots.commitments(other.organisation_id).pooled == []


def test_taking_my_need_out_of_the_lot_opens_it_again(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = open_lot(marketplace, member.organisation_id)
    need_id = post_need(marketplace, member.organisation_id)
    marketplace.pool_need(member.organisation_id, lot_id, need_id)

    response = visitor.post(f"/lots/{lot_id}/commitments/{need_id}/withdrawal")

    assert response.status_code == 303
    assert marketplace.lots.commitment(member.organisation_id, lot_id, need_id) is None
    assert need_status(marketplace, member.organisation_id, need_id) == "open"


def test_members_without_the_buyer_or_supplier_role_are_refused(site: Site) -> None:
    marketplace = site.accounts.marketplace
    admin = site.new_member(roles=("buyer",))
    site.accounts.set_roles(admin, admin.id, ["admin", "auditor"])
    auditor = site.logged_in(admin)
    _supplier, supplier = site.member_visitor(roles=("supplier",))
    lot_id = open_lot(marketplace, admin.organisation_id)

    refused = [auditor.get("/lots"), auditor.get(f"/lots/{lot_id}"),
               auditor.get(f"/lots/{lot_id}/progress", htmx=True),
               supplier.post(f"/lots/{lot_id}/commitments", {"need_id": str(lot_id)})]

    assert [r.status_code for r in refused] == [403, 403, 403, 403]


def test_a_lot_of_another_cluster_is_not_found(site: Site) -> None:
    marketplace = site.accounts.marketplace
    organiser = site.new_member()
    _outsider, visitor = site.member_visitor(roles=("buyer", "supplier"),
                                             clusters=("浜松ものづくり",), prefecture="Shizuoka")
    lot_id = open_lot(marketplace, organiser.organisation_id)

    responses = [visitor.get(f"/lots/{lot_id}"), visitor.get(f"/lots/{lot_id}/progress"),
                 visitor.post(f"/lots/{lot_id}/suppliers")]

    assert [r.status_code for r in responses] == [404, 404, 404]


def test_a_supplier_joins_the_lot_and_goes_on_to_the_bid_form(site: Site) -> None:
    marketplace = site.accounts.marketplace
    organiser = site.new_member()
    supplier, visitor = site.member_visitor(roles=("supplier",))
    lot_id = open_lot(marketplace, organiser.organisation_id)
    page = visitor.get(f"/lots/{lot_id}")

    response = visitor.post(f"/lots/{lot_id}/suppliers")

    assert f'action="/lots/{lot_id}/suppliers"' in page.text
    assert "/commitments" not in page.text  # no pooling form for a supplier
    assert response.status_code == 303
    assert response.headers["location"] == f"/lots/{lot_id}/bid"
    assert lot_view(marketplace, supplier.organisation_id, lot_id).supplier_count == 1


def test_after_the_clearing_the_chart_draws_the_winning_tier_schedule(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    buyer = site.new_member(roles=("buyer",))
    supplier = site.new_member(roles=("supplier",), name="赤城鋼材株式会社")
    lot_id = open_lot(marketplace, buyer.organisation_id, closes_in=timedelta(hours=1))
    marketplace.pool_need(buyer.organisation_id, lot_id,
                          post_need(marketplace, buyer.organisation_id, 1200))
    marketplace.join_lot(supplier.organisation_id, lot_id)
    marketplace.place_bid(supplier.organisation_id, lot_id,
                          tiers=[{"from_quantity": 100, "unit_price": "187.5"},
                                 {"from_quantity": 1000, "unit_price": "176.25"}],
                          capacity=3000, minimum_quantity=100, lead_time_days=14,
                          valid_until="2026-12-31")
    clock.advance(timedelta(hours=2))
    marketplace.close_lot(lot_id)

    page = site.logged_in(buyer).get(f"/lots/{lot_id}").text

    assert "<polyline" in page
    assert "赤城鋼材株式会社" in page
    assert "176.25" in page
    assert "hx-trigger" not in page
