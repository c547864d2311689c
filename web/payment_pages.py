"""The payment step on a lot's page: a buyer commits its card (or to an invoice) for what it
pooled. Its own payments and, for a supplier, its payout are drawn by ``lots/_payment.html``
from ``lot_context``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_503_SERVICE_UNAVAILABLE

from marketplace.accounts import MemberRole
from marketplace.domain import RuleViolationError
from marketplace.domain.errors import NotPermittedError
from marketplace.payments import PaymentError, PaymentUnavailableError, Status
from web.auth import marketplace_of, members, require_member
from web.forms import Form, field
from web.lot_context import detail_for, lot_context
from web.render import error_message, page, see_other, t


class PaymentPages(Controller):
    path = "/lots"

    @post("/{lot_id:uuid}/payment", opt=members(MemberRole.BUYER), sync_to_thread=True)
    def pay(self, request: Request[Any, Any, Any], lot_id: FromPath[UUID],
            data: Form) -> Response[Any]:
        """Hold or save the buyer's card (or commit it to an invoice) for its commitments."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        detail_for(request, member, lot_id)  # 404 unless the organisation may see the lot
        method = field(data, "payment_method").strip() or None
        if marketplace.payments.name != "invoice" and method is None:
            return self._again(request, lot_id, t(request, "Enter your card first."),
                               HTTP_422_UNPROCESSABLE_ENTITY)
        try:
            payment = marketplace.pay_for_commitment(member.organisation_id, lot_id,
                                                     payment_method=method)
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
            return self._again(request, lot_id, str(error), HTTP_422_UNPROCESSABLE_ENTITY)
        if payment.status in (Status.DECLINED.value, Status.NEEDS_AUTHENTICATION.value,
                              Status.REFUSED.value):
            return self._again(request, lot_id, payment.reason or "",
                               HTTP_422_UNPROCESSABLE_ENTITY)
        return see_other(f"/lots/{lot_id}#payment")

    @staticmethod
    def _again(request: Request[Any, Any, Any], lot_id: UUID, message: str,
               status: int) -> Response[Any]:
        member = require_member(request)
        return page(request, "lots/lot.html", lot_context(
            request, member, lot_id, payment_error=message), status_code=status)
