"""Awarding an RFQ: whole or split by line, priced by the quotes' breaks, with orders."""

from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from marketplace.domain import rfq_rules as rules
from marketplace.domain.rfq import Rfq
from tests.unit.rfq_builders import (
    ALPHA,
    AT,
    BETA,
    BUYER_ORG,
    DEADLINE,
    GAMMA,
    an_rfq,
    names,
    priced,
    quoting,
)

AFTER = DEADLINE + timedelta(hours=1)
BUYER_ID = BUYER_ORG.organisation_id


def closed_with_three_quotes() -> tuple[Rfq, dict[str, UUID]]:
    rfq = an_rfq()
    quotes = {
        # line 1 is 1000 pcs: alpha's break from 1000 applies (88 yen), beta's flat 90.
        "alpha": quoting(rfq, ALPHA, priced(1, breaks=[(0, 95), (1000, 88)]), priced(2, 410)),
        "beta": quoting(rfq, BETA, priced(1, 90), priced(2, 385.5)),
        "gamma": quoting(rfq, GAMMA, priced(2, 400)),
    }
    rfq.record_close(at=DEADLINE)
    rfq.collect_events()
    return rfq, quotes


def test_a_whole_award_prices_every_line_at_the_break_its_quantity_reaches() -> None:
    rfq, quotes = closed_with_three_quotes()

    award = rfq.award_lines(BUYER_ID, {1: quotes["alpha"], 2: quotes["alpha"]},
                            "lowest total with one supplier", at=AFTER)

    assert [(a.line, a.unit_price, a.amount) for a in award.lines] == [
        (1, Decimal(88), Decimal(88000)), (2, Decimal(410), Decimal(82000))]
    assert award.informed == tuple(sorted((BETA.organisation_id, GAMMA.organisation_id), key=str))
    assert names(rfq) == ["Awarded", "PurchaseOrderIssued"]


def test_a_split_award_issues_one_purchase_order_per_supplier_with_its_lines() -> None:
    rfq, quotes = closed_with_three_quotes()

    rfq.award_lines(BUYER_ID, {1: quotes["alpha"], 2: quotes["beta"]},
                    "best price per line", at=AFTER)
    events = rfq.collect_events()
    orders = [e for e in events if isinstance(e, Rfq.PurchaseOrderIssued)]

    assert [(o.supplier_id, o.total) for o in orders] == [
        (ALPHA.organisation_id, Decimal(88000)), (BETA.organisation_id, Decimal(77100))]
    assert orders[0].number.startswith("PO-20261127-")
    assert len({o.number for o in orders}) == 2
    assert rfq.award is not None
    assert rfq.award.informed == (GAMMA.organisation_id,)


def test_half_a_yen_rounds_up_on_an_awarded_line() -> None:
    rfq = an_rfq()
    quote_id = quoting(rfq, ALPHA, priced(2, "12.35"))  # 200 m x 12.35 = 2470
    rfq.amend(BUYER_ID, rfq.terms.amended(today=AT.date(), lines=[{"line": 2, "quantity": "0.5"}]),
              closes_at=None, at=AT)
    rfq.revise_quote(ALPHA.organisation_id, quote_id, [priced(2, "12.35")], at=AT)
    rfq.record_close(at=DEADLINE)

    award = rfq.award_lines(BUYER_ID, {2: quote_id}, "only quote", at=AFTER)

    assert award.lines[0].amount == Decimal(6)  # 6.175 yen -> 6


def test_an_award_before_the_quotes_open_or_a_second_award_is_refused() -> None:
    rfq = an_rfq()
    quote_id = quoting(rfq, ALPHA)

    with pytest.raises(rules.RfqNotClosedError, match="quotes open at the deadline"):
        rfq.award_lines(BUYER_ID, {1: quote_id}, "early", at=AT)
    rfq.record_close(at=DEADLINE)
    rfq.award_lines(BUYER_ID, {1: quote_id}, "only quote", at=AFTER)

    with pytest.raises(rules.RfqAlreadyAwardedError):
        rfq.award_lines(BUYER_ID, {2: quote_id}, "again", at=AFTER)


@pytest.mark.parametrize(("choose", "reason", "error", "message"), [
    ({}, "x", rules.AwardEmptyError, "at least one line"),
    ({1: "gamma"}, "x", rules.QuoteMissingLineError, "does not price line 1"),
    ({3: "alpha"}, "x", rules.RfqLineUnknownError, "no line 3"),
    ({1: "nobody"}, "x", rules.QuoteNotOpenedError, "did not open at the deadline"),
    ({1: "alpha"}, "  ", rules.AwardReasonMissingError, "why these quotes were chosen"),
])
def test_an_award_that_breaks_a_rule_is_refused_and_records_nothing(
        choose: dict[int, str], reason: str, error: type[Exception], message: str) -> None:
    rfq, quotes = closed_with_three_quotes()
    choices = {line: quotes.get(who, uuid4()) for line, who in choose.items()}

    with pytest.raises(error, match=message):
        rfq.award_lines(BUYER_ID, choices, reason, at=AFTER)

    assert names(rfq) == []
    assert rfq.award is None


def test_a_quote_on_superseded_terms_is_not_awarded_and_its_supplier_is_told() -> None:
    rfq = an_rfq()
    stale, fresh = quoting(rfq, ALPHA), quoting(rfq, BETA)
    rfq.amend(BUYER_ID, rfq.terms.amended(today=AT.date(), notes="drawing rev. B"),
              closes_at=None, at=AT)
    rfq.reconfirm_quote(BETA.organisation_id, fresh, at=AT)
    rfq.record_close(at=DEADLINE)

    with pytest.raises(rules.QuoteNotOpenedError):
        rfq.award_lines(BUYER_ID, {1: stale}, "cheapest", at=AFTER)
    award = rfq.award_lines(BUYER_ID, {1: fresh, 2: fresh}, "only valid quote", at=AFTER)

    assert award.informed == (ALPHA.organisation_id,)


def test_an_expired_quote_is_not_awarded() -> None:
    rfq = an_rfq()
    quote_id = quoting(rfq, ALPHA, priced(1, valid="2026-11-28"))
    rfq.record_close(at=DEADLINE)

    with pytest.raises(rules.QuoteExpiredError, match="valid for line 1 until 2026-11-28"):
        rfq.award_lines(BUYER_ID, {1: quote_id}, "late", at=DEADLINE + timedelta(days=2))


def test_only_the_buyer_awards() -> None:
    rfq, quotes = closed_with_three_quotes()

    with pytest.raises(rules.NotRfqBuyerError):
        rfq.award_lines(ALPHA.organisation_id, {1: quotes["alpha"]}, "mine", at=AFTER)
