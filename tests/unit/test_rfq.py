"""The Rfq aggregate: issuing, the sealed round of quotes, amendments and re-confirmation."""

from datetime import timedelta
from uuid import uuid4

import pytest

from marketplace.domain import rfq_rules as rules
from marketplace.domain.bids import PriceRisesWithVolumeError
from marketplace.domain.capabilities import UnknownCapabilityTermError
from marketplace.domain.eligibility import Eligibility, NotABuyerError
from marketplace.domain.rfq import Rfq
from marketplace.domain.rfq_terms import RfqTerms
from marketplace.domain.sealed_round import LeadTimeInvalidError
from tests.unit.lot_builders import BUYER, SUPPLIER, org
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
    some_terms,
)

# -- issuing --------------------------------------------------------------------------------


def test_an_rfq_records_its_terms_and_their_digest() -> None:
    terms = some_terms()

    rfq = an_rfq(terms=terms)

    assert rfq.terms == terms
    assert rfq.terms_digest == terms.digest
    assert terms.digest.startswith("sha256:")
    assert rfq.invited == {p.organisation_id for p in (ALPHA, BETA, GAMMA)}
    assert RfqTerms.from_event_data(terms.as_event_data()).digest == terms.digest


def test_only_a_buyer_issues_an_rfq_with_a_future_deadline_and_an_audience() -> None:
    terms = some_terms()

    with pytest.raises(NotABuyerError):
        Rfq.issue(org(), terms, currency="JPY", closes_at=DEADLINE, invited={},
                  open_to=Eligibility.create(cluster="kiryu textile"), at=AT)
    with pytest.raises(rules.RfqDeadlineInvalidError, match="has passed"):
        Rfq.issue(BUYER_ORG, terms, currency="JPY", closes_at=AT,
                  invited={ALPHA.organisation_id: ALPHA}, open_to=None, at=AT)
    with pytest.raises(rules.RfqAudienceMissingError, match="invite at least one supplier"):
        Rfq.issue(BUYER_ORG, terms, currency="JPY", closes_at=DEADLINE, invited={},
                  open_to=None, at=AT)
    buyer_only = org(BUYER)
    with pytest.raises(rules.InviteeNotSupplierError):
        Rfq.issue(BUYER_ORG, terms, currency="JPY", closes_at=DEADLINE,
                  invited={buyer_only.organisation_id: buyer_only}, open_to=None, at=AT)


def test_the_digest_changes_with_what_is_asked_and_not_with_the_deadline() -> None:
    terms = some_terms()

    more = terms.amended(today=AT.date(), lines=[{"line": 1, "quantity": "1200"}])
    same = terms.amended(today=AT.date())

    assert more.digest != terms.digest
    assert same.digest == terms.digest
    assert more.line(1).quantity == 1200
    assert more.line(2) == terms.line(2)


# -- the sealed round of quotes -------------------------------------------------------------


def test_a_quote_at_the_deadline_instant_is_refused_and_one_just_before_is_taken() -> None:
    rfq = an_rfq()

    quoting(rfq, ALPHA, at=DEADLINE - timedelta(microseconds=1))

    assert names(rfq) == ["QuoteSubmitted"]
    with pytest.raises(rules.RfqClosedError, match="closed at 2026-11-27 09:00 JST"):
        quoting(rfq, BETA, at=DEADLINE)
    assert names(rfq) == []


def test_only_invited_suppliers_quote_unless_the_rfq_is_open_to_their_cluster() -> None:
    invited_only, open_rfq = an_rfq(), an_rfq(open_to=Eligibility.create(cluster="kiryu textile"))
    outsider, member = org(clusters=()), org()

    quoting(open_rfq, member)

    with pytest.raises(rules.NotInvitedError, match="invited suppliers"):
        quoting(invited_only, member)
    with pytest.raises(rules.NotInvitedError, match="kiryu textile"):
        quoting(open_rfq, outsider)
    assert open_rfq.quote_of(member.organisation_id) is not None


def test_a_supplier_quotes_once_and_revises_or_withdraws_that_quote() -> None:
    rfq = an_rfq()
    quote_id = quoting(rfq, ALPHA)

    with pytest.raises(rules.AlreadyQuotingError):
        quoting(rfq, ALPHA)
    rfq.revise_quote(ALPHA.organisation_id, quote_id, [priced(1, 90)], at=AT)
    with pytest.raises(rules.QuoteNotFoundError):
        rfq.withdraw_quote(BETA.organisation_id, quote_id, at=AT)
    rfq.withdraw_quote(ALPHA.organisation_id, quote_id, at=AT)

    assert names(rfq) == ["QuoteSubmitted", "QuoteRevised", "QuoteWithdrawn"]
    assert rfq.quote_of(ALPHA.organisation_id) is None


@pytest.mark.parametrize(("lines", "error", "message"), [
    ([], rules.QuoteEmptyError, "quote at least one line"),
    ([priced(3)], rules.RfqLineUnknownError, "no line 3; its lines are 1, 2"),
    ([priced(1), priced(1)], rules.RfqLineTwiceError, "line 1 is quoted twice"),
    ([{"line": 1, "lead_time_days": 3, "valid_until": "2026-12-31"}],
     rules.QuotePriceMissingError, "either a unit_price or price_breaks"),
    ([priced(1, breaks=[(2000, 90)])], rules.QuoteDoesNotPriceLineError,
     "asks for 1000 pcs but your first price break starts at 2000"),
    ([priced(1, breaks=[(0, 90), (500, 95)])], PriceRisesWithVolumeError, "may not cost more"),
    ([priced(1, valid="2026-11-26")], rules.QuoteExpiresBeforeDeadlineError,
     "valid until 2026-11-26 but the RFQ closes on 2026-11-27"),
    ([priced(1, lead=400)], LeadTimeInvalidError, "from 0 to 365"),
    ([priced(1) | {"discount": 5}], rules.QuoteEmptyError, "no field discount"),
])
def test_a_quote_that_breaks_a_rule_is_refused_saying_which(
        lines: list[dict[str, object]], error: type[Exception], message: str) -> None:
    rfq = an_rfq()

    with pytest.raises(error, match=message):
        rfq.submit_quote(ALPHA, uuid4(), lines, at=AT)

    assert names(rfq) == []


# -- amendments and re-confirmation ---------------------------------------------------------


def test_an_amendment_after_quotes_leaves_them_unopened_until_each_quoter_reconfirms() -> None:
    rfq = an_rfq()
    kept, left = quoting(rfq, ALPHA), quoting(rfq, BETA)
    before = rfq.terms_digest

    amended = rfq.amend(BUYER_ORG.organisation_id, rfq.terms.amended(
        today=AT.date(), lines=[{"line": 2, "quantity": "250"}]), closes_at=None, at=AT)
    rfq.reconfirm_quote(ALPHA.organisation_id, kept, at=AT)
    rfq.record_close(at=DEADLINE)

    assert amended
    assert rfq.terms_digest != before
    assert rfq.quotes[kept].terms_digest == rfq.terms_digest
    assert rfq.quotes[left].terms_digest == before
    assert rfq.opened == {kept}
    assert names(rfq) == ["QuoteSubmitted", "QuoteSubmitted", "Amended", "QuoteReconfirmed",
                          "Closed"]


def test_reconfirming_a_quote_already_on_the_current_terms_is_refused() -> None:
    rfq = an_rfq()
    quote_id = quoting(rfq, ALPHA)

    with pytest.raises(rules.QuoteUpToDateError):
        rfq.reconfirm_quote(ALPHA.organisation_id, quote_id, at=AT)


def test_a_quote_whose_price_breaks_no_longer_reach_the_amended_quantity_must_be_revised() -> None:
    rfq = an_rfq()
    quote_id = quoting(rfq, ALPHA, priced(1, breaks=[(800, 90)]))
    rfq.amend(BUYER_ORG.organisation_id, rfq.terms.amended(
        today=AT.date(), lines=[{"line": 1, "quantity": "500"}]), closes_at=None, at=AT)

    with pytest.raises(rules.QuoteDoesNotPriceLineError, match="asks for 500 pcs"):
        rfq.reconfirm_quote(ALPHA.organisation_id, quote_id, at=AT)
    rfq.revise_quote(ALPHA.organisation_id, quote_id, [priced(1, breaks=[(0, 95)])], at=AT)

    assert rfq.quotes[quote_id].terms_digest == rfq.terms_digest


def test_moving_the_deadline_alone_keeps_every_quote_on_the_current_terms() -> None:
    rfq = an_rfq()
    quote_id = quoting(rfq, ALPHA)

    rfq.amend(BUYER_ORG.organisation_id, rfq.terms, closes_at=DEADLINE + timedelta(days=1),
              at=AT)
    unchanged = rfq.amend(BUYER_ORG.organisation_id, rfq.terms, closes_at=None, at=AT)

    assert rfq.closes_at == DEADLINE + timedelta(days=1)
    assert not unchanged
    assert rfq.quotes[quote_id].terms_digest == rfq.terms_digest


def test_only_the_buyer_amends_and_only_before_the_deadline() -> None:
    rfq = an_rfq()

    with pytest.raises(rules.NotRfqBuyerError):
        rfq.amend(ALPHA.organisation_id, rfq.terms, closes_at=None, at=AT)
    with pytest.raises(rules.RfqClosedError):
        rfq.amend(BUYER_ORG.organisation_id, rfq.terms.amended(today=AT.date(), notes="x"),
                  closes_at=None, at=DEADLINE)


# -- questions and cancellation -------------------------------------------------------------


def test_an_invited_supplier_asks_and_the_buyer_answers_once() -> None:
    rfq, question_id = an_rfq(), uuid4()

    rfq.ask(ALPHA, question_id, "板厚の公差は？", at=AT)
    rfq.answer(BUYER_ORG.organisation_id, question_id, "±0.05 mm です", at=AT)

    assert names(rfq) == ["QuestionAsked", "QuestionAnswered"]
    with pytest.raises(rules.QuestionAlreadyAnsweredError):
        rfq.answer(BUYER_ORG.organisation_id, question_id, "again", at=AT)
    with pytest.raises(rules.QuestionNotFoundError):
        rfq.answer(BUYER_ORG.organisation_id, uuid4(), "what question?", at=AT)
    with pytest.raises(rules.NotInvitedError):
        rfq.ask(org(), uuid4(), "may I?", at=AT)
    with pytest.raises(rules.QuestionInvalidError):
        rfq.ask(BETA, uuid4(), "   ", at=AT)


def test_a_cancelled_rfq_says_why_and_takes_nothing_more() -> None:
    rfq = an_rfq()

    with pytest.raises(rules.RfqCancelReasonMissingError):
        rfq.cancel(BUYER_ORG.organisation_id, " ", at=AT)
    rfq.cancel(BUYER_ORG.organisation_id, "design changed", at=AT)

    with pytest.raises(rules.RfqCancelledError, match="design changed"):
        quoting(rfq, ALPHA)
    assert rfq.record_close(at=DEADLINE) is False
    assert names(rfq) == ["Cancelled"]


def test_required_certifications_are_vocabulary_codes_and_unknown_ones_are_refused() -> None:
    terms = some_terms(required_certifications=["ISO 13485", "iso_9001", "ＩＳＯ９００１"])

    assert terms.required_certifications == ("iso_13485", "iso_9001")
    with pytest.raises(UnknownCapabilityTermError, match="'ISO 99999' is not a certification"):
        some_terms(required_certifications=["ISO 99999"])


def test_a_buyer_that_also_supplies_does_not_quote_its_own_open_rfq() -> None:
    both = org(BUYER | SUPPLIER)
    rfq = Rfq.issue(both, some_terms(), currency="JPY", closes_at=DEADLINE, invited={},
                    open_to=Eligibility.create(cluster="kiryu textile"), at=AT)

    with pytest.raises(rules.NotInvitedError):
        rfq.submit_quote(both, uuid4(), [priced(1)], at=AT)
