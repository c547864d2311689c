"""RFQ commands: a buyer issues, amends, cancels and awards; suppliers ask and quote."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from marketplace.commands.base import OrganisationNotFoundError
from marketplace.commands.needs import NeedCommands
from marketplace.domain import NotFoundError, Role
from marketplace.domain import rfq_rules as rules
from marketplace.domain.eligibility import Eligibility, Participant
from marketplace.domain.rfq import Rfq
from marketplace.domain.rfq_award import Award
from marketplace.domain.rfq_terms import RfqLine, RfqTerms
from marketplace.domain.sealed_round import SETTLE, jst


class RfqNotFoundError(NotFoundError):
    """No RFQ has this id (or the caller may not see it)."""


class RfqCommands(NeedCommands):
    """The RFQ lifecycle on the ledger; the deadline is decided by the receive time."""

    def issue_rfq(self, buyer_id: UUID, *, need_ids: Iterable[UUID], title: Any,
                  closes_at: datetime, invited: Iterable[UUID] = (), cluster: Any = None,
                  prefectures: Any = (), required_certifications: Any = (), notes: Any = None,
                  currency: Any = "JPY") -> UUID:
        """Asks for quotes on some of the buyer's open needs, one line each; the RFQ's id."""
        ids = list(need_ids)
        if len(set(ids)) != len(ids):
            raise rules.RfqLineTwiceError("a need is one line of an RFQ; it is listed twice")
        open_to = (Eligibility.create(cluster=cluster, prefectures=prefectures)
                   if cluster or prefectures else None)
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> UUID:
            buyer = self._participant(buyer_id)
            buyer.require(Role.BUYER, "issue RFQs")  # before "no need of yours has id ..."
            needs = [self._own_need(buyer_id, need_id) for need_id in ids]
            for need in needs:
                self._release_from_cancelled_lot(need, at)
            terms = RfqTerms.create(
                title=title, lines=tuple(RfqLine.of_need(n, need.id, need.line)
                                         for n, need in enumerate(needs, start=1)),
                required_certifications=required_certifications, notes=notes)
            rfq = Rfq.issue(buyer, terms, currency=currency,
                            closes_at=closes_at, invited=self._invitees(invited),
                            open_to=open_to, at=at)
            for need in needs:
                need.request_quotes(rfq.id, at=at)
            self.save(rfq, *needs)
            return rfq.id
        return self.command(decide)

    def invite_suppliers(self, buyer_id: UUID, rfq_id: UUID,
                         supplier_ids: Iterable[UUID]) -> list[UUID]:
        """Invites more suppliers until the deadline; the ones newly invited."""
        ids = list(supplier_ids)
        at = self.clock()

        def decide() -> list[UUID]:
            rfq = self._rfq(rfq_id)
            new = rfq.invite(buyer_id, self._invitees(ids), at=at)
            if new:
                self.save(rfq)
            return new
        return self.command(decide)

    def amend_rfq(self, buyer_id: UUID, rfq_id: UUID, *, title: Any = None, lines: Any = None,
                  required_certifications: Any = None, notes: Any = None,
                  closes_at: datetime | None = None) -> bool:
        """Changes the terms or the deadline; quotes on the old terms must be re-confirmed."""
        at = self.clock()

        def decide() -> bool:
            rfq = self._rfq(rfq_id)
            terms = rfq.terms.amended(today=at.date(), title=title, lines=lines,
                                      required_certifications=required_certifications,
                                      notes=notes)
            amended = rfq.amend(buyer_id, terms, closes_at=closes_at, at=at)
            if amended:
                self.save(rfq)
            return amended
        return self.command(decide)

    def cancel_rfq(self, buyer_id: UUID, rfq_id: UUID, reason: Any) -> None:
        """Cancels the RFQ, telling every invited supplier why; its needs are free again."""
        at = self.clock()

        def decide() -> None:
            rfq = self._rfq(rfq_id)
            rfq.cancel(buyer_id, reason, at=at)
            needs = [self._own_need(buyer_id, line.need_id) for line in rfq.terms.lines]
            for need in needs:
                need.release_from_rfq(rfq.id, at=at)
            self.save(rfq, *needs)
        self.command(decide)

    def ask_question(self, supplier_id: UUID, rfq_id: UUID, text: Any) -> UUID:
        question_id, at = uuid.uuid4(), self.clock()

        def decide() -> UUID:
            rfq = self._rfq(rfq_id)
            rfq.ask(self._participant(supplier_id), question_id, text, at=at)
            self.save(rfq)
            return question_id
        return self.command(decide)

    def answer_question(self, buyer_id: UUID, rfq_id: UUID, question_id: UUID,
                        answer: Any) -> None:
        at = self.clock()

        def decide() -> None:
            rfq = self._rfq(rfq_id)
            rfq.answer(buyer_id, question_id, answer, at=at)
            self.save(rfq)
        self.command(decide)

    def submit_quote(self, supplier_id: UUID, rfq_id: UUID, lines: Any) -> UUID:
        """Places a sealed quote on the current terms; its id."""
        quote_id, at = uuid.uuid4(), self.clock()

        def decide() -> UUID:
            rfq = self._rfq(rfq_id)
            rfq.submit_quote(self._participant(supplier_id), quote_id, lines, at=at)
            self.save(rfq)
            return quote_id
        return self.command(decide)

    def revise_quote(self, supplier_id: UUID, rfq_id: UUID, quote_id: UUID, lines: Any) -> None:
        at = self.clock()

        def decide() -> None:
            rfq = self._rfq(rfq_id)
            rfq.revise_quote(supplier_id, quote_id, lines, at=at)
            self.save(rfq)
        self.command(decide)

    def reconfirm_quote(self, supplier_id: UUID, rfq_id: UUID, quote_id: UUID) -> None:
        """Stands by a quote's prices on the amended terms."""
        at = self.clock()

        def decide() -> None:
            rfq = self._rfq(rfq_id)
            rfq.reconfirm_quote(supplier_id, quote_id, at=at)
            self.save(rfq)
        self.command(decide)

    def withdraw_quote(self, supplier_id: UUID, rfq_id: UUID, quote_id: UUID) -> None:
        at = self.clock()

        def decide() -> None:
            rfq = self._rfq(rfq_id)
            rfq.withdraw_quote(supplier_id, quote_id, at=at)
            self.save(rfq)
        self.command(decide)

    def open_quotes(self, rfq_id: UUID) -> bool:
        """Records the deadline: the quotes on the current terms open; False if it was."""
        at = self.clock()

        def decide() -> bool:
            rfq = self._rfq(rfq_id)
            opened = rfq.record_close(at=at)
            if opened:
                self.save(rfq)
            return opened
        return self.command(decide)

    def award_rfq(self, buyer_id: UUID, rfq_id: UUID, *, reason: Any,
                  lines: Mapping[int, UUID] | None = None, whole: UUID | None = None) -> Award:
        """Awards every line to one quote (``whole``) or each line to its own (``lines``).

        Lines left out are not awarded and their needs are free again; a purchase order goes
        to each awarded supplier; the other quoters are told."""
        at = self.clock()

        def decide() -> Award:
            rfq = self._rfq(rfq_id)
            if at >= rfq.closes_at + SETTLE:
                rfq.record_close(at=at)  # the background closer may not have come by yet
            elif at >= rfq.closes_at and not rfq.closed:
                raise rules.RfqNotClosedError(
                    "quotes received just before the deadline are still being recorded; "
                    f"award from {jst(rfq.closes_at + SETTLE)}")
            choices = (dict(lines or {}) if whole is None
                       else {line.number: whole for line in rfq.terms.lines})
            if whole is not None and lines:
                raise rules.RfqLineTwiceError("award the whole RFQ or by line, not both")
            award = rfq.award_lines(buyer_id, choices, reason, at=at)
            awarded = {line.line for line in award.lines}
            needs = [self._own_need(buyer_id, line.need_id) for line in rfq.terms.lines
                     if line.number not in awarded]
            for need in needs:
                need.release_from_rfq(rfq.id, at=at)
            self.save(rfq, *needs)
            return award
        return self.command(decide)

    def _rfq(self, rfq_id: UUID) -> Rfq:
        return self._load(Rfq, rfq_id, RfqNotFoundError, "RFQ")

    def _invitees(self, supplier_ids: Iterable[UUID]) -> dict[UUID, Participant]:
        invitees = {}
        for supplier_id in supplier_ids:
            try:
                invitees[supplier_id] = self._participant(supplier_id)
            except OrganisationNotFoundError:
                raise rules.InviteeNotSupplierError(
                    f"no organisation has id {supplier_id}; invite suppliers from your "
                    "matches") from None
        return invitees
