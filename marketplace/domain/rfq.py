"""RFQs: one buyer's request for quotation on some of its needs, answered by sealed quotes.

An RFQ is the one-buyer case of a lot's round: the same deadline rules (``SealedRound``),
the same eligibility for an RFQ open to a cluster, the same all-units price breaks and the
same lead-time and validity rules as a bid. What it adds is a buyer's own award, whole or
split by line, and a purchase order per awarded supplier.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from marketplace.domain import rfq_rules as rules
from marketplace.domain import sealed_round
from marketplace.domain.copying import ReplacedNotMutated
from marketplace.domain.eligibility import Eligibility, Participant
from marketplace.domain.items import Currency
from marketplace.domain.organisation import Role
from marketplace.domain.rfq_award import Award, decide_award
from marketplace.domain.rfq_terms import Quote, QuoteLine, RfqTerms, quote_lines

MAX_QUESTION_LENGTH = 2000
LAPSED = "lapsed"
"""The terms digest of a quote the deadline outlived: no terms match it until it is renewed."""


class Rfq(sealed_round.SealedRound, ReplacedNotMutated, Aggregate):
    """A buyer's request for quotation: lines, a deadline, invited suppliers (or a cluster).

    Quotes are sealed until the deadline; amending the terms after quotes exist asks each
    quoter to re-confirm; at the deadline the quotes on the current terms open; the buyer
    awards lines to quotes and a purchase order goes to each awarded supplier.
    """

    round_noun = "RFQ"
    ClosedError = rules.RfqClosedError
    CancelledError = rules.RfqCancelledError

    class Issued(Aggregate.Created):
        buyer_id: UUID
        terms: dict[str, Any]
        terms_digest: str
        currency: str
        closes_at: datetime
        invited: list[UUID]
        open_to: dict[str, Any] | None
        """The eligibility of an RFQ open to a cluster or prefectures; None: invited only."""

    class SuppliersInvited(Aggregate.Event):
        supplier_ids: list[UUID]

    class Amended(Aggregate.Event):
        terms: dict[str, Any]
        terms_digest: str
        closes_at: datetime
        lapsed_quotes: list[UUID]
        """Quotes on the current terms that a later deadline outlives: they must be renewed."""

    class Cancelled(Aggregate.Event):
        reason: str

    class QuestionAsked(Aggregate.Event):
        question_id: UUID
        supplier_id: UUID
        text: str

    class QuestionAnswered(Aggregate.Event):
        question_id: UUID
        answer: str

    class QuoteSubmitted(Aggregate.Event):
        quote_id: UUID
        supplier_id: UUID
        lines: list[dict[str, Any]]
        terms_digest: str

    class QuoteRevised(Aggregate.Event):
        quote_id: UUID
        lines: list[dict[str, Any]]
        terms_digest: str

    class QuoteReconfirmed(Aggregate.Event):
        quote_id: UUID
        terms_digest: str

    class QuoteWithdrawn(Aggregate.Event):
        quote_id: UUID

    class Closed(Aggregate.Event):
        opened_quotes: list[UUID]
        """Quotes on the current terms at the deadline; the others await re-confirmation."""

    class Awarded(Aggregate.Event):
        awards: list[dict[str, Any]]
        """Per awarded line: line, quote_id, supplier_id, quantity, unit_price, amount."""
        reason: str
        informed: list[UUID]
        """Quoters told they were not awarded."""

    class PurchaseOrderIssued(Aggregate.Event):
        number: str
        supplier_id: UUID
        lines: list[dict[str, Any]]
        total: Any

    @classmethod
    def issue(cls, buyer: Participant, terms: RfqTerms, *, currency: Any, closes_at: datetime,
              invited: dict[UUID, Participant], open_to: Eligibility | None,
              at: datetime) -> Rfq:
        buyer.require(Role.BUYER, "issue RFQs")
        sealed_round.require_future_deadline(closes_at, at, what="deadline",
                                             error=rules.RfqDeadlineInvalidError)
        if not invited and open_to is None:
            raise rules.RfqAudienceMissingError(
                "invite at least one supplier (from your matches) or open the RFQ to a cluster")
        _require_suppliers(invited, buyer.organisation_id)
        return cls._create(
            cls.Issued, timestamp=at, buyer_id=buyer.organisation_id,
            terms=terms.as_event_data(), terms_digest=terms.digest,
            currency=Currency.parse(currency).value, closes_at=closes_at,
            invited=sorted(invited, key=str),
            open_to=None if open_to is None else open_to.as_event_data())

    def __init__(self, buyer_id: UUID, terms: dict[str, Any], terms_digest: str, currency: str,
                 closes_at: datetime, invited: list[UUID],
                 open_to: dict[str, Any] | None) -> None:
        self.buyer_id = buyer_id
        self.terms = RfqTerms.from_event_data(terms)
        self.terms_digest = terms_digest
        self.currency = Currency(currency)
        self.closes_at = closes_at
        self.invited: frozenset[UUID] = frozenset(invited)
        self.open_to = None if open_to is None else Eligibility.from_event_data(open_to)
        self.cancel_reason: str | None = None
        self.closed = False
        self.opened: frozenset[UUID] = frozenset()
        self.award: Award | None = None
        self.questions: dict[UUID, bool] = {}
        """Question id -> answered."""
        self.quotes: dict[UUID, Quote] = {}

    # -- the buyer ------------------------------------------------------------------------

    def invite(self, buyer_id: UUID, suppliers: dict[UUID, Participant], *,
               at: datetime) -> list[UUID]:
        """Invites more suppliers before the deadline; the ones newly invited."""
        self._require_buyer(buyer_id)
        self._require_open(at)
        _require_suppliers(suppliers, buyer_id)
        new = sorted(set(suppliers) - self.invited, key=str)
        if new:
            self.trigger_event(self.SuppliersInvited, timestamp=at, supplier_ids=new)
        return new

    @event(SuppliersInvited)
    def _invited(self, supplier_ids: list[UUID]) -> None:
        self.invited = self.invited | set(supplier_ids)

    def amend(self, buyer_id: UUID, terms: RfqTerms, *, closes_at: datetime | None,
              at: datetime) -> bool:
        """Replaces the terms and/or moves the deadline; False if nothing changes.

        Quotes made on other terms no longer open at the deadline unless re-confirmed."""
        self._require_buyer(buyer_id)
        self._require_open(at)
        deadline = self.closes_at if closes_at is None else closes_at
        if closes_at is not None:
            sealed_round.require_future_deadline(deadline, at, what="deadline",
                                                 error=rules.RfqDeadlineInvalidError)
        if (terms.digest, deadline) == (self.terms_digest, self.closes_at):
            return False
        closing_day = deadline.astimezone(sealed_round.JST).date()
        lapsed = sorted((q.quote_id for q in self.quotes.values()
                         if q.terms_digest == self.terms_digest
                         and min(line.valid_until for line in q.lines) < closing_day), key=str)
        self.trigger_event(self.Amended, timestamp=at, terms=terms.as_event_data(),
                           terms_digest=terms.digest, closes_at=deadline, lapsed_quotes=lapsed)
        return True

    @event(Amended)
    def _amended(self, terms: dict[str, Any], terms_digest: str, closes_at: datetime,
                 lapsed_quotes: list[UUID]) -> None:
        self.terms = RfqTerms.from_event_data(terms)
        self.terms_digest = terms_digest
        self.closes_at = closes_at
        self.quotes = {**self.quotes, **{quote_id: replace(
            self.quotes[quote_id], terms_digest=LAPSED) for quote_id in lapsed_quotes}}

    def cancel(self, buyer_id: UUID, reason: Any, *, at: datetime) -> None:
        """Before the deadline, or after it while nothing is awarded (no quote would do)."""
        self._require_buyer(buyer_id)
        if self.cancel_reason is not None:
            self._require_open(at)  # says it was cancelled, and why
        if self.award is not None:
            raise rules.RfqAlreadyAwardedError(
                "this RFQ is awarded; its purchase orders stand and it can no longer be "
                "cancelled")
        self.trigger_event(self.Cancelled, timestamp=at, reason=sealed_round.reason(
            reason, why="the RFQ is cancelled", error=rules.RfqCancelReasonMissingError))

    @event(Cancelled)
    def _cancelled(self, reason: str) -> None:
        self.cancel_reason = reason

    def answer(self, buyer_id: UUID, question_id: UUID, answer: Any, *, at: datetime) -> None:
        """Answers a question; every invited supplier sees both (not who asked)."""
        self._require_buyer(buyer_id)
        self._require_open(at)
        if question_id not in self.questions:
            raise rules.QuestionNotFoundError(f"this RFQ has no question {question_id}")
        if self.questions[question_id]:
            raise rules.QuestionAlreadyAnsweredError("this question is already answered")
        self.trigger_event(self.QuestionAnswered, timestamp=at, question_id=question_id,
                           answer=_question_text(answer, "answer"))

    @event(QuestionAnswered)
    def _answered(self, question_id: UUID, answer: str) -> None:
        self.questions = {**self.questions, question_id: True}

    def record_close(self, *, at: datetime) -> bool:
        """Opens the quotes on the current terms once the deadline has passed; False if done."""
        if self.cancel_reason is not None or self.closed:
            return False
        if at < self.closes_at:
            raise rules.RfqNotClosedError(
                f"quotes open at the deadline, {sealed_round.jst(self.closes_at)}; wait until then")
        self.trigger_event(self.Closed, timestamp=at, opened_quotes=sorted(
            (q.quote_id for q in self.quotes.values() if q.terms_digest == self.terms_digest),
            key=str))
        return True

    @event(Closed)
    def _closed(self, opened_quotes: list[UUID]) -> None:
        self.closed = True
        self.opened = frozenset(opened_quotes)

    def award_lines(self, buyer_id: UUID, choices: dict[int, UUID], reason: Any, *,
                    at: datetime) -> Award:
        """Awards lines to opened quotes (whole: every line to one; or split by line)."""
        self._require_buyer(buyer_id)
        if self.cancel_reason is not None:
            raise rules.RfqCancelledError(f"this RFQ was cancelled ({self.cancel_reason})")
        if not self.closed:
            raise rules.RfqNotClosedError(
                f"quotes open at the deadline, {sealed_round.jst(self.closes_at)}; award after it")
        if self.award is not None:
            raise rules.RfqAlreadyAwardedError("this RFQ is already awarded")
        award = decide_award(self.terms, {q: self.quotes[q] for q in self.opened}, choices,
                             reason, quoters=frozenset(q.supplier_id for q in self.quotes.values()),
                             at=at)
        self.trigger_event(self.Awarded, timestamp=at, **award.as_event_data())
        for order in award.purchase_orders(self.id, at):
            self.trigger_event(self.PurchaseOrderIssued, timestamp=at, **order)
        return award

    @event(Awarded)
    def _awarded(self, awards: list[dict[str, Any]], reason: str, informed: list[UUID]) -> None:
        self.award = Award.from_event_data(awards, reason, informed)

    @event(PurchaseOrderIssued)
    def _purchase_order_issued(self, number: str, supplier_id: UUID,
                               lines: list[dict[str, Any]], total: Any) -> None:
        pass  # the order is a record for the parties; the award already decided it

    # -- suppliers ------------------------------------------------------------------------

    def ask(self, supplier: Participant, question_id: UUID, text: Any, *,
            at: datetime) -> None:
        self._require_open(at)
        self._require_audience(supplier, "ask about RFQs")
        self.trigger_event(self.QuestionAsked, timestamp=at, question_id=question_id,
                           supplier_id=supplier.organisation_id,
                           text=_question_text(text, "question"))

    @event(QuestionAsked)
    def _asked(self, question_id: UUID, supplier_id: UUID, text: str) -> None:
        self.questions = {**self.questions, question_id: False}

    def submit_quote(self, supplier: Participant, quote_id: UUID, lines: Any, *,
                     at: datetime) -> None:
        self._require_open(at)
        self._require_audience(supplier, "quote RFQs")
        if self.quote_of(supplier.organisation_id) is not None:
            raise rules.AlreadyQuotingError(
                "you have already quoted this RFQ; revise or withdraw that quote instead")
        parsed = quote_lines(lines, self.terms, self.closes_at)
        self.trigger_event(self.QuoteSubmitted, timestamp=at, quote_id=quote_id,
                           supplier_id=supplier.organisation_id,
                           lines=[line.as_event_data() for line in parsed],
                           terms_digest=self.terms_digest)

    @event(QuoteSubmitted)
    def _quote_submitted(self, quote_id: UUID, supplier_id: UUID, lines: list[dict[str, Any]],
                         terms_digest: str) -> None:
        self.quotes = {**self.quotes, quote_id: Quote(
            quote_id, supplier_id, tuple(QuoteLine.from_event_data(line) for line in lines),
            terms_digest)}

    def revise_quote(self, supplier_id: UUID, quote_id: UUID, lines: Any, *,
                     at: datetime) -> None:
        """Replaces a quote's lines; made on the current terms, it needs no re-confirmation."""
        self._require_open(at)
        self._own_quote(supplier_id, quote_id)
        parsed = quote_lines(lines, self.terms, self.closes_at)
        self.trigger_event(self.QuoteRevised, timestamp=at, quote_id=quote_id,
                           lines=[line.as_event_data() for line in parsed],
                           terms_digest=self.terms_digest)

    @event(QuoteRevised)
    def _quote_revised(self, quote_id: UUID, lines: list[dict[str, Any]],
                       terms_digest: str) -> None:
        self.quotes = {**self.quotes, quote_id: replace(
            self.quotes[quote_id], terms_digest=terms_digest,
            lines=tuple(QuoteLine.from_event_data(line) for line in lines))}

    def reconfirm_quote(self, supplier_id: UUID, quote_id: UUID, *, at: datetime) -> None:
        """Stands by a quote's prices on the amended terms."""
        self._require_open(at)
        quote = self._own_quote(supplier_id, quote_id)
        if quote.terms_digest == self.terms_digest:
            raise rules.QuoteUpToDateError("your quote is on the current terms already")
        # Re-validated: an amended quantity may fall below a price break, a later deadline
        # past the quote's validity.
        quote_lines([line.as_event_data() for line in quote.lines], self.terms, self.closes_at)
        self.trigger_event(self.QuoteReconfirmed, timestamp=at, quote_id=quote_id,
                           terms_digest=self.terms_digest)

    @event(QuoteReconfirmed)
    def _quote_reconfirmed(self, quote_id: UUID, terms_digest: str) -> None:
        self.quotes = {**self.quotes, quote_id: replace(self.quotes[quote_id],
                                                        terms_digest=terms_digest)}

    def withdraw_quote(self, supplier_id: UUID, quote_id: UUID, *, at: datetime) -> None:
        self._require_open(at)
        self._own_quote(supplier_id, quote_id)
        self.trigger_event(self.QuoteWithdrawn, timestamp=at, quote_id=quote_id)

    @event(QuoteWithdrawn)
    def _quote_withdrawn(self, quote_id: UUID) -> None:
        self.quotes = {k: v for k, v in self.quotes.items() if k != quote_id}

    def quote_of(self, supplier_id: UUID) -> Quote | None:
        return next((q for q in self.quotes.values() if q.supplier_id == supplier_id), None)

    def admits(self, supplier: Participant) -> bool:
        """Invited, or eligible for an RFQ open to a cluster or prefectures; never its buyer."""
        if supplier.organisation_id == self.buyer_id:
            return False
        return supplier.organisation_id in self.invited or (
            self.open_to is not None and Role.SUPPLIER in supplier.roles
            and self.open_to.admits(supplier))

    def _own_quote(self, supplier_id: UUID, quote_id: UUID) -> Quote:
        quote = self.quotes.get(quote_id)
        if quote is None or quote.supplier_id != supplier_id:
            raise rules.QuoteNotFoundError(f"you have no quote {quote_id} on this RFQ")
        return quote

    def _require_audience(self, supplier: Participant, action: str) -> None:
        supplier.require(Role.SUPPLIER, action)
        if not self.admits(supplier):
            raise rules.NotInvitedError(
                "this RFQ is for invited suppliers"
                + ("" if self.open_to is None else f" and {self.open_to.describe()}")
                + "; your organisation is not among them")

    def _require_buyer(self, buyer_id: UUID) -> None:
        if buyer_id != self.buyer_id:
            raise rules.NotRfqBuyerError("only the buyer that issued this RFQ may do this")


def _require_suppliers(invited: dict[UUID, Participant], buyer_id: UUID) -> None:
    for organisation_id, participant in invited.items():
        if Role.SUPPLIER not in participant.roles or organisation_id == buyer_id:
            raise rules.InviteeNotSupplierError(
                f"organisation {organisation_id} is not a supplier you can invite")


def _question_text(raw: Any, what: str) -> str:
    text = str(raw or "").strip()
    if not text or len(text) > MAX_QUESTION_LENGTH:
        raise rules.QuestionInvalidError(
            f"write the {what} in 1 to {MAX_QUESTION_LENGTH} characters")
    return text


__all__ = ["Quote", "Rfq"]
