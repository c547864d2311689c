"""Where the money stands, on the allocation page: a served buyer sees its own payment, a
supplier its own payout, the lot's organiser how many stand in each state; nobody sees
another's payment, and by invoice the page speaks of orders and invoices, not cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from events import SettableClock
from marketplace.accounts import Member
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import API_KEY, CARD_AUTHENTICATION_REQUIRED, CARD_VISA, FakeStripe
from tests.lots_builders import bid_alone, post_need
from tests.pages import Site

CLUSTER = "上州ものづくり"
ENGLISH = {"Accept-Language": "en"}
#: 800 kg and 600 kg pooled reach the ¥180 tier: ¥144,000 and ¥108,000.
MINE, OTHERS = "¥144,000", "¥108,000"


@dataclass(frozen=True)
class PaidLot:
    id: UUID
    organiser: Member
    """Opened the lot, pooled nothing in it."""
    buyer: Member
    other_buyer: Member
    supplier: Member
    bystander: Member
    """A buyer of the cluster with no need in the lot."""


def a_paid_lot(site: Site, clock: SettableClock, processor: FakeStripe | None, *,
               other_card: str = CARD_VISA, fee: str = "0") -> PaidLot:
    """Two buyers each pay for their need (a card through Stripe, else an order by invoice),
    one supplier bids alone; the lot closes and is settled."""
    marketplace: Marketplace = site.accounts.marketplace
    marketplace.platform_fee = Decimal(fee)
    organiser, buyer, other, supplier, bystander = (
        site.new_member(roles=("buyer",)), site.new_member(roles=("buyer",)),
        site.new_member(roles=("buyer",)), site.new_member(roles=("supplier",)),
        site.new_member(roles=("buyer",)))
    lot_id = marketplace.open_lot(
        organiser.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm",
        unit="kg", closes_at=clock() + HOLD_WINDOW - timedelta(hours=1), cluster=CLUSTER,
        thresholds=[1000])
    for member, quantity, card in ((buyer, 800, CARD_VISA), (other, 600, other_card)):
        need = post_need(marketplace, member.organisation_id, quantity)
        marketplace.pool_need(member.organisation_id, lot_id, need)
        marketplace.pay_for_commitment(member.organisation_id, lot_id,
                                       payment_method=card if processor else None)
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    clock.advance(HOLD_WINDOW)
    assert marketplace.close_due_lots() == [lot_id]
    return PaidLot(lot_id, organiser, buyer, other, supplier, bystander)


def page(site: Site, member: Member, lot: PaidLot) -> str:
    response = site.logged_in(member).get(f"/lots/{lot.id}/allocation", headers=ENGLISH)
    assert response.status_code == 200
    return response.text


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start:html.index("</article>", start)]


def test_a_served_buyer_sees_what_it_owes_and_has_paid_and_no_other_buyers_payment(
        site: Site, clock: SettableClock, processor: FakeStripe | None) -> None:
    lot = a_paid_lot(site, clock, processor)

    mine = page(site, lot.buyer, lot)
    theirs = page(site, lot.other_buyer, lot)

    payment = section(mine, "my-payment")
    assert 'data-state="paid"' in payment
    assert f'id="my-payment-owed">{MINE}' in payment
    assert f'id="my-payment-paid">{MINE}' in payment
    assert '<svg id="my-payment-bar"' in payment
    assert 'class="part paid"' in payment
    assert 'class="part waiting"' not in payment
    assert OTHERS not in mine
    assert f'id="my-payment-owed">{OTHERS}' in theirs
    assert MINE not in theirs
    for html in (mine, theirs):
        assert 'id="payment-overview"' not in html
        assert 'id="my-payout"' not in html
        assert "style=" not in html


def test_a_buyer_without_a_need_in_the_lot_sees_no_payment_at_all(
        site: Site, clock: SettableClock, processor: FakeStripe | None) -> None:
    lot = a_paid_lot(site, clock, processor)

    html = page(site, lot.bystander, lot)

    assert 'id="allocation-summary"' in html
    assert 'id="payment-status"' not in html
    assert MINE not in html
    assert OTHERS not in html


def test_a_supplier_sees_its_payout_owed_fee_and_paid_and_no_buyers_payment(
        site: Site, clock: SettableClock, processor: FakeStripe | None) -> None:
    lot = a_paid_lot(site, clock, processor, fee="0.05")

    html = page(site, lot.supplier, lot)

    payout = section(html, "my-payout")
    assert 'data-state="paid"' in payout
    assert 'id="my-payout-owed">¥252,000' in payout
    assert "¥12,600" in payout  # the 5 % fee
    assert 'id="my-payout-paid">¥239,400' in payout
    bar = payout[payout.index('<svg id="my-payout-bar"'):payout.index("</svg>")]
    assert 'class="part paid"' in bar
    assert 'class="part fee"' in bar
    assert 'id="my-payment"' not in html
    assert 'id="payment-overview"' not in html
    assert MINE not in html
    assert OTHERS not in html


def test_the_organiser_sees_how_many_stand_in_each_state_but_no_names_amounts_or_cards(
        site: Site, clock: SettableClock, fake: FakeStripe,
        marketplace: Marketplace) -> None:
    marketplace.payments = StripePayments(API_KEY, api_base=fake.base_url, network_retries=0)
    lot = a_paid_lot(site, clock, fake, other_card=CARD_AUTHENTICATION_REQUIRED)

    html = page(site, lot.organiser, lot)

    overview = section(html, "payment-overview")
    buyers = overview[overview.index('id="payment-overview-buyers-table"'):]
    assert '<tr data-state="paid"><td><span class="swatch paid" aria-hidden="true"></span>Paid' \
           '</td><td class="num">1</td>' in buyers
    assert '<tr data-state="action_needed">' in buyers
    assert "Needs the buyer to act" in buyers
    suppliers = overview[overview.index('id="payment-overview-suppliers-table"'):]
    assert '<tr data-state="waiting_for_buyers">' in suppliers
    assert '<svg id="payment-overview-buyers"' in overview
    assert 'class="part action_needed"' in overview
    for secret in (MINE, OTHERS, "¥252,000", "pi_", "pm_card", "authenticat"):
        assert secret not in html, secret
    names = [site.accounts.marketplace.organisations.get(m.organisation_id)
             for m in (lot.buyer, lot.other_buyer, lot.supplier)]
    for organisation in names:
        assert organisation is not None
        assert organisation.display_name not in html
    assert 'id="my-payment"' not in html
    assert 'id="my-payout"' not in html


def test_by_invoice_the_page_speaks_of_orders_and_invoices(
        site: Site, clock: SettableClock) -> None:
    lot = a_paid_lot(site, clock, None)

    buyer, supplier, organiser = (page(site, member, lot) for member in
                                  (lot.buyer, lot.supplier, lot.organiser))

    assert 'data-processor="invoice"' in buyer
    payment = section(buyer, "my-payment")
    assert "Invoiced" in payment
    assert "Paid" not in payment
    assert "card" not in payment.lower()
    assert "Listed for bank transfer" in section(supplier, "my-payout")
    overview = section(organiser, "payment-overview")
    assert "Invoiced" in overview
    assert "card" not in overview.lower()


def test_the_page_is_in_japanese_by_default(site: Site, clock: SettableClock) -> None:
    lot = a_paid_lot(site, clock, None)

    html = site.logged_in(lot.buyer).get(f"/lots/{lot.id}/allocation").text

    assert "支払い状況" in html
    assert "請求済み" in html


def test_an_anonymous_visitor_is_sent_to_log_in_and_sees_nothing(
        site: Site, clock: SettableClock) -> None:
    lot = a_paid_lot(site, clock, None)

    response = site.visitor().get(f"/lots/{lot.id}/allocation")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert MINE not in response.text
