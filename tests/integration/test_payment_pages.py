"""The payment step on the lot page, by invoice (no Stripe key): a buyer commits what it
pooled, sees its own payments and never another's; a supplier sees its payout once paid."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from tests.lots_builders import bid_alone
from tests.pages import Site

CLUSTER = "上州ものづくり"


def a_lot_with_my_need(marketplace: Marketplace, buyer: UUID) -> UUID:
    lot_id = marketplace.open_lot(
        buyer, category="Steel sheet", specification="SPCC 1.0 mm, cold rolled", unit="kg",
        closes_at=marketplace.clock() + HOLD_WINDOW - timedelta(hours=1), cluster=CLUSTER,
        thresholds=[1000])
    need = marketplace.post_need(
        buyer, category="steel sheet", specification="SPCC 1 mm", unit="kg", quantity=800,
        needed_by="2026-12-15", delivery_prefecture="Gunma", max_unit_price=200)
    marketplace.pool_need(buyer, lot_id, need)
    return lot_id


def test_a_buyer_commits_to_pay_by_invoice_and_sees_its_order(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = a_lot_with_my_need(marketplace, member.organisation_id)
    before = visitor.get(f"/lots/{lot_id}")

    response = visitor.post(f"/lots/{lot_id}/payment")
    after = visitor.get(f"/lots/{lot_id}")

    assert "Commit to pay by invoice" in before.text or "請求書払いで確約する" in before.text
    assert response.status_code == 303
    assert response.headers["location"] == f"/lots/{lot_id}#payment"
    (payment,) = marketplace.payments_of_lot(lot_id)
    assert payment.status == "authorised"
    assert payment.reference is not None
    assert payment.reference in after.text
    assert "¥160,000" in after.text or "￥160,000" in after.text


def test_another_buyers_payments_are_not_shown_and_it_cannot_pay_for_them(site: Site) -> None:
    marketplace = site.accounts.marketplace
    payer = site.new_member(roles=("buyer",))
    lot_id = a_lot_with_my_need(marketplace, payer.organisation_id)
    payment = marketplace.pay_for_commitment(payer.organisation_id, lot_id)
    _, other = site.member_visitor(roles=("buyer",))
    position = marketplace.position()

    page = other.get(f"/lots/{lot_id}")
    response = other.post(f"/lots/{lot_id}/payment")

    assert page.status_code == 200
    assert payment.reference is not None
    assert payment.reference not in page.text
    assert response.status_code == 422
    assert "pool a need first" in response.text or "確約がありません" in response.text
    assert marketplace.position() == position


def test_the_payment_step_needs_the_forms_csrf_token(site: Site) -> None:
    marketplace = site.accounts.marketplace
    member, visitor = site.member_visitor(roles=("buyer",))
    lot_id = a_lot_with_my_need(marketplace, member.organisation_id)
    visitor.csrf_token()

    response = visitor.client.post(f"/lots/{lot_id}/payment", data={})

    assert response.status_code == 403
    assert marketplace.payments_of_lot(lot_id) == []


def test_a_supplier_sees_its_payout_once_the_lot_is_cleared(site: Site,
                                                            clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    buyer = site.new_member(roles=("buyer",))
    supplier = site.new_member(roles=("supplier",))
    lot_id = a_lot_with_my_need(marketplace, buyer.organisation_id)
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    marketplace.pay_for_commitment(buyer.organisation_id, lot_id)
    clock.advance(HOLD_WINDOW)
    marketplace.close_due_lots()
    visitor = site.logged_in(supplier)  # after the days that passed

    page = visitor.get(f"/lots/{lot_id}")

    statement = marketplace.payout_statement(supplier.organisation_id, lot_id)
    assert statement is not None
    assert statement.paid == 800 * 200
    assert page.status_code == 200
    assert "160,000" in page.text
    assert statement.transfers[0].reference is not None
    assert statement.transfers[0].reference in page.text
