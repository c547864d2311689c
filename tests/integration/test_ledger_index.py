"""The ledger index: each entry's lot, RFQ and parties, for every type of event; migration
0009 fills it from the stored events exactly as the projector does. What an auditor's
organisation sees of the ledger, and who may have an entry's receipt."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa

from events import SettableClock, engine_for, rebuild_read_models
from marketplace import schema
from marketplace.application import Marketplace
from marketplace.audit.ledger_browse import LedgerBrowser, LedgerFilter, event_types
from marketplace.domain.sealed_round import SETTLE
from marketplace.payments.stripe_adapter import StripePayments
from marketplace.readmodels.ledger_index import ledger_index, ledger_index_parties
from tests.fake_stripe import API_KEY, CARD_VISA, FakeStripe, serialise, sign_webhook
from tests.helpers import read_model_rows
from tests.lots_builders import (
    BID_TERMS,
    CLUSTER,
    CONSORTIUM_TERMS,
    bid_alone,
    open_lot,
    post_need,
    register,
    viewer,
)
from tests.rfq_builders import QUOTE_B

WEBHOOK_SECRET = "whsec_ledger_index"  # noqa: S105 (the fake's webhook secret)


@dataclass(frozen=True)
class History:
    """One of every event: a lot cleared with a bid alone and a consortium that fell apart (its
    lead going on alone), a lot cancelled, an RFQ awarded after questions, quotes and an
    amendment, one cancelled; and a lot paid through Stripe (its card held and captured, its
    supplier paid, a webhook taken)."""

    organiser: UUID
    buyer: UUID
    s1: UUID
    s2: UUID
    s3: UUID
    lot_id: UUID
    cancelled_lot: UUID
    rfq_id: UUID
    cancelled_rfq: UUID
    paid_lot: UUID


def a_history(marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> History:
    organiser, buyer = (register(marketplace, "buyer", name=n) for n in ("Organiser", "Buyer"))
    s1, s2, s3 = (register(marketplace, "supplier", name=f"Supplier {n}") for n in (1, 2, 3))
    marketplace.update_organisation_profile(s1, capabilities=["press"])
    marketplace.publish_supplier_profile(s1, processes=["press"], description_en="Presses.")
    token = marketplace.issue_api_token(buyer, label="spare")
    marketplace.revoke_api_token(buyer, token.token_id)
    revised, withdrawn = post_need(marketplace, organiser), post_need(marketplace, organiser)
    marketplace.revise_need(organiser, revised, quantity=900)
    marketplace.withdraw_need(organiser, withdrawn)

    lot_id = open_lot(marketplace, organiser)
    marketplace.pool_need(organiser, lot_id, revised)
    other = post_need(marketplace, buyer, 500)
    marketplace.pool_need(buyer, lot_id, other)
    marketplace.change_commitment(buyer, lot_id, other, quantity=400)
    marketplace.withdraw_commitment(buyer, lot_id, other)
    alone = bid_alone(marketplace, s1, lot_id)
    marketplace.revise_bid(s1, lot_id, alone, **{**BID_TERMS, "lead_time_days": 10})
    marketplace.join_lot(s2, lot_id)
    consortium = marketplace.place_bid(s2, lot_id, **CONSORTIUM_TERMS, shares={s2: 600, s3: 400})
    marketplace.accept_consortium_share(s3, lot_id, consortium)
    marketplace.decline_consortium_share(s3, lot_id, consortium)
    marketplace.revise_bid(s2, lot_id, consortium, **BID_TERMS, shares={})  # s3 is dropped
    marketplace.withdraw_bid(s2, lot_id, consortium)
    cancelled_lot = open_lot(marketplace, buyer)
    marketplace.cancel_lot(buyer, cancelled_lot, "no longer needed")

    rfq_id = marketplace.issue_rfq(organiser, need_ids=[post_need(marketplace, organiser, 300)],
                                   title="SPCC for Q1", closes_at=clock() + timedelta(days=2),
                                   invited=[s1], cluster=CLUSTER)
    marketplace.invite_suppliers(organiser, rfq_id, [s2])
    question = marketplace.ask_question(s1, rfq_id, "Is 1.0 mm the nominal?")
    marketplace.answer_question(organiser, rfq_id, question, "Yes.")
    quote = marketplace.submit_quote(s1, rfq_id, QUOTE_B)
    marketplace.revise_quote(s1, rfq_id, quote, [{**QUOTE_B[0], "unit_price": "184"}])
    withdrawn_quote = marketplace.submit_quote(s2, rfq_id, QUOTE_B)
    marketplace.withdraw_quote(s2, rfq_id, withdrawn_quote)
    marketplace.amend_rfq(organiser, rfq_id, notes="deliver to gate 2")
    marketplace.reconfirm_quote(s1, rfq_id, quote)
    cancelled_rfq = marketplace.issue_rfq(
        buyer, need_ids=[post_need(marketplace, buyer, 100)], title="Spare",
        closes_at=clock() + timedelta(days=2), invited=[s1])
    marketplace.cancel_rfq(buyer, cancelled_rfq, "bought elsewhere")

    clock.advance(timedelta(days=8) + SETTLE)
    assert marketplace.close_due_lots() == [lot_id]
    assert marketplace.open_due_rfqs() == [rfq_id]
    marketplace.award_rfq(organiser, rfq_id, reason="best price", whole=quote)
    paid_lot = _paid_lot(marketplace, clock, fake, organiser, s1)
    return History(organiser, buyer, s1, s2, s3, lot_id, cancelled_lot, rfq_id, cancelled_rfq,
                   paid_lot)


def _paid_lot(marketplace: Marketplace, clock: SettableClock, fake: FakeStripe,
              buyer: UUID, supplier: UUID) -> UUID:
    """A lot paid through Stripe: the buyer's card held and captured, the supplier paid, and
    two of Stripe's webhooks taken (a payment's, and the supplier's account restricted)."""
    marketplace.payments = StripePayments(API_KEY, webhook_secret=WEBHOOK_SECRET,
                                          api_base=fake.base_url, network_retries=0)
    lot_id = open_lot(marketplace, buyer, closes_at=clock() + timedelta(days=1))
    need = post_need(marketplace, buyer, 1200)
    marketplace.pool_need(buyer, lot_id, need)
    bid_alone(marketplace, supplier, lot_id)
    marketplace.pay_for_commitment(buyer, lot_id, payment_method=CARD_VISA)
    clock.advance(timedelta(days=1) + SETTLE)
    assert marketplace.close_due_lots() == [lot_id]
    event = next(e for e in fake.events if e["type"] == "payment_intent.succeeded")
    body = serialise(event)
    assert marketplace.take_notification(body, sign_webhook(body, WEBHOOK_SECRET,
                                                            int(time.time())))
    fake.restrict(marketplace._payout_account(supplier))  # Stripe tells of it by webhook
    body = serialise(fake.events[-1])
    assert marketplace.take_notification(body, sign_webhook(body, WEBHOOK_SECRET,
                                                            int(time.time())))
    return lot_id


@dataclass(frozen=True)
class Row:
    position: int
    aggregate_id: UUID
    lot_id: UUID | None
    rfq_id: UUID | None
    parties: frozenset[UUID]


def indexed(url: str) -> dict[str, list[Row]]:
    """The index's rows by event type, in ledger order."""
    with engine_for(url).connect() as connection:
        parties: dict[int, set[UUID]] = {}
        for position, organisation_id in connection.execute(sa.select(ledger_index_parties)):
            parties.setdefault(position, set()).add(organisation_id)
        found: dict[str, list[Row]] = {}
        for row in connection.execute(sa.select(ledger_index).order_by(ledger_index.c.position)):
            found.setdefault(row.event_type, []).append(Row(
                row.position, row.aggregate_id, row.lot_id, row.rfq_id,
                frozenset(parties.get(row.position, ()))))
    return found


@pytest.fixture
def history(marketplace: Marketplace, clock: SettableClock, fake: FakeStripe) -> History:
    return a_history(marketplace, clock, fake)


def test_every_entry_is_indexed_once_and_every_type_of_event_occurs(
        history: History, marketplace: Marketplace, migrated_url: str) -> None:
    rows = indexed(migrated_url)

    positions = sorted(row.position for found in rows.values() for row in found)
    with engine_for(migrated_url).connect() as connection:
        recorded = connection.execute(sa.text("SELECT id FROM ledger_events ORDER BY id")).scalars()
        assert positions == list(recorded)
    assert positions[-1] == marketplace.position()
    assert set(rows) == set(event_types())


def test_an_organisation_is_party_to_its_own_events(history: History,
                                                    migrated_url: str) -> None:
    rows = indexed(migrated_url)
    h = history

    for event_type in ("Organisation.Registered", "Organisation.ApiTokenIssued",
                       "Organisation.ProfileUpdated", "Organisation.SupplierProfilePublished",
                       "Organisation.ApiTokenRevoked"):
        for row in rows[event_type]:
            assert row.parties == {row.aggregate_id}, event_type
            assert (row.lot_id, row.rfq_id) == (None, None)
    assert rows["Organisation.ApiTokenRevoked"][0].parties == {h.buyer}


def but_the_paid_lot(rows: dict[str, list[Row]], h: History) -> dict[str, list[Row]]:
    return {kind: [r for r in found if r.lot_id != h.paid_lot] for kind, found in rows.items()}


def test_a_need_is_its_buyers_and_names_its_lot_or_rfq(history: History,
                                                        migrated_url: str) -> None:
    rows = but_the_paid_lot(indexed(migrated_url), history)
    h = history

    assert rows["Need.Revised"][0].parties == {h.organiser}
    assert rows["Need.Withdrawn"][0].parties == {h.organiser}
    assert [(r.parties, r.lot_id) for r in rows["Need.Pooled"]] == [
        ({h.organiser}, h.lot_id), ({h.buyer}, h.lot_id)]
    assert [(r.parties, r.lot_id) for r in rows["Need.Unpooled"]] == [({h.buyer}, h.lot_id)]
    assert [(r.parties, r.rfq_id) for r in rows["Need.QuotesRequested"]] == [
        ({h.organiser}, h.rfq_id), ({h.buyer}, h.cancelled_rfq)]
    assert [(r.parties, r.rfq_id) for r in rows["Need.RfqReleased"]] == [
        ({h.buyer}, h.cancelled_rfq)]


def test_a_lots_entries_name_the_lot_and_the_organisations_acting_in_them(
        history: History, migrated_url: str) -> None:
    rows = but_the_paid_lot(indexed(migrated_url), history)
    h = history

    def parties(event_type: str) -> list[frozenset[UUID]]:
        assert all(r.lot_id == r.aggregate_id and r.rfq_id is None for r in rows[event_type])
        return [r.parties for r in rows[event_type]]

    assert parties("Lot.Opened") == [{h.organiser}, {h.buyer}]
    assert parties("Lot.NeedPooled") == [{h.organiser}, {h.buyer}]
    assert parties("Lot.CommitmentChanged") == [{h.buyer}]
    assert parties("Lot.CommitmentWithdrawn") == [{h.buyer}]
    assert parties("Lot.SupplierJoined") == [{h.s1}, {h.s2}, {h.s3}]
    assert parties("Lot.BidPlaced") == [{h.s1}, {h.s2, h.s3}]
    assert parties("Lot.BidRevised") == [{h.s1}, {h.s2}]  # s3 is no party to terms without it
    assert parties("Lot.ConsortiumShareAccepted") == [{h.s2, h.s3}]
    assert parties("Lot.ConsortiumShareDeclined") == [{h.s2, h.s3}]
    assert parties("Lot.BidWithdrawn") == [{h.s2}]
    assert parties("Lot.Cancelled") == [{h.buyer}]
    everyone_left = {h.organiser, h.s1, h.s2, h.s3}  # the buyer withdrew its commitment
    assert parties("Lot.Closed") == [everyone_left]
    assert parties("Lot.Allocated") == [everyone_left]


def test_an_rfqs_entries_are_its_buyers_but_a_quote_is_its_suppliers_alone(
        history: History, migrated_url: str) -> None:
    rows = indexed(migrated_url)
    h = history

    def parties(event_type: str) -> list[frozenset[UUID]]:
        assert all(r.rfq_id == r.aggregate_id and r.lot_id is None for r in rows[event_type])
        return [r.parties for r in rows[event_type]]

    assert parties("Rfq.Issued") == [{h.organiser, h.s1}, {h.buyer, h.s1}]
    assert parties("Rfq.SuppliersInvited") == [{h.organiser, h.s2}]
    assert parties("Rfq.QuestionAsked") == [{h.organiser, h.s1}]
    assert parties("Rfq.QuestionAnswered") == [{h.organiser, h.s1}]
    assert parties("Rfq.Amended") == [{h.organiser}]
    assert parties("Rfq.QuoteSubmitted") == [{h.s1}, {h.s2}]
    assert parties("Rfq.QuoteRevised") == [{h.s1}]
    assert parties("Rfq.QuoteReconfirmed") == [{h.s1}]
    assert parties("Rfq.QuoteWithdrawn") == [{h.s2}]
    assert parties("Rfq.Cancelled") == [{h.buyer}]
    assert parties("Rfq.Closed") == [{h.organiser, h.s1, h.s2}]
    assert parties("Rfq.Awarded") == [{h.organiser, h.s1}]
    assert parties("Rfq.PurchaseOrderIssued") == [{h.organiser, h.s1}]


def test_a_replay_rebuilds_the_same_index(history: History, marketplace: Marketplace,
                                          migrated_url: str) -> None:
    live = read_model_rows(migrated_url)

    rebuild_read_models(marketplace, batch_size=9)

    assert read_model_rows(migrated_url) == live


def index_tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    with engine_for(url).connect() as connection:
        return {table.name: sorted(tuple(row) for row in connection.execute(sa.select(table)))
                for table in (ledger_index, ledger_index_parties)}


def test_migration_0009_fills_the_index_as_the_projector_does(
        history: History, migrated_url: str) -> None:
    live = index_tables(migrated_url)
    assert len(live["ledger_index"]) > 50

    schema.downgrade(migrated_url, "0008")
    schema.upgrade(migrated_url)

    assert index_tables(migrated_url) == live


def test_a_receipt_is_the_organisations_own_commitment_never_a_whole_round(
        history: History, marketplace: Marketplace, migrated_url: str) -> None:
    rows, h = indexed(migrated_url), history
    browser = LedgerBrowser(marketplace)

    def holders(event_type: str, number: int = 0) -> set[UUID]:
        position = rows[event_type][number].position
        return {o for o in (h.organiser, h.buyer, h.s1, h.s2, h.s3)
                if browser.may_have_receipt(position, o)}

    for event_type in ("Lot.Closed", "Lot.Allocated", "Lot.Cancelled", "Rfq.Closed",
                       "Rfq.Cancelled"):
        assert holders(event_type) == set(), event_type  # they hold everyone's limits and bids
    assert holders("Rfq.Awarded") == holders("Rfq.PurchaseOrderIssued") == {h.organiser}
    assert holders("Rfq.Issued") == holders("Rfq.QuestionAnswered") == {h.organiser}
    assert holders("Rfq.QuestionAsked") == holders("Rfq.QuoteRevised") == {h.s1}
    assert holders("Lot.Opened") == holders("Need.Revised") == {h.organiser}
    assert holders("Lot.NeedPooled", 1) == holders("Organisation.ApiTokenRevoked") == {h.buyer}
    assert holders("Lot.BidPlaced", 1) == {h.s2, h.s3}
    assert holders("Lot.BidRevised", 1) == {h.s2}  # not s3, whom the revision dropped


def test_an_auditor_sees_its_organisations_lots_rfqs_and_own_entries_and_public_profiles(
        history: History, marketplace: Marketplace, migrated_url: str) -> None:
    rows, h = indexed(migrated_url), history
    outsider = register(marketplace, "buyer", name="Outsider", clusters=(), prefecture="Tochigi")
    browser = LedgerBrowser(marketplace)

    def seen_by(organisation_id: UUID) -> set[int]:
        return {e.position for e in browser.page(
            LedgerFilter(), viewer(marketplace, organisation_id), limit=10_000).entries}

    def at(*event_types: str) -> set[int]:
        return {r.position for t in event_types for r in rows[t]}

    outside, buyer, s2 = seen_by(outsider), seen_by(h.buyer), seen_by(h.s2)
    lot = {r.position for found in rows.values() for r in found if r.lot_id == h.lot_id}
    allocated = rows["Lot.Allocated"][0].position
    s3, stranger = viewer(marketplace, h.s3), viewer(marketplace, outsider)

    assert lot <= buyer
    assert not lot & outside
    assert at("Organisation.Registered", "Organisation.ProfileUpdated",
              "Organisation.SupplierProfilePublished") <= outside
    assert not at("Organisation.ApiTokenIssued", "Organisation.ApiTokenRevoked") & outside
    assert not at("Need.Posted", "Rfq.Issued") & outside
    assert [r.position in buyer for r in rows["Rfq.Issued"]] == [False, True]  # its own RFQ
    assert [r.position in s2 for r in rows["Rfq.Issued"]] == [True, False]  # invited to it
    assert browser.entry(allocated, stranger) is None
    assert browser.may_have_receipt(allocated, h.s3, auditor=s3)
    assert not browser.may_have_receipt(allocated, outsider, auditor=stranger)


def test_payment_entries_are_their_partys_alone_and_filed_under_no_lot(
        history: History, migrated_url: str) -> None:
    rows, h = indexed(migrated_url), history

    for event_type in ("LotPayments.Requested", "LotPayments.Recorded",
                       "LotPayments.Notified", "LotPayments.PayoutDue",
                       "PayoutAccount.Connected", "PayoutAccount.StateChanged",
                       "PayoutAccount.Notified"):
        for row in rows[event_type]:
            assert row.lot_id is None, event_type
            assert row.parties <= {h.organiser, h.s1}, event_type
    assert {p for row in rows["LotPayments.Requested"] for p in row.parties} == {
        h.organiser, h.s1}  # the buyer paying, the supplier paid
    assert rows["PayoutAccount.Connected"][0].parties == {h.s1}
    assert rows["PayoutAccount.StateChanged"][0].parties == {h.s1}
    assert rows["PayoutAccount.Notified"][0].parties == {h.s1}
