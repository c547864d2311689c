"""The payment step on a lot's page: a buyer commits its card (or to an invoice) for what it
pooled, and confirms it with its bank when the bank asks (3-D Secure, run in the browser by
Stripe.js, ``static/payment.js``). Its own payments and, for a supplier, its payout are drawn
by ``lots/_payment.html`` from ``lot_context``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_503_SERVICE_UNAVAILABLE

from marketplace.accounts import MemberRole
from marketplace.domain import RuleViolationError
from marketplace.domain.errors import NotPermittedError
from marketplace.domain.payments import Payment
from marketplace.payments import PaymentError, PaymentUnavailableError, Status
from web.auth import marketplace_of, members, require_member
from web.forms import Form, field
from web.i18n import language_of
from web.lot_context import detail_for, lot_context
from web.payment_reasons import reason_words
from web.render import error_message, page, see_other, t

#: Card steps that have not gone through: the page says why, for the buyer to act on.
NOT_THROUGH = (Status.DECLINED.value, Status.REFUSED.value, Status.NEEDS_AUTHENTICATION.value)


class PaymentPages(Controller):
    path = "/lots"

    @post("/{lot_id:uuid}/payment", opt=members(MemberRole.BUYER), sync_to_thread=True)
    def pay(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
            data: Form) -> Response[Any]:
        """Hold or save the buyer's card (or commit it to an invoice) for its commitments."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        detail = detail_for(request, member, lot_id)  # 404 unless the organisation may see it
        method = field(data, "payment_method").strip() or None
        if marketplace.payments.name != "invoice" and method is None:
            return self._again(request, lot_id, t(request, "Enter your card first."),
                               HTTP_422_UNPROCESSABLE_ENTITY)
        if detail.lot.status != "open" and method is not None:
            # After the close: another card for what the buyer still owes (owed_payments.py).
            return self._outcome(request, lot_id, lambda: marketplace.pay_owed(
                member.organisation_id, lot_id, payment_method=method), waiting=t(
                request, "Your bank asks you to confirm this payment: press “Confirm with "
                "your bank” and follow your bank's steps."))
        return self._outcome(request, lot_id, lambda: marketplace.pay_for_commitment(
            member.organisation_id, lot_id, payment_method=method), waiting=t(
            request, "Your bank asks you to confirm this payment: press “Confirm with your "
            "bank” and follow your bank's steps."))

    @post("/{lot_id:uuid}/payment/confirmed", opt=members(MemberRole.BUYER),
          sync_to_thread=True)
    def confirmed(self, request: Request[Any, Any, Any],
                  lot_id: FromPath[UUID]) -> Response[Any]:
        """After the buyer's bank was asked in the browser: the buyer's own payment looked up
        at the processor again and what it came to recorded (never another's: 404)."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        detail_for(request, member, lot_id)  # 404 unless the organisation may see the lot
        return self._outcome(request, lot_id, lambda: marketplace.confirm_and_settle(
            member.organisation_id, lot_id), waiting=t(
            request, "Your bank has not confirmed the payment yet: press “Confirm with your "
            "bank” again and finish your bank's steps, or enter another card."))

    def _outcome(self, request: Request[Any, Any, Any], lot_id: UUID,
                 act: Callable[[], Payment], *, waiting: str) -> Response[Any]:
        """The lot's page after a card step: back to it when done, else with what to do
        (``waiting``: when the buyer's bank asks to confirm, with Stripe's card field)."""
        try:
            payment = act()
        except NotPermittedError:
            raise
        except RuleViolationError as error:
            return self._again(request, lot_id, error_message(request, error),
                               HTTP_422_UNPROCESSABLE_ENTITY)
        except PaymentUnavailableError:
            return self._again(request, lot_id, t(
                request, "The payment service did not answer; try again in a minute. "
                "Nothing will be charged twice."), HTTP_503_SERVICE_UNAVAILABLE)
        except PaymentError as error:
            return self._again(request, lot_id, error_message(request, error),
                               HTTP_422_UNPROCESSABLE_ENTITY)
        if payment.status not in NOT_THROUGH:  # done, or its answer awaited: the page says
            return see_other(f"/lots/{lot_id}#payment")
        if (payment.status == Status.NEEDS_AUTHENTICATION.value
                and request.app.state.get("card_field") is not None):
            message = waiting
        else:
            message = reason_words(language_of(request), status=payment.status,
                                   decline_code=payment.decline_code, reason=payment.reason,
                                   method=payment.method) or t(
                request, "The payment did not go through; enter your card again.")
        return self._again(request, lot_id, message, HTTP_422_UNPROCESSABLE_ENTITY)

    @staticmethod
    def _again(request: Request[Any, Any, Any], lot_id: UUID, message: str,
               status: int) -> Response[Any]:
        member = require_member(request)
        return page(request, "lots/lot.html", lot_context(
            request, member, lot_id, payment_error=message), status_code=status)
