"""Why a buyer's payment step did not go through, in the visitor's language.

The ledger keeps the adapter's English reason, for the record and the logs; a page says it
from what every adapter records alike (the step's outcome, the bank's decline code), in
words the buyer can act on where it stands: before the close it enters its card again,
after it it pays what it still owes with another card on the lot's page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context

from marketplace.payments import Status
from web.errors import N_
from web.i18n import DEFAULT_LANGUAGE, gettext, language_of

#: A declined card in words, by the bank's decline code (Stripe's codes).
BY_DECLINE_CODE = {
    "insufficient_funds": N_("The card has insufficient funds: use another card, or ask "
                             "your bank."),
    "expired_card": N_("The card has expired: use a card that is still valid."),
    "incorrect_cvc": N_("The card's security code was wrong: enter the card again."),
    "payment_intent_authentication_failure": N_(
        "Your bank did not confirm the payment: enter the card again, or use another card."),
    "setup_intent_authentication_failure": N_(
        "Your bank did not confirm the card: enter the card again, or use another card."),
}
DECLINED = N_("The card was declined by its bank: use another card.")
NEEDS_AUTHENTICATION = N_("Your bank asks you to confirm this payment: press “Confirm with "
                          "your bank”.")
LAPSED_WITH_CARD = N_("The hold on the card lapsed before it was captured; what you owe is "
                      "charged to the card it saved instead.")
LAPSED = N_("The hold on the card lapsed before the lot was allocated: enter your card again.")
REFUSED = N_("The payment service refused this step (its words: %(reason)s).")


def reason_words(language: str, *, status: str | None, decline_code: str | None,
                 reason: str | None, method: str | None = None) -> str | None:
    """The reason a step did not go through, as a page says it; None for a step that did."""
    if status == Status.DECLINED.value:
        return gettext(language, BY_DECLINE_CODE.get(decline_code or "", DECLINED))
    if status == Status.NEEDS_AUTHENTICATION.value:
        return gettext(language, NEEDS_AUTHENTICATION)
    if status == Status.EXPIRED.value:
        return gettext(language, LAPSED_WITH_CARD if method else LAPSED)
    if status == Status.REFUSED.value:
        return gettext(language, REFUSED, reason=reason or "—")
    return None


@pass_context
def payment_reason(context: Mapping[str, Any], step: Any) -> str | None:
    """``reason_words`` for a template: a payment step (``Payment``), or a buyer's payment
    status (``BuyerPayment``), which carries its latest step's outcome."""
    request = context.get("request")
    language = language_of(request) if request is not None else DEFAULT_LANGUAGE
    return reason_words(language, status=step.status,
                        decline_code=step.decline_code, reason=step.reason,
                        method=getattr(step, "method", None))


def install(environment: Any) -> None:
    environment.globals.update(payment_reason=payment_reason)
