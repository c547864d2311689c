"""The rules an RFQ enforces, each a named error whose message says what to change."""

from __future__ import annotations

from marketplace.domain.errors import NotFoundError, NotPermittedError, RuleViolationError


class RfqClosedError(RuleViolationError):
    """After its deadline an RFQ takes no quotes, questions or amendments."""


class RfqCancelledError(RuleViolationError):
    """A cancelled RFQ takes nothing more."""


class RfqCancelReasonMissingError(RuleViolationError):
    """Invited suppliers are told why an RFQ was cancelled."""


class RfqDeadlineInvalidError(RuleViolationError):
    """A deadline is an instant in the future, with its time zone, within a year."""


class RfqLinesMissingError(RuleViolationError):
    """An RFQ asks for at least one of the buyer's needs."""


class TooManyRfqLinesError(RuleViolationError):
    """More lines than one RFQ can carry."""


class RfqLineUnknownError(RuleViolationError):
    """A line number the RFQ does not have."""


class RfqLineTwiceError(RuleViolationError):
    """A line appears once in a quote, an amendment or an award."""


class RfqTextInvalidError(RuleViolationError):
    """A title, notes or certification list outside its bounds."""


class RfqAudienceMissingError(RuleViolationError):
    """An RFQ goes to invited suppliers, to a cluster, or both."""


class NotRfqBuyerError(NotPermittedError):
    """Only the buyer that issued an RFQ changes it, answers questions and awards."""


class NotInvitedError(NotPermittedError):
    """Only invited suppliers (or, for an open RFQ, eligible ones) ask and quote."""


class InviteeNotSupplierError(RuleViolationError):
    """Only suppliers of the marketplace are invited."""


class QuoteEmptyError(RuleViolationError):
    """A quote prices at least one line."""


class QuotePriceMissingError(RuleViolationError):
    """Each quoted line has a unit price or price breaks."""


class QuoteDoesNotPriceLineError(RuleViolationError):
    """A quote prices the quantity the line asks for."""


class QuoteValidityInvalidError(RuleViolationError):
    """A validity date written so that we cannot read it."""


class QuoteExpiresBeforeDeadlineError(RuleViolationError):
    """A quote stays valid at least until the RFQ's deadline."""


class AlreadyQuotingError(RuleViolationError):
    """A supplier has one live quote per RFQ; it revises that one."""


class QuoteNotFoundError(NotFoundError):
    """No quote of the caller's has this id (other quotes are sealed)."""


class QuoteUpToDateError(RuleViolationError):
    """A quote made against the current terms needs no re-confirmation."""


class QuestionInvalidError(RuleViolationError):
    """A question or answer of 1 to 2,000 characters."""


class QuestionNotFoundError(NotFoundError):
    """The RFQ has no question with this id."""


class QuestionAlreadyAnsweredError(RuleViolationError):
    """A question is answered once; a further clarification is another answer's job."""


class RfqNotClosedError(RuleViolationError):
    """Quotes open at the deadline: an RFQ is awarded after it."""


class RfqAlreadyAwardedError(RuleViolationError):
    """An RFQ is awarded once."""


class AwardEmptyError(RuleViolationError):
    """An award gives at least one line to a quote."""


class AwardReasonMissingError(RuleViolationError):
    """An award records why, in words the losing quoters can be told."""


class QuoteNotOpenedError(RuleViolationError):
    """Only quotes that stood at the deadline, on the current terms, are awarded."""


class QuoteMissingLineError(RuleViolationError):
    """A line is awarded to a quote that priced it."""


class QuoteExpiredError(RuleViolationError):
    """A quote past its validity date can no longer be accepted."""
