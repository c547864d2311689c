"""Quotes through the pages: the sealed quote form (submit, revise, re-confirm, withdraw), the
buyer's comparison and award after the deadline, purchase orders, and who may see what."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import UUID

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain.sealed_round import SETTLE
from tests.helpers import ledger_length
from tests.integration.test_rfq_pages import (
    CLUSTER,
    EN,
    OPEN_FOR,
    TITLE,
    Firm,
    firm,
    issue,
    publish_press_profile,
    two_needs,
)
from tests.pages import Site

VALID = "2026-12-31"
#: Supplier A's quote as the form posts it: line 1 (800 kg) breaks at 500 kg; line 2 33.5.
FORM_A: dict[str, Any] = {
    "from-1": ["0", "500", ""], "price-1": ["210", "190", ""], "lead-1": "12",
    "valid-1": VALID, "notes-1": "mill certificate included",
    "from-2": ["0", "", ""], "price-2": ["33.5", "", ""], "lead-2": "3", "valid-2": VALID}
#: Supplier B's: line 1 cheaper but valid only until the deadline's day; line 2 at 30.
FORM_B: dict[str, Any] = {
    "from-1": ["0"], "price-1": ["185.5"], "lead-1": "10", "valid-1": "2026-11-20",
    "from-2": ["0"], "price-2": ["30"], "lead-2": "7", "valid-2": VALID}
QUOTE_B: list[dict[str, Any]] = [
    {"line": 1, "unit_price": "185.5", "lead_time_days": 10, "valid_until": VALID,
     "notes": "rival's secret note"}]


def past_deadline(site: Site, clock: SettableClock, *firms: Firm,
                  later: timedelta = timedelta(0)) -> list[Firm]:
    """The clock past the deadline and the settling time, the close recorded as the closer
    records it; the firms logged in again when their sessions would have lapsed."""
    marketplace = site.accounts.marketplace
    clock.now = clock.now + OPEN_FOR + SETTLE + later
    marketplace.open_due_rfqs(SETTLE)
    if later < timedelta(minutes=5):
        return list(firms)
    return [Firm(f.member, site.logged_in(f.member)) for f in firms]


def quote_id(marketplace: Marketplace, supplier: Firm, rfq_id: UUID) -> UUID:
    detail = marketplace.rfqs.detail(supplier.id, rfq_id, now=marketplace.clock())
    assert detail is not None
    assert detail.my_quote is not None
    return detail.my_quote.id


def test_a_supplier_quotes_revises_reconfirms_and_withdraws_through_the_form(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    rfq_id = issue(marketplace, clock, buyer, supplier)
    path = f"/rfqs/{rfq_id}"

    blank = supplier.visitor.get(f"{path}/quote")
    fragment = supplier.visitor.get(f"{path}/quote", htmx=True)
    submitted = supplier.visitor.post(f"{path}/quote", FORM_A)
    shown = supplier.visitor.get(path, headers=EN)
    prefilled = supplier.visitor.get(f"{path}/quote")
    revised = supplier.visitor.post(f"{path}/quote", {**FORM_A, "price-2": ["32", "", ""]})
    marketplace.amend_rfq(buyer.id, rfq_id, lines=[{"line": 1, "quantity": 1000}])
    awaiting = supplier.visitor.get(path, headers=EN)
    reconfirmed = supplier.visitor.post(f"{path}/quote/reconfirmation")
    standing = marketplace.rfqs.detail(supplier.id, rfq_id, now=clock())
    withdrawn = supplier.visitor.post(f"{path}/quote/withdrawal")
    after = marketplace.rfqs.detail(supplier.id, rfq_id, now=clock())

    assert blank.status_code == 200
    assert "<html" in blank.text
    assert 'name="price-2"' in blank.text
    assert "2026-12-20" in blank.text
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="quote-form"' in fragment.text
    assert submitted.status_code == 303
    assert submitted.headers["location"].startswith(path)
    assert "mill certificate included" in shown.text
    assert "152,000" in shown.text
    assert 'value="500"' in prefilled.text
    assert 'value="190"' in prefilled.text
    assert revised.status_code == 303
    assert "re-confirm" in awaiting.text.lower()
    assert "/quote/reconfirmation" in awaiting.text
    assert reconfirmed.status_code == 303
    assert standing is not None
    assert standing.my_status == "quoted"
    assert standing.my_quote is not None
    assert [str(line.unit_price) for line in
                                              standing.my_quote.lines] == ["190", "32"]
    assert withdrawn.status_code == 303
    assert after is not None
    assert after.my_quote is None


def test_bad_quote_input_comes_back_with_the_message_and_records_nothing(
        site: Site, clock: SettableClock, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    rfq_id = issue(marketplace, clock, buyer, supplier)
    path = f"/rfqs/{rfq_id}/quote"
    before = ledger_length(migrated_url)

    empty = supplier.visitor.post(path, {"from-1": ["0"], "price-1": [""]})
    no_price = supplier.visitor.post(path, {**FORM_A, "price-2": ["", "", ""]})
    rising = supplier.visitor.post(path, {**FORM_A, "price-1": ["190", "210", ""]})
    stale = supplier.visitor.post(path, {**FORM_A, "valid-1": "2026-11-19"})
    english = supplier.visitor.client.post(path, headers=EN, data={
        **FORM_A, "lead-1": "ten", "_csrf_token": supplier.visitor.csrf_token()})

    assert ledger_length(migrated_url) == before
    for response in (empty, no_price, rising, stale, english):
        assert response.status_code == 422, response.text
        assert 'class="form-error"' in response.text
        assert 'id="quote-form"' in response.text
    assert "明細2に価格がありません" in no_price.text
    assert 'value="210"' in rising.text  # what was typed stays in the form
    assert "lead time" in english.text


def test_quotes_are_sealed_from_the_buyer_and_from_rivals_before_the_deadline(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    a = firm(site, "supplier", name="足利鋼材")
    b = firm(site, "supplier", name="別府ボルト")
    rfq_id = issue(marketplace, clock, buyer, a, b)
    path = f"/rfqs/{rfq_id}"
    buyer_before = buyer.visitor.get(path).text
    b_before = b.visitor.get(path).text

    a.visitor.post(f"{path}/quote", FORM_A)
    marketplace.submit_quote(b.id, rfq_id, QUOTE_B)
    buyer_after = buyer.visitor.get(path).text
    b_after, b_form = b.visitor.get(path).text, b.visitor.get(f"{path}/quote").text
    listed = buyer.visitor.get("/rfqs").text
    comparison = buyer.visitor.get(f"{path}/comparison")

    assert _without_standing(buyer_after) == _without_standing(buyer_before)
    for seen in (buyer_after, listed):
        assert "185.5" not in seen
        assert "33.5" not in seen
        assert "mill certificate" not in seen
        assert "secret note" not in seen
        assert "/comparison" not in seen
    for seen in (b_after, b_form):
        assert "mill certificate" not in seen
        assert "33.5" not in seen
        assert "足利鋼材" not in seen
    assert "185.5" in b_form
    assert "185.5" not in b_before
    assert comparison.status_code == 422
    assert "<html" in comparison.text


def _without_standing(html: str) -> str:
    """The page as far as it is the buyer's: unchanged by a supplier's quote."""
    return re.sub(r'value="[^"]*" name="_csrf_token"|name="_csrf_token" value="[^"]*"', "",
                  html)


def test_an_rfq_goes_from_issue_through_invitation_quotes_and_comparison_to_an_award(
        site: Site, clock: SettableClock, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    a = firm(site, "supplier", name="足利鋼材")
    b = firm(site, "supplier", name="別府ボルト")
    publish_press_profile(marketplace, a)
    needs = [str(n) for n in two_needs(marketplace, buyer)]

    # Issued to A, chosen among the suggestions; B is invited on the RFQ's page.
    form = buyer.visitor.get("/rfqs/new").text
    issued = buyer.visitor.post("/rfqs", {
        "need_ids": needs, "title": TITLE, "closes_at": "2026-11-20T18:20", "cluster": "",
        "invited": [str(a.id)]})
    path = issued.headers["location"]
    rfq_id = UUID(path.removeprefix("/rfqs/"))
    invited = buyer.visitor.post(f"{path}/invitations", {"supplier_ids": [str(b.id)]})
    quoted = [a.visitor.post(f"{path}/quote", FORM_A), b.visitor.post(f"{path}/quote", FORM_B)]

    # Past the deadline and into the next day (JST): B's first line has expired.
    buyer, a, b = past_deadline(site, clock, buyer, a, b, later=timedelta(hours=6))
    page = buyer.visitor.get(path)
    compared = buyer.visitor.get(f"{path}/comparison", headers=EN)
    matrix = buyer.visitor.get(f"{path}/comparison?expired=true", htmx=True)
    quotes = {"a": quote_id(marketplace, a, rfq_id), "b": quote_id(marketplace, b, rfq_id)}
    before = ledger_length(migrated_url)
    no_reason = buyer.visitor.post(f"{path}/award", {
        "mode": "lines", "line-1": str(quotes["a"]), "line-2": str(quotes["b"]), "reason": ""})
    expired = buyer.visitor.post(f"{path}/award", {
        "mode": "lines", "line-1": str(quotes["b"]), "reason": "cheapest"})
    refused_recorded_nothing = ledger_length(migrated_url) == before
    awarded = buyer.visitor.post(f"{path}/award", {
        "mode": "lines", "line-1": str(quotes["a"]), "line-2": str(quotes["b"]),
        "reason": "cheapest valid price per line"})
    orders = marketplace.rfqs.purchase_orders(buyer.id)
    after = buyer.visitor.get(path)
    to_a = a.visitor.get(path)
    orders_seen = {who: [f.visitor.get(f"/purchase-orders/{o.number}").status_code
                         for o in orders] for who, f in (("buyer", buyer), ("a", a), ("b", b))}

    assert f'name="invited" value="{a.id}"' in form
    assert issued.status_code == 303
    assert invited.status_code == 303
    assert [q.status_code for q in quoted] == [303, 303]
    assert "開封された見積：2件" in page.text
    assert f'href="{path}/comparison"' in page.text
    assert compared.status_code == 200
    assert "<html" in compared.text
    cells = _cells(compared.text)
    assert 'class="num best"' in cells[0]["price"][0]
    assert "190" in cells[0]["price"][0]
    assert "expired" in cells[0]["price"][1]
    assert "185.5" not in cells[0]["price"][1]
    assert "best" in cells[1]["price"][1]
    assert "best" in cells[1]["lead"][0]
    assert 'class="best"' in compared.text
    assert "153,675" in compared.text
    assert "153,500" in compared.text  # the cheapest split: A's line 1, B's line 2
    assert matrix.status_code == 200
    assert "<html" not in matrix.text
    assert 'id="matrix"' in matrix.text
    assert "185.5" in matrix.text
    assert no_reason.status_code == 422
    assert expired.status_code == 422
    assert 'class="form-error"' in no_reason.text
    assert refused_recorded_nothing
    assert awarded.status_code == 303
    assert sorted((o.supplier_id, str(o.total)) for o in orders) == sorted(
        [(a.id, "152000"), (b.id, "1500")])
    assert all(o.number in after.text for o in orders)
    assert "cheapest valid price per line" in to_a.text
    assert "152,000" in to_a.text
    by_supplier = [o.supplier_id for o in orders]
    assert orders_seen["buyer"] == [200, 200]
    assert orders_seen["a"] == [200 if s == a.id else 404 for s in by_supplier]
    assert orders_seen["b"] == [200 if s == b.id else 404 for s in by_supplier]


def _cells(html: str) -> list[dict[str, list[str]]]:
    """Each line's price row and lead-time row of the matrix, as their cells' HTML."""
    table = html[html.index('<table class="matrix">'):html.index("</table>")]
    lines = []
    for body in table.split("<tbody>")[1:]:
        rows = body.split("</tr>")
        lines.append({name: re.findall(r'<td class="num[^"]*">.*?</td>', row, re.S)
                      for name, row in (("price", rows[0]), ("lead", rows[1]))})
    return lines


def test_a_member_without_the_role_or_outside_the_rfq_is_refused(
        site: Site, clock: SettableClock, migrated_url: str) -> None:
    marketplace = site.accounts.marketplace
    buyer = firm(site, "buyer", name="高崎プレス")
    supplier = firm(site, "supplier", name="足利鋼材")
    outsider = firm(site, "supplier", name="大阪商事", prefecture="Osaka", clusters=())
    other_buyer = firm(site, "buyer", name="前橋金型")
    rfq_id = issue(marketplace, clock, buyer, supplier, cluster=CLUSTER)
    path = f"/rfqs/{rfq_id}"
    before = ledger_length(migrated_url)

    wrong_role = [buyer.visitor.get(f"{path}/quote"),
                  buyer.visitor.post(f"{path}/quote", FORM_A),
                  supplier.visitor.get(f"{path}/comparison"),
                  supplier.visitor.post(f"{path}/award", {"mode": "whole", "reason": "x"})]
    outside = [outsider.visitor.get(f"{path}/quote"),
               outsider.visitor.post(f"{path}/quote", FORM_A),
               other_buyer.visitor.get(f"{path}/comparison"),
               other_buyer.visitor.post(f"{path}/award", {"mode": "whole", "reason": "x"}),
               buyer.visitor.get("/purchase-orders/PO-20261120-NOPE-1")]

    assert [r.status_code for r in wrong_role] == [403] * len(wrong_role)
    assert [r.status_code for r in outside] == [404] * len(outside)
    assert ledger_length(migrated_url) == before
