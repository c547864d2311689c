"""A served buyer whose payment at the clearing did not go through pays what it still owes
with another card, on the lot's page, after the close: the card is saved and charged at once,
and the suppliers, who wait until every buyer has paid, are paid. A card its bank wanted
confirmed is confirmed after the close and charged at once. Nobody else can, nothing is asked
of a buyer who owes nothing, and the reason is said in the page's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest
import stripe

from events import SettableClock
from marketplace.accounts import Member
from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.domain.payments import Purpose
from marketplace.payments import Status
from tests.fake_stripe import (
    CARD_AUTHENTICATION_REQUIRED,
    CARD_CHARGES_FAIL,
    CARD_DECLINED,
    CARD_VISA,
    FakeStripe,
)
from tests.lots_builders import bid_alone, post_need
from tests.pages import Site, Visitor
from tests.stripe_site import CLUSTER

ENGLISH = {"Accept-Language": "en"}
#: 800 kg at the ¥200 tier.
OWED = 800 * 200


@dataclass(frozen=True)
class Cleared:
    lot_id: UUID
    buyer: Member
    visitor: Visitor
    supplier: Member


def a_cleared_lot(site: Site, clock: SettableClock, card: str) -> Cleared:
    """A buyer saves ``card`` for its 800 kg (the lot closes after the hold window), one
    supplier bids alone; the lot closes, is cleared and settled."""
    marketplace: Marketplace = site.accounts.marketplace
    buyer, visitor = site.member_visitor(roles=("buyer",))
    supplier = site.new_member(roles=("supplier",))
    lot_id = marketplace.open_lot(
        buyer.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm",
        unit="kg", closes_at=clock() + HOLD_WINDOW + timedelta(days=1), cluster=CLUSTER,
        thresholds=[1000])
    need = post_need(marketplace, buyer.organisation_id, 800, max_unit_price=200)
    marketplace.pool_need(buyer.organisation_id, lot_id, need)
    visitor.post(f"/lots/{lot_id}/payment", {"payment_method": card})
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    clock.advance(HOLD_WINDOW + timedelta(days=2))
    assert marketplace.close_due_lots() == [lot_id]
    # Days later: its session has lapsed, and it logs in again.
    return Cleared(lot_id, buyer, site.logged_in(buyer), supplier)


def in_english(visitor: Visitor) -> Visitor:
    visitor.client.cookies.set("kyodo_lang", "en")
    return visitor


def taken(marketplace: Marketplace, lot_id: UUID) -> int:
    return sum(p.settled_amount or 0 for p in marketplace.payments_of_lot(lot_id)
               if p.purpose in (Purpose.CAPTURE, Purpose.CHARGE)
               and p.status == Status.CAPTURED.value)


def test_a_declined_charge_is_paid_with_another_card_and_the_supplier_is_then_paid(
        card_site: Site, clock: SettableClock) -> None:
    marketplace = card_site.accounts.marketplace
    lot = a_cleared_lot(card_site, clock, CARD_CHARGES_FAIL)
    before = lot.visitor.get(f"/lots/{lot.lot_id}")
    allocation = lot.visitor.get(f"/lots/{lot.lot_id}/allocation", headers=ENGLISH)
    waiting_supplier = marketplace.payout_statement(lot.supplier.organisation_id, lot.lot_id)

    paid = lot.visitor.post(f"/lots/{lot.lot_id}/payment", {"payment_method": CARD_VISA})
    after = lot.visitor.get(f"/lots/{lot.lot_id}")

    assert 'id="owed-now"' in before.text
    assert "160,000" in before.text
    assert "カード会社によりカードが拒否されました" in before.text  # the reason, in Japanese
    assert "Pay the ¥160,000 you still owe with another card" in allocation.text
    assert waiting_supplier is None  # nothing is owed to suppliers until every buyer paid
    assert paid.status_code == 303
    assert taken(marketplace, lot.lot_id) == OWED
    statement = marketplace.payout_statement(lot.supplier.organisation_id, lot.lot_id)
    assert statement is not None
    assert statement.paid == statement.net == OWED
    assert 'id="owed-now"' not in after.text
    assert marketplace.still_owed(lot.buyer.organisation_id, lot.lot_id) is None


def test_another_card_declined_in_turn_says_why_and_leaves_the_rest_owed(
        card_site: Site, clock: SettableClock) -> None:
    marketplace = card_site.accounts.marketplace
    lot = a_cleared_lot(card_site, clock, CARD_CHARGES_FAIL)

    refused = in_english(lot.visitor).post(f"/lots/{lot.lot_id}/payment",
                                           {"payment_method": CARD_DECLINED})
    owed = marketplace.still_owed(lot.buyer.organisation_id, lot.lot_id)

    assert refused.status_code == 422
    assert "The card was declined by its bank: use another card." in refused.text
    assert 'id="owed-now"' in refused.text
    assert owed is not None
    assert owed.minor == OWED
    assert taken(marketplace, lot.lot_id) == 0


def test_a_card_its_bank_wanted_confirmed_is_confirmed_after_the_close_and_charged_at_once(
        card_site: Site, clock: SettableClock, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    lot = a_cleared_lot(card_site, clock, CARD_AUTHENTICATION_REQUIRED)
    (saved,) = marketplace.payments_of_lot(lot.lot_id)
    page = lot.visitor.get(f"/lots/{lot.lot_id}")
    assert saved.reference is not None
    fake.authenticate(saved.reference)

    confirmed = lot.visitor.post(f"/lots/{lot.lot_id}/payment/confirmed")
    charge = marketplace.payments_of_lot(lot.lot_id)[-1]

    assert saved.status == Status.NEEDS_AUTHENTICATION
    assert "data-confirm-form" in page.text
    assert 'id="owed-now"' in page.text
    # Charged off session at once: this card asks its bank every time, so the charge waits
    # on the bank in turn, and the page offers to confirm it with the saved card.
    assert confirmed.status_code == 422
    assert (charge.purpose, charge.amount) == (Purpose.CHARGE, OWED)
    assert charge.status == Status.NEEDS_AUTHENTICATION
    assert "data-payment-method=" in confirmed.text
    assert marketplace.still_owed(lot.buyer.organisation_id, lot.lot_id) is None


def test_nobody_else_pays_for_the_buyer_and_a_buyer_owing_nothing_is_told_so(
        card_site: Site, clock: SettableClock) -> None:
    marketplace = card_site.accounts.marketplace
    lot = a_cleared_lot(card_site, clock, CARD_CHARGES_FAIL)
    paid = a_cleared_lot(card_site, clock, CARD_VISA)
    owner = card_site.logged_in(lot.buyer)  # days later again
    supplier = card_site.logged_in(lot.supplier)
    _, outsider = card_site.member_visitor(roles=("buyer",), clusters=("Kansai Metal",),
                                           prefecture="Osaka")
    position = marketplace.position()

    answers = {
        "supplier": supplier.post(f"/lots/{lot.lot_id}/payment", {"payment_method": CARD_VISA}),
        "outsider": outsider.post(f"/lots/{lot.lot_id}/payment", {"payment_method": CARD_VISA}),
        "paid up": in_english(paid.visitor).post(f"/lots/{paid.lot_id}/payment",
                                                 {"payment_method": CARD_VISA}),
        "no token": in_english(owner).post(f"/lots/{lot.lot_id}/payment",
                                                 {"payment_method": "4242424242424242"})}

    assert {name: r.status_code for name, r in answers.items()} == {
        "supplier": 403, "outsider": 404, "paid up": 422, "no token": 422}
    assert "owes nothing in this lot" in answers["paid up"].text
    assert "not a card from Stripe" in answers["no token"].text
    assert 'id="owed-now"' not in answers["paid up"].text
    assert marketplace.position() == position


def test_by_invoice_nothing_is_asked_of_a_card_after_the_close(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    lot = a_cleared_lot(site, clock, "")

    page = lot.visitor.get(f"/lots/{lot.lot_id}")

    assert marketplace.still_owed(lot.buyer.organisation_id, lot.lot_id) is None
    assert 'id="owed-now"' not in page.text
    assert 'id="card-form"' not in page.text


def intent_status(fake: FakeStripe, reference: str | None) -> str:
    assert reference is not None
    return str(fake.client().v1.payment_intents.retrieve(reference).status)


def test_the_declined_charge_is_cancelled_at_stripe_before_another_card_is_charged(
        card_site: Site, clock: SettableClock, fake: FakeStripe) -> None:
    """A page left open could still confirm the declined charge and take the money twice:
    it is cancelled at Stripe first, and a confirmation of it then fails."""
    marketplace = card_site.accounts.marketplace
    lot = a_cleared_lot(card_site, clock, CARD_CHARGES_FAIL)
    (declined,) = [p for p in marketplace.payments_of_lot(lot.lot_id)
                   if p.purpose is Purpose.CHARGE]
    assert intent_status(fake, declined.reference) == "requires_payment_method"

    lot.visitor.post(f"/lots/{lot.lot_id}/payment", {"payment_method": CARD_VISA})

    cancels = [p for p in marketplace.payments_of_lot(lot.lot_id)
               if p.purpose is Purpose.CANCEL]
    assert [(p.of, p.status) for p in cancels] == [(declined.reference, Status.RELEASED)]
    assert intent_status(fake, declined.reference) == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        fake.client().v1.payment_intents.confirm(declined.reference or "",
                                                 params={"payment_method": CARD_VISA})
    assert taken(marketplace, lot.lot_id) == OWED


def test_a_declined_charge_the_buyer_confirmed_meanwhile_counts_and_nothing_more_is_taken(
        card_site: Site, clock: SettableClock, fake: FakeStripe) -> None:
    marketplace = card_site.accounts.marketplace
    lot = a_cleared_lot(card_site, clock, CARD_CHARGES_FAIL)
    (declined,) = [p for p in marketplace.payments_of_lot(lot.lot_id)
                   if p.purpose is Purpose.CHARGE]
    fake.client().v1.payment_intents.confirm(  # from a page left open, with a good card
        declined.reference or "", params={"payment_method": CARD_VISA})

    answer = in_english(lot.visitor).post(f"/lots/{lot.lot_id}/payment",
                                          {"payment_method": CARD_VISA})

    assert answer.status_code == 422
    assert "owes nothing in this lot" in answer.text
    charges = [p for p in marketplace.payments_of_lot(lot.lot_id)
               if p.purpose is Purpose.CHARGE]
    assert [(p.status, p.settled_amount) for p in charges] == [(Status.CAPTURED, OWED)]
    assert len([p for p in marketplace.payments_of_lot(lot.lot_id)
                if p.purpose is Purpose.SAVE]) == 1  # no other card was taken
    assert taken(marketplace, lot.lot_id) == OWED


def test_a_card_whose_answer_was_lost_is_given_again_and_charged_once(
        card_site: Site, clock: SettableClock, fake: FakeStripe) -> None:
    """The buyer never confirmed its card with its bank, so nothing was charged at the close;
    its next card's answer is lost: the page still asks, and the same card again is saved
    under the same key and charged once."""
    marketplace = card_site.accounts.marketplace
    lot = a_cleared_lot(card_site, clock, CARD_AUTHENTICATION_REQUIRED)
    fake.drop_after_success(next_n=1)

    lost = lot.visitor.post(f"/lots/{lot.lot_id}/payment", {"payment_method": CARD_VISA})
    page = lot.visitor.get(f"/lots/{lot.lot_id}")
    again = lot.visitor.post(f"/lots/{lot.lot_id}/payment", {"payment_method": CARD_VISA})

    assert lost.status_code == 503
    assert 'id="owed-now"' in page.text
    assert again.status_code == 303
    saves = [p for p in marketplace.payments_of_lot(lot.lot_id) if p.purpose is Purpose.SAVE]
    assert [p.status for p in saves] == [Status.NEEDS_AUTHENTICATION, Status.SAVED]
    assert taken(marketplace, lot.lot_id) == OWED
    succeeded = [i for i in fake.client().v1.payment_intents.list().auto_paging_iter()
                 if i.status == "succeeded"]
    assert [i.amount for i in succeeded] == [OWED]
