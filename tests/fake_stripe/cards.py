"""Stripe's test PaymentMethod tokens the fake understands, and what each one does when used.

A token (``pm_card_visa``) is not itself a PaymentMethod: as in Stripe, using one makes a new
``pm_...`` object with that card's behaviour, which is what intents and customers then hold.
"""

from __future__ import annotations

from dataclasses import dataclass

CARD_VISA = "pm_card_visa"
CARD_DECLINED = "pm_card_chargeDeclined"
CARD_INSUFFICIENT_FUNDS = "pm_card_chargeDeclinedInsufficientFunds"
CARD_AUTHENTICATION_REQUIRED = "pm_card_authenticationRequired"
CARD_EXPIRED = "pm_card_chargeDeclinedExpiredCard"
#: Saved to a customer without a fault; every charge of it is declined (Stripe's 4000…0341).
CARD_CHARGES_FAIL = "pm_card_chargeCustomerFail"


@dataclass(frozen=True)
class Decline:
    """A card error as Stripe reports it (``code``, ``decline_code``, ``message``, ``param``)."""

    code: str
    decline_code: str
    message: str
    param: str | None = None


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    decline: Decline | None = None
    #: Whether every payment asks for 3-D Secure: on session it waits for the customer
    #: (``requires_action``); off session it fails with ``authentication_required``.
    authenticates: bool = False
    #: Whether saving it (a SetupIntent) succeeds though its charges are declined.
    saves: bool = False


DECLINED = Decline("card_declined", "generic_decline", "Your card was declined.")
AUTHENTICATION_REQUIRED = Decline(
    "authentication_required", "authentication_required",
    "Your card was declined. This transaction requires authentication.")
AUTHENTICATION_FAILED = Decline(
    "payment_intent_authentication_failure", "",
    "The provided PaymentMethod has failed authentication. Provide a new PaymentMethod to "
    "attempt to fulfill this PaymentIntent again.")
SETUP_AUTHENTICATION_FAILED = Decline(
    "setup_intent_authentication_failure", "",
    "The latest attempt to set up the payment method has failed because authentication "
    "failed.")

TEST_CARDS: dict[str, Card] = {
    CARD_VISA: Card("visa", "4242"),
    CARD_DECLINED: Card("visa", "0002", DECLINED),
    CARD_INSUFFICIENT_FUNDS: Card("visa", "9995", Decline(
        "card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    CARD_EXPIRED: Card("visa", "0069", Decline(
        "expired_card", "expired_card", "Your card has expired.", "exp_month")),
    CARD_AUTHENTICATION_REQUIRED: Card("visa", "3184", authenticates=True),
    CARD_CHARGES_FAIL: Card("visa", "0341", DECLINED, saves=True),
}
