"""RFQs through the pages: my RFQs and the status filter, issuing one, the RFQ page with its
matches and invitations, questions and answers, cancellation, and who may see what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from events import SettableClock
from marketplace.accounts import Member
from marketplace.application import Marketplace
from tests.helpers import ledger_length
from tests.lots_builders import post_need
from tests.pages import Site, Visitor, ids_in
from web.rfq_shared import matches_for

CLUSTER = "上州ものづくり"
TITLE = "SPCC sheet and bolts for Q1"
#: Deadlines are minutes away, so that sessions (30 idle minutes) outlive them.
OPEN_FOR = timedelta(minutes=20)
EN = {"Accept-Language": "en"}


@dataclass(frozen=True)
class Firm:
    member: Member
    visitor: Visitor

    @property
    def id(self) -> UUID:
        return self.member.organisation_id


def firm(site: Site, *roles: str, name: str, prefecture: str = "Gunma",
         clusters: tuple[str, ...] = (CLUSTER,)) -> Firm:
    member, visitor = site.member_visitor(roles=roles, name=name, prefecture=prefecture,
                                          clusters=clusters)
    return Firm(member, visitor)


def publish_press_profile(marketplace: Marketplace, supplier: Firm) -> None:
    marketplace.publish_supplier_profile(
        supplier.id, processes=["press"], materials=["spcc"], certifications=["iso_9001"],
        description_en="Cold rolled SPCC sheet blanking and stamping")


def two_needs(marketplace: Marketplace, buyer: Firm) -> list[UUID]:
    """Line 1: 800 kg of steel sheet; line 2: 50 pcs of bolts."""
    return [post_need(marketplace, buyer.id, 800),
            marketplace.post_need(buyer.id, category="bolts", specification="M8x20 zinc plated",
                                  unit="pcs", quantity=50, needed_by="2026-12-15",
                                  delivery_prefecture="Gunma", max_unit_price=40)]


def issue(marketplace: Marketplace, clock: SettableClock, buyer: Firm, *invited: Firm,
          cluster: str | None = None) -> UUID:
    return marketplace.issue_rfq(
        buyer.id, need_ids=two_needs(marketplace, buyer), title=TITLE,
        closes_at=clock() + OPEN_FOR, invited=[f.id for f in invited], cluster=cluster,
        required_certifications=["ISO 9001"], notes="deliver to the Takasaki plant")


def test_each_side_lists_its_rfqs_and_the_status_filter_swaps_the_list(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    invited = firm(site, "supplier", name="足利鋼材")
    outsider = firm(site, "supplier", name="大阪商事", prefecture="Osaka", clusters=())
    rfq_id = issue(marketplace, clock, buyer, invited)

    mine = buyer.visitor.get("/rfqs")
    theirs = invited.visitor.get("/rfqs", headers=EN)
    nothing = outsider.visitor.get("/rfqs")
    open_only = buyer.visitor.get("/rfqs?status=open", htmx=True)
    cancelled_only = buyer.visitor.get("/rfqs?status=cancelled", htmx=True)

    assert mine.status_code == 200
    assert "<html" in mine.text
    assert ids_in(mine.text, "/rfqs") == [rfq_id]
    assert "受付中" in mine.text
    assert ids_in(theirs.text, "/rfqs") == [rfq_id]
    assert "Invited" in theirs.text
    assert "高崎プレス" in theirs.text
    assert ids_in(nothing.text, "/rfqs") == []
    assert open_only.status_code == 200
    assert "<html" not in open_only.text
    assert 'id="rfq-list"' in open_only.text
    assert ids_in(open_only.text, "/rfqs") == [rfq_id]
    assert open_only.headers["hx-push-url"] == "/rfqs?status=open"
    assert ids_in(cancelled_only.text, "/rfqs") == []


def test_the_issue_form_offers_open_needs_certifications_and_suppliers_that_fit(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    press = firm(site, "supplier", name="足利鋼材")
    publish_press_profile(marketplace, press)
    sheet, bolts = two_needs(marketplace, buyer)

    form = buyer.visitor.get("/rfqs/new", headers=EN)
    only_bolts = buyer.visitor.get(f"/rfqs/new?need_ids={bolts}", htmx=True)
    only_sheet = buyer.visitor.get(f"/rfqs/new?need_ids={sheet}", htmx=True)

    assert form.status_code == 200
    assert "<html" in form.text
    assert f'value="{sheet}"' in form.text
    assert f'value="{bolts}"' in form.text
    assert 'value="iso_9001"' in form.text
    assert 'type="datetime-local"' in form.text
    assert "2026-11-27T17:00" in form.text  # a week ahead, 17:00 in Asia/Tokyo
    assert f'name="invited" value="{press.id}"' in form.text
    assert "SPCC" in form.text
    assert "<html" not in only_sheet.text
    assert 'id="suggestions"' in only_sheet.text
    assert str(press.id) in only_sheet.text
    assert str(press.id) not in only_bolts.text


def test_issuing_an_rfq_records_it_with_the_deadline_in_the_members_time_zone(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    needs = two_needs(marketplace, buyer)

    response = buyer.visitor.post("/rfqs", {
        "need_ids": [str(n) for n in needs], "title": TITLE, "closes_at": "2026-11-27T17:00",
        "required_certifications": ["iso_9001"], "notes": "deliver to the plant",
        "cluster": CLUSTER, "invited": [str(supplier.id)]})

    assert response.status_code == 303
    rfq_id = UUID(response.headers["location"].removeprefix("/rfqs/"))
    detail = marketplace.rfqs.detail(buyer.id, rfq_id, now=marketplace.clock())
    assert detail is not None
    assert detail.rfq.closes_at == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert [line.need_id for line in detail.rfq.lines] == needs
    assert detail.rfq.required_certifications == ["iso_9001"]
    assert detail.rfq.open_to is not None
    assert detail.rfq.open_to.cluster == CLUSTER
    assert detail.invited == [supplier.id]
    page = buyer.visitor.get(response.headers["location"])
    assert page.status_code == 200
    assert TITLE in page.text
    assert "ISO 9001" in page.text


def test_bad_issue_input_comes_back_with_the_message_and_records_nothing(
        site: Site, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    needs = [str(n) for n in two_needs(marketplace, buyer)]
    form = {"need_ids": needs, "title": TITLE, "closes_at": "2026-11-27T17:00",
            "cluster": CLUSTER}
    before = ledger_length(migrated_url)

    no_needs = buyer.visitor.post("/rfqs", {**form, "need_ids": []})
    no_deadline = buyer.visitor.post("/rfqs", {**form, "closes_at": "next week"})
    past = buyer.visitor.post("/rfqs", {**form, "closes_at": "2026-11-01T17:00"})
    no_title = buyer.visitor.post("/rfqs", {**form, "title": " "})
    nobody = buyer.visitor.post("/rfqs", {**form, "cluster": ""})
    english = buyer.visitor.client.post("/rfqs", headers=EN, data={
        **form, "closes_at": "", "_csrf_token": buyer.visitor.csrf_token()})

    assert ledger_length(migrated_url) == before
    for response in (no_needs, no_deadline, past, no_title, nobody, english):
        assert response.status_code == 422
        assert 'class="form-error"' in response.text
        assert "<html" in response.text
    assert f'value="{TITLE}"' in past.text  # what was typed stays in the form
    assert "Give the deadline as a date and a time" in english.text
    assert "has passed" in past.text
    assert "invite at least one supplier" in nobody.text
    assert all(f'value="{n}" checked' in past.text for n in needs)


def test_the_buyer_sees_matches_with_their_reasons_and_invites_the_chosen(
        site: Site, clock: SettableClock, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    invited = firm(site, "supplier", name="足利鋼材")
    press = firm(site, "supplier", name="秩父金属")
    publish_press_profile(marketplace, press)
    rfq_id = issue(marketplace, clock, buyer, invited)
    detail = marketplace.rfqs.detail(buyer.id, rfq_id, now=marketplace.clock())
    assert detail is not None
    [match] = [m for m in matches_for(marketplace, buyer.id, detail.rfq, [invited.id])
               if m.organisation_id == press.id]
    before = ledger_length(migrated_url)

    japanese = buyer.visitor.get(f"/rfqs/{rfq_id}")
    english = buyer.visitor.get(f"/rfqs/{rfq_id}", headers=EN)
    nobody = buyer.visitor.post(f"/rfqs/{rfq_id}/invitations", {})
    recorded_nothing = ledger_length(migrated_url) == before
    invited_now = buyer.visitor.post(f"/rfqs/{rfq_id}/invitations",
                                     {"supplier_ids": [str(press.id)]})

    assert japanese.status_code == 200
    assert "<html" in japanese.text
    assert all(r.text_ja in japanese.text for r in match.reasons)
    assert all(r.text_en in english.text for r in match.reasons)
    assert not any(r.text_en in japanese.text for r in match.reasons
                   if r.text_en != r.text_ja)
    assert f'name="supplier_ids" value="{press.id}"' in japanese.text
    assert nobody.status_code == 422
    assert recorded_nothing
    assert 'class="form-error"' in nobody.text
    assert invited_now.status_code == 303
    after = marketplace.rfqs.detail(buyer.id, rfq_id, now=marketplace.clock())
    assert after is not None
    assert set(after.invited or []) == {invited.id, press.id}
    again = buyer.visitor.get(f"/rfqs/{rfq_id}")
    assert f'name="supplier_ids" value="{press.id}"' not in again.text
    assert "秩父金属" in again.text



def test_questions_are_answered_to_every_supplier_without_saying_who_asked(
        site: Site, clock: SettableClock, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    asker = firm(site, "supplier", name="足利鋼材")
    other = firm(site, "supplier", name="別府ボルト")
    rfq_id = issue(marketplace, clock, buyer, asker, other)
    before = ledger_length(migrated_url)
    empty = asker.visitor.post(f"/rfqs/{rfq_id}/questions", {"text": "  "})
    recorded_nothing = ledger_length(migrated_url) == before

    asked = asker.visitor.post(f"/rfqs/{rfq_id}/questions", {"text": "Oiled or dry?"})
    unanswered_to_other = other.visitor.get(f"/rfqs/{rfq_id}")
    to_buyer = buyer.visitor.get(f"/rfqs/{rfq_id}")
    [question] = marketplace.rfqs.detail(buyer.id, rfq_id, now=clock()).questions  # type: ignore[union-attr]
    blank_answer = buyer.visitor.post(f"/rfqs/{rfq_id}/questions/{question.id}/answer",
                                      {"answer": ""})
    answered = buyer.visitor.post(f"/rfqs/{rfq_id}/questions/{question.id}/answer",
                                  {"answer": "Oiled, please"})
    to_other = other.visitor.get(f"/rfqs/{rfq_id}")
    to_asker = asker.visitor.get(f"/rfqs/{rfq_id}", headers=EN)

    assert empty.status_code == 422
    assert recorded_nothing
    assert 'class="field-error"' in empty.text
    assert asked.status_code == 303
    assert "Oiled or dry?" not in unanswered_to_other.text
    questions_to_buyer = to_buyer.text[to_buyer.text.index('id="questions"'):]
    assert "Oiled or dry?" in questions_to_buyer
    assert "足利鋼材" not in questions_to_buyer
    assert f"/questions/{question.id}/answer" in to_buyer.text
    assert blank_answer.status_code == 422
    assert 'class="field-error"' in blank_answer.text
    assert answered.status_code == 303
    assert "Oiled or dry?" in to_other.text
    assert "Oiled, please" in to_other.text
    assert "足利鋼材" not in to_other.text
    assert "your question" in to_asker.text
    assert "your question" not in to_other.text


def test_the_buyer_cancels_an_rfq_saying_why_and_its_needs_are_free_again(
        site: Site, clock: SettableClock, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    rfq_id = issue(marketplace, clock, buyer, supplier)
    before = ledger_length(migrated_url)
    no_reason = buyer.visitor.post(f"/rfqs/{rfq_id}/cancellation", {"reason": " "})
    recorded_nothing = ledger_length(migrated_url) == before

    cancelled = buyer.visitor.post(f"/rfqs/{rfq_id}/cancellation",
                                   {"reason": "the design changed"})
    told = supplier.visitor.get(f"/rfqs/{rfq_id}")

    assert no_reason.status_code == 422
    assert recorded_nothing
    assert 'id="cancel-error"' in no_reason.text
    assert cancelled.status_code == 303
    assert "the design changed" in told.text
    assert "中止" in told.text
    assert 'action="/rfqs/' + str(rfq_id) + '/questions"' not in told.text
    assert {n.status for n in marketplace.lots.needs(buyer.id)} == {"open"}


def test_the_rfq_page_refreshes_its_status_panel_alone_for_htmx(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    rfq_id = issue(marketplace, clock, buyer, supplier)

    panel = supplier.visitor.get(f"/rfqs/{rfq_id}", htmx=True)

    assert panel.status_code == 200
    assert "<html" not in panel.text
    assert 'id="rfq-status"' in panel.text
    assert 'hx-trigger="every 60s"' in panel.text
    assert "招待済み" in panel.text


def test_a_member_without_the_role_is_refused(site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    rfq_id = issue(marketplace, clock, buyer, supplier)

    refused = [
        supplier.visitor.get("/rfqs/new"),
        supplier.visitor.post("/rfqs", {"title": "mine"}),
        supplier.visitor.post(f"/rfqs/{rfq_id}/invitations", {"supplier_ids": []}),
        supplier.visitor.post(f"/rfqs/{rfq_id}/cancellation", {"reason": "no"}),
        buyer.visitor.post(f"/rfqs/{rfq_id}/questions", {"text": "to myself?"}),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all("<html" in r.text for r in refused)


def test_organisations_outside_the_rfq_are_told_it_does_not_exist(
        site: Site, clock: SettableClock, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    outsider = firm(site, "supplier", name="大阪商事", prefecture="Osaka", clusters=())
    other_buyer = firm(site, "buyer", name="前橋金型")
    rfq_id = issue(marketplace, clock, buyer, supplier, cluster=CLUSTER)
    before = ledger_length(migrated_url)

    answers = [
        outsider.visitor.get(f"/rfqs/{rfq_id}"),
        outsider.visitor.get(f"/rfqs/{rfq_id}", htmx=True),
        outsider.visitor.post(f"/rfqs/{rfq_id}/questions", {"text": "may I?"}),
        other_buyer.visitor.get(f"/rfqs/{rfq_id}"),
        other_buyer.visitor.post(f"/rfqs/{rfq_id}/cancellation", {"reason": "mine now"}),
        other_buyer.visitor.post(f"/rfqs/{rfq_id}/invitations",
                                 {"supplier_ids": [str(outsider.id)]}),
    ]

    assert [r.status_code for r in answers] == [404] * len(answers)
    assert ledger_length(migrated_url) == before
    assert TITLE not in "".join(r.text for r in answers)
