"""RFQ commands on the real databases: needs held by the RFQ, the deadline, the award."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain import rfq_rules as rules
from marketplace.domain.need import NeedInRfqError
from marketplace.domain.sealed_round import SETTLE
from tests.helpers import ledger_length
from tests.lots_builders import CLUSTER, a_cluster, open_lot, post_need

DAYS = timedelta(days=7)


def line(n: int, price: Any, **extra: Any) -> dict[str, Any]:
    return {"line": n, "unit_price": price, "lead_time_days": 10,
            "valid_until": "2026-12-31", **extra}


def an_rfq(m: Marketplace, buyer: UUID, suppliers: list[UUID], *needs: UUID,
           **extra: Any) -> UUID:
    return m.issue_rfq(buyer, need_ids=list(needs), title="SPCC brackets",
                       closes_at=m.clock() + DAYS, invited=suppliers, **extra)


def test_a_need_in_an_rfq_is_pooled_and_revised_nowhere_else_until_the_rfq_frees_it(
        marketplace: Marketplace) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer = firms.buyers[0]
    need = post_need(m, buyer)
    rfq_id = an_rfq(m, buyer, firms.suppliers, need)
    lot_id = open_lot(m, buyer)

    with pytest.raises(NeedInRfqError, match=str(rfq_id)):
        m.pool_need(buyer, lot_id, need)
    with pytest.raises(NeedInRfqError):
        m.revise_need(buyer, need, quantity=900)
    with pytest.raises(NeedInRfqError):
        an_rfq(m, buyer, firms.suppliers, need)
    m.cancel_rfq(buyer, rfq_id, "ordering from stock instead")
    m.pool_need(buyer, lot_id, need)

    assert m.lots.need(buyer, need).lot_id == lot_id  # type: ignore[union-attr]


def test_an_rfq_is_issued_only_on_the_buyers_own_needs_and_to_real_suppliers(
        marketplace: Marketplace, migrated_url: str) -> None:
    m = marketplace
    firms = a_cluster(m)
    mine, theirs = post_need(m, firms.buyers[0]), post_need(m, firms.buyers[1])
    before = ledger_length(migrated_url)

    with pytest.raises(Exception, match="no need of yours"):
        an_rfq(m, firms.buyers[0], firms.suppliers, mine, theirs)
    with pytest.raises(rules.InviteeNotSupplierError):
        an_rfq(m, firms.buyers[0], [firms.buyers[1]], mine)
    with pytest.raises(rules.RfqLineTwiceError):
        an_rfq(m, firms.buyers[0], firms.suppliers, mine, mine)

    assert ledger_length(migrated_url) == before


def test_quotes_open_at_the_deadline_once_received_quotes_have_settled(
        marketplace: Marketplace, clock: SettableClock) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer, (alpha, beta, _) = firms.buyers[0], firms.suppliers
    rfq_id = an_rfq(m, buyer, firms.suppliers, post_need(m, buyer))
    on_time = m.submit_quote(alpha, rfq_id, [line(1, 180)])
    stale = m.submit_quote(beta, rfq_id, [line(1, 170)])
    m.amend_rfq(buyer, rfq_id, notes="tolerance ±0.05 mm")
    m.reconfirm_quote(alpha, rfq_id, on_time)
    clock.advance(DAYS)

    not_yet = m.open_due_rfqs(SETTLE)
    clock.advance(SETTLE)
    opened = m.open_due_rfqs(SETTLE)
    again = m.open_due_rfqs(SETTLE)

    assert (not_yet, opened, again) == ([], [rfq_id], [])
    rfq = m._rfq(rfq_id)
    assert rfq.opened == {on_time}
    assert stale in rfq.quotes


def test_a_split_award_frees_the_needs_of_lines_left_out_and_orders_from_each_supplier(
        marketplace: Marketplace, clock: SettableClock) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer, (alpha, beta, gamma) = firms.buyers[0], firms.suppliers
    needs = [post_need(m, buyer, q) for q in (800, 300, 50)]
    rfq_id = an_rfq(m, buyer, firms.suppliers, *needs)
    a = m.submit_quote(alpha, rfq_id, [line(1, 180), line(2, 200)])
    b = m.submit_quote(beta, rfq_id, [line(1, 185), line(2, "190.5")])
    m.submit_quote(gamma, rfq_id, [line(3, 250)])
    clock.advance(DAYS + SETTLE)

    award = m.award_rfq(buyer, rfq_id, lines={1: a, 2: b}, reason="best price per line")

    assert [(x.supplier_id, x.amount) for x in award.lines] == [
        (alpha, Decimal(144000)), (beta, Decimal(57150))]
    assert award.informed == (gamma,)
    freed = m.lots.need(buyer, needs[2])
    assert freed is not None
    assert freed.status == "open"
    lot_id = open_lot(m, buyer)
    m.pool_need(buyer, lot_id, needs[2])  # free again
    with pytest.raises(NeedInRfqError):
        m.pool_need(buyer, lot_id, needs[0])  # awarded: it stays with the RFQ


def test_an_award_waits_until_quotes_received_before_the_deadline_have_settled(
        marketplace: Marketplace, clock: SettableClock, migrated_url: str) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer, alpha = firms.buyers[0], firms.suppliers[0]
    rfq_id = an_rfq(m, buyer, firms.suppliers, post_need(m, buyer))
    quote = m.submit_quote(alpha, rfq_id, [line(1, 180)])
    clock.advance(DAYS)
    before = ledger_length(migrated_url)

    with pytest.raises(rules.RfqNotClosedError, match="still being recorded"):
        m.award_rfq(buyer, rfq_id, whole=quote, reason="only quote")
    assert ledger_length(migrated_url) == before
    clock.advance(SETTLE)
    m.award_rfq(buyer, rfq_id, whole=quote, reason="only quote")

    assert ledger_length(migrated_url) == before + 3  # Closed, Awarded, PurchaseOrderIssued


def test_an_rfq_open_to_a_cluster_takes_quotes_from_its_members_only(
        marketplace: Marketplace) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer = firms.buyers[0]
    rfq_id = an_rfq(m, buyer, [], post_need(m, buyer), cluster=CLUSTER)

    m.submit_quote(firms.suppliers[0], rfq_id, [line(1, 180)])

    with pytest.raises(rules.NotInvitedError):
        m.submit_quote(firms.outsider, rfq_id, [line(1, 150)])


def test_a_rivals_quote_changes_nothing_the_buyer_or_another_supplier_can_read(
        marketplace: Marketplace) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer, (alpha, beta, _) = firms.buyers[0], firms.suppliers
    rfq_id = an_rfq(m, buyer, firms.suppliers, post_need(m, buyer))
    now = m.clock()

    def seen() -> list[object]:
        return [m.rfqs.detail(who, rfq_id, now=now) for who in (buyer, beta)] + [
            m.rfqs.for_organisation(who, now=now) for who in (buyer, beta)] + [
            m.rfqs.quotes(buyer, rfq_id, now=now)]

    before = seen()
    quote = m.submit_quote(alpha, rfq_id, [line(1, 180)])
    m.revise_quote(alpha, rfq_id, quote, [line(1, 175)])

    assert seen() == before


def test_a_buyer_cancels_an_rfq_that_closed_without_an_award_and_its_needs_are_free(
        marketplace: Marketplace, clock: SettableClock) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer = firms.buyers[0]
    need = post_need(m, buyer)
    rfq_id = an_rfq(m, buyer, firms.suppliers, need)
    clock.advance(DAYS + SETTLE)
    m.open_due_rfqs()

    m.cancel_rfq(buyer, rfq_id, "no quote came in")

    assert m.revise_need(buyer, need, quantity=900)
    with pytest.raises(rules.RfqCancelledError):
        m.cancel_rfq(buyer, rfq_id, "twice")


def test_an_awarded_rfq_is_not_cancelled(marketplace: Marketplace, clock: SettableClock) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer = firms.buyers[0]
    rfq_id = an_rfq(m, buyer, firms.suppliers, post_need(m, buyer))
    quote = m.submit_quote(firms.suppliers[0], rfq_id, [line(1, 180)])
    clock.advance(DAYS + SETTLE)
    m.award_rfq(buyer, rfq_id, whole=quote, reason="only quote")

    with pytest.raises(rules.RfqAlreadyAwardedError):
        m.cancel_rfq(buyer, rfq_id, "changed my mind")


def test_a_later_deadline_that_outlives_a_quote_asks_its_supplier_to_renew_it(
        marketplace: Marketplace, clock: SettableClock) -> None:
    m = marketplace
    firms = a_cluster(m)
    buyer, (alpha, beta, _) = firms.buyers[0], firms.suppliers
    rfq_id = an_rfq(m, buyer, firms.suppliers, post_need(m, buyer))
    short = m.submit_quote(alpha, rfq_id, [line(1, 170, valid_until="2026-11-28")])
    long = m.submit_quote(beta, rfq_id, [line(1, 180)])

    m.amend_rfq(buyer, rfq_id, closes_at=m.clock() + DAYS + timedelta(days=7))
    statuses = {who: m.rfqs.detail(who, rfq_id, now=m.clock()).my_status  # type: ignore[union-attr]
                for who in (alpha, beta)}
    with pytest.raises(rules.QuoteExpiresBeforeDeadlineError, match="keep it valid"):
        m.reconfirm_quote(alpha, rfq_id, short)
    clock.advance(DAYS + timedelta(days=7) + SETTLE)
    m.open_due_rfqs()

    assert statuses == {alpha: "awaiting_reconfirmation", beta: "quoted"}
    assert m._rfq(rfq_id).opened == {long}
