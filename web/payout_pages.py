"""Setting up a supplier's payouts: from its dashboard to Stripe's onboarding pages and back.

``POST /payouts/onboarding`` (a supplier or an admin of a supplier organisation; CSRF) makes
the organisation's payout account if it has none and sends the browser (303) to Stripe's
onboarding page. Stripe sends it back to ``GET /payouts/onboarding/return``, which asks Stripe
how the account stands, records it, and once it is ready makes the payouts that waited for
it; or, when its link expired or was used, to ``GET /payouts/onboarding/refresh``, which makes
a new link (303). With invoices there is nothing to set up: suppliers are paid by bank
transfer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_503_SERVICE_UNAVAILABLE

from marketplace.accounts import Member, MemberRole
from marketplace.application import Marketplace
from marketplace.payments import AccountState, PaymentError, PaymentUnavailableError
from web.auth import marketplace_of, members, require_member
from web.render import absolute_url, page, see_other, t

#: Who may set up the organisation's payouts.
SETTING_UP = members(MemberRole.SUPPLIER, MemberRole.ADMIN)
RETURN_PATH = "/payouts/onboarding/return"
REFRESH_PATH = "/payouts/onboarding/refresh"


@dataclass(frozen=True)
class PayoutPanel:
    """How the organisation is paid as a supplier, as its dashboard shows it."""

    by_invoice: bool
    """Paid by bank transfer against its invoices: nothing to set up."""
    state: AccountState | None
    """Its payout account's state as last recorded (None: not made yet)."""
    waiting: int
    """Lots whose payouts to it wait, while its account cannot take them."""

    @property
    def ready(self) -> bool:
        return self.by_invoice or self.state is AccountState.READY


def payout_panel(marketplace: Marketplace, member: Member) -> PayoutPanel | None:
    """The panel for a supplier's member, or an admin of a supplier organisation; else None.
    Read from the ledger only: Stripe is asked when the supplier comes back from it."""
    if not member.has(MemberRole.SUPPLIER, MemberRole.ADMIN):
        return None
    me = member.organisation_id
    if not member.has(MemberRole.SUPPLIER):
        organisation = marketplace.organisations.get(me)
        if organisation is None or "supplier" not in organisation.roles:
            return None
    if marketplace.payments.name == "invoice":
        return PayoutPanel(by_invoice=True, state=None, waiting=0)
    state = marketplace.payout_account_state(me)
    waiting = 0 if state is AccountState.READY else len(marketplace.lots_awaiting_payout(me))
    return PayoutPanel(by_invoice=False, state=state, waiting=waiting)


class PayoutPages(Controller):
    path = "/payouts"

    @post("/onboarding", opt=SETTING_UP, sync_to_thread=True)
    def start(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """To Stripe's onboarding page, the payout account made first if there is none."""
        member = require_member(request)
        onboarding = marketplace_of(request).start_payout_onboarding
        return _to_processor(request, lambda: onboarding(member.organisation_id,
                                                         **_back_urls(request)))

    @get("/onboarding/refresh", opt=SETTING_UP, sync_to_thread=True)
    def refresh(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Stripe's link expired or was used: a new one (the account must exist)."""
        member = require_member(request)
        onboarding = marketplace_of(request).continue_payout_onboarding
        return _to_processor(request, lambda: onboarding(member.organisation_id,
                                                         **_back_urls(request)))

    @get("/onboarding/return", opt=SETTING_UP, sync_to_thread=True)
    def returned(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Back from Stripe: how the payout account stands now, recorded."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        try:
            marketplace.check_payout_account(member.organisation_id)
        except PaymentUnavailableError:
            raise HTTPException(status_code=HTTP_503_SERVICE_UNAVAILABLE, detail=t(
                request, "Stripe did not answer; your details are safe with Stripe. Open "
                "this page again in a minute to see whether your payouts are ready.")
                ) from None
        except PaymentError as error:
            raise HTTPException(status_code=HTTP_503_SERVICE_UNAVAILABLE, detail=t(
                request, "Stripe refused to tell how your payout account stands: "
                "%(reason)s", reason=str(error))) from None
        return page(request, "payouts/returned.html",
                    {"payouts": payout_panel(marketplace, member)})


def _back_urls(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Where Stripe sends the supplier back to: absolute URLs of this site."""
    return {"return_url": absolute_url(request, RETURN_PATH),
            "refresh_url": absolute_url(request, REFRESH_PATH)}


def _to_processor(request: Request[Any, Any, Any],
                  link: Callable[[], str | None]) -> Response[Any]:
    """303 to the processor's onboarding page; to the dashboard when the account is ready
    already. Domain rules (not a supplier, paid by bank transfer) answer through the app's
    error mapping."""
    try:
        url = link()
    except PaymentUnavailableError:
        raise HTTPException(status_code=HTTP_503_SERVICE_UNAVAILABLE, detail=t(
            request, "Stripe did not answer; try again in a minute.")) from None
    except PaymentError as error:
        raise HTTPException(status_code=HTTP_503_SERVICE_UNAVAILABLE, detail=t(
            request, "Stripe refused to set up your payouts: %(reason)s",
            reason=str(error))) from None
    if url is None:
        return see_other("/dashboard#payouts")
    return Redirect(url, status_code=HTTP_303_SEE_OTHER)
