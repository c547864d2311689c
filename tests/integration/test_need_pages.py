"""A buyer's needs through the pages: the table and its filter, posting, revising, withdrawing,
and who may see what."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marketplace.accounts import Member
from marketplace.application import Marketplace
from tests.lots_builders import OPEN_FOR
from tests.pages import Site, Visitor, ids_in

CLUSTER = "上州ものづくり"

#: A need as the form posts it.
FORM: dict[str, Any] = {
    "category": "Steel sheet", "specification": "SPCC 1.0 mm × 1219 × 2438, dull finish",
    "unit": "kg", "quantity": "1,200", "needed_by": "2026-12-15",
    "delivery_prefecture": "JP-10", "max_unit_price": "185.5"}


def _post(marketplace: Marketplace, member: Member, quantity: Any = 800) -> UUID:
    return marketplace.post_need(
        member.organisation_id, category="steel sheet", specification="SPCC 1 mm", unit="kg",
        quantity=quantity, needed_by="2026-12-15", delivery_prefecture="Gunma",
        max_unit_price=190)


def _buyer(site: Site) -> tuple[Member, Visitor, Marketplace]:
    member, visitor = site.member_visitor(roles=("buyer",))
    return member, visitor, site.accounts.marketplace


def test_a_posted_need_is_recorded_and_appears_in_the_list(site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    form = visitor.get("/needs/new")

    posted = visitor.post("/needs", FORM)

    assert form.status_code == 200
    assert 'name="delivery_prefecture"' in form.text
    assert posted.status_code == 303
    [need] = marketplace.lots.needs(member.organisation_id)
    assert posted.headers["location"] == f"/needs/{need.id}"
    assert (need.category, str(need.quantity), str(need.max_unit_price),
            need.delivery_prefecture) == ("steel sheet", "1200", "185.5", "JP-10")
    listed = visitor.get("/needs", headers={"Accept-Language": "en"})
    assert listed.status_code == 200
    assert "<html" in listed.text
    assert ids_in(listed.text, "/needs") == [need.id]
    assert "1,200 kg" in listed.text
    assert "Gunma" in listed.text


def test_bad_input_comes_back_with_the_message_and_records_nothing(site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    _post(marketplace, member)

    past = visitor.post("/needs", {**FORM, "needed_by": "2026-01-05"})
    negative = visitor.post("/needs", {**FORM, "quantity": "-5"})
    no_category = visitor.post("/needs", {**FORM, "category": ""})

    assert [r.status_code for r in (past, negative, no_category)] == [422] * 3
    assert "has passed" in past.text
    assert 'aria-invalid="true"' in past.text
    assert "must be more than zero" in negative.text
    assert 'value="-5"' in negative.text
    assert "category" in no_category.text
    assert "SPCC 1.0 mm" in no_category.text
    assert len(marketplace.lots.needs(member.organisation_id)) == 1


def test_the_status_filter_swaps_only_the_table_and_works_without_javascript(
        site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    kept, withdrawn = _post(marketplace, member, 500), _post(marketplace, member, 700)
    marketplace.withdraw_need(member.organisation_id, withdrawn)

    fragment = visitor.get("/needs?status=withdrawn", htmx=True)
    whole = visitor.get("/needs?status=open")

    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<section id="needs-table"')
    assert ids_in(fragment.text, "/needs") == [withdrawn]
    assert "<html" in whole.text
    assert 'hx-target="#needs-table"' in whole.text
    assert kept in ids_in(whole.text, "/needs")
    assert withdrawn not in ids_in(whole.text, "/needs")


def test_a_member_without_the_buyer_role_may_not_see_needs(site: Site) -> None:
    _member, visitor = site.member_visitor(roles=("supplier",))

    answers = [visitor.get("/needs"), visitor.get("/needs/new"), visitor.post("/needs", FORM)]

    assert [a.status_code for a in answers] == [403, 403, 403]


def test_another_buyers_need_is_not_found_and_stays_as_it_was(site: Site) -> None:
    owner, _visitor, marketplace = _buyer(site)
    need_id = _post(marketplace, owner)
    _other, stranger = site.member_visitor(roles=("buyer",))

    answers = [stranger.get(f"/needs/{need_id}"), stranger.get(f"/needs/{need_id}/edit"),
               stranger.post(f"/needs/{need_id}", {**FORM, "quantity": "1"}),
               stranger.post(f"/needs/{need_id}/withdrawal")]

    assert [a.status_code for a in answers] == [404] * 4
    need = marketplace.lots.need(owner.organisation_id, need_id)
    assert need is not None
    assert need.status == "open"
    assert need.quantity == 800


def test_an_open_need_is_revised_through_its_edit_form(site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    need_id = _post(marketplace, member)
    form = visitor.get(f"/needs/{need_id}/edit")

    revised = visitor.post(f"/needs/{need_id}", {**FORM, "quantity": "950",
                                                  "max_unit_price": ""})
    refused = visitor.post(f"/needs/{need_id}", {**FORM, "unit": "bushel"})

    assert form.status_code == 200
    assert 'value="800"' in form.text
    assert revised.status_code == 303
    assert revised.headers["location"] == f"/needs/{need_id}"
    assert refused.status_code == 422
    assert "bushel" in refused.text
    need = marketplace.lots.need(member.organisation_id, need_id)
    assert need is not None
    assert need.quantity == 950
    assert need.max_unit_price is None


def test_withdrawing_an_open_need_records_it_and_returns_to_the_need(site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    need_id = _post(marketplace, member)

    response = visitor.post(f"/needs/{need_id}/withdrawal")

    assert response.status_code == 303
    assert response.headers["location"] == f"/needs/{need_id}"
    need = marketplace.lots.need(member.organisation_id, need_id)
    assert need is not None
    assert need.status == "withdrawn"
    page = visitor.get(f"/needs/{need_id}", headers={"Accept-Language": "en"})
    assert "Withdrawn" in page.text
    assert "/withdrawal" not in page.text


def test_a_need_in_an_rfq_cannot_be_withdrawn_or_revised_and_the_page_says_why(
        site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    need_id = _post(marketplace, member)
    supplier = site.new_member(roles=("supplier",))
    rfq_id = marketplace.issue_rfq(
        member.organisation_id, need_ids=[need_id], title="SPCC for January",
        closes_at=marketplace.clock() + OPEN_FOR, invited=[supplier.organisation_id])

    withdrawal = visitor.post(f"/needs/{need_id}/withdrawal")
    edit = visitor.get(f"/needs/{need_id}/edit", headers={"Accept-Language": "en"})

    assert withdrawal.status_code == 422
    assert f"RFQ {rfq_id}" in withdrawal.text
    assert edit.status_code == 422
    assert "Only an open need can be revised" in edit.text
    assert f"/rfqs/{rfq_id}" in withdrawal.text
    assert "SPCC for January" in withdrawal.text
    need = marketplace.lots.need(member.organisation_id, need_id)
    assert need is not None
    assert need.status == "rfq"


def test_a_pooled_need_links_its_lot_and_an_open_one_its_pooling_suggestions(
        site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    organiser = site.new_member(roles=("buyer",))
    lot_id = marketplace.open_lot(
        organiser.organisation_id, category="Steel sheet", specification="SPCC 1 mm",
        unit="kg", closes_at=marketplace.clock() + OPEN_FOR, cluster=CLUSTER,
        thresholds=[1000, 5000])
    pooled, unpooled = _post(marketplace, member), _post(marketplace, member, 300)
    marketplace.pool_need(member.organisation_id, lot_id, pooled)

    pooled_page = visitor.get(f"/needs/{pooled}")
    open_page = visitor.get(f"/needs/{unpooled}")

    assert pooled_page.status_code == 200
    assert open_page.status_code == 200
    assert set(ids_in(pooled_page.text, "/lots")) == {lot_id}
    assert "/edit" not in pooled_page.text
    assert lot_id in ids_in(open_page.text, "/lots")
    assert "/lots?category=steel%20sheet" in open_page.text


def test_the_needs_pages_speak_japanese_and_english(site: Site) -> None:
    member, visitor, marketplace = _buyer(site)
    need_id = _post(marketplace, member)

    japanese = [visitor.get(path, headers={"Accept-Language": "ja"})
                for path in ("/needs", "/needs/new", f"/needs/{need_id}")]
    english = [visitor.get(path, headers={"Accept-Language": "en"})
               for path in ("/needs", "/needs/new", f"/needs/{need_id}")]

    assert "購買ニーズ" in japanese[0].text
    assert "納入希望日" in japanese[0].text
    assert "購買ニーズを登録" in japanese[1].text
    assert "群馬県" in japanese[1].text
    assert "取り下げ" in japanese[2].text
    assert "Your needs" in english[0].text
    assert "Needed by" in english[0].text
    assert "Post a need" in english[1].text
    assert "Gunma" in english[1].text
    assert "Withdraw need" in english[2].text
