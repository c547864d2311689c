"""``POST /webhooks/stripe``: Stripe tells of a change to a payment.

Public, and authenticated by its signature alone (no session, no CSRF token: Stripe has
neither). The raw body is verified as received, since re-serialising it would break the
signature; what the event is about is fetched again from Stripe (webhooks come late, twice
and out of order); the event is taken once by its id, in the transaction that records its
effect. Answers: 200 when taken or already taken (Stripe stops sending), 400 for a signature
that does not verify (Stripe does not retry a 4xx), 503 when Stripe could not be asked back
(it retries later), or refused our key.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from litestar import Request, Response, post
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_503_SERVICE_UNAVAILABLE

from marketplace.payments import PaymentError, WebhookRefusedError
from web.auth import marketplace_of, public

log = logging.getLogger("kyodo.payments")

#: Stripe's events are a few kilobytes; anything far larger is not one.
MAX_BODY = 256 * 1024


@post("/webhooks/stripe", opt=public(), status_code=HTTP_200_OK, include_in_schema=False,
      request_max_body_size=MAX_BODY)
async def stripe_webhook(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    payload = await request.body()
    signature = request.headers.get("stripe-signature")
    marketplace = marketplace_of(request)
    try:
        taken = await anyio.to_thread.run_sync(marketplace.take_notification, payload,
                                               signature)
    except WebhookRefusedError as error:
        return _error(HTTP_400_BAD_REQUEST, "webhook_refused", str(error))
    except PaymentError as error:  # unreachable, or it refused our key: Stripe sends again
        log.warning("a Stripe webhook could not be taken: %s", error)
        return _error(HTTP_503_SERVICE_UNAVAILABLE, "processor_unavailable", str(error))
    return Response({"received": True, "recorded": taken})


def _error(status: int, code: str, message: str) -> Response[dict[str, Any]]:
    return Response({"error": {"code": code, "message": message}}, status_code=status)
