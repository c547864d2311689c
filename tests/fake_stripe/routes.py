"""The endpoints the fake serves: method and path, the parameters each accepts (Stripe refuses
unknown ones, which catches a misspelt parameter in the caller), and the function that answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from tests.fake_stripe import customers, payments, payouts
from tests.fake_stripe.errors import invalid
from tests.fake_stripe.forms import Params
from tests.fake_stripe.state import Obj, Store

#: ``(store, *path ids, params) -> object``
Handler = Callable[..., Obj]

PAGING = ("limit", "starting_after", "ending_before")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    allowed: frozenset[str]


def _retrieve(kind: str) -> Handler:
    def handler(store: Store, object_id: str, p: Params) -> Obj:
        return store.get(kind, object_id)
    return handler


def _list(kind: str, url: str, *filters: str) -> Handler:
    def handler(store: Store, p: Params) -> Obj:
        wanted = {name: p.text(name) for name in filters if p.has(name)}
        return store.page(kind, url, limit=p.limit(), starting_after=p.text("starting_after"),
                          ending_before=p.text("ending_before"),
                          keep=lambda obj: all(obj.get(k) == v for k, v in wanted.items()))
    return handler


def _search_intents(store: Store, p: Params) -> Obj:
    return store.search("payment_intent", f"{payments.URL}/search", p.required("query"),
                        limit=p.limit(), page=p.text("page"))


def _route(method: str, path: str, handler: Handler, *allowed: str) -> Route:
    pattern = re.compile("^" + re.sub(r"\{\w+\}", r"([^/]+)", path) + "$")
    return Route(method, pattern, handler, frozenset(allowed))


_INTENT = ("amount", "currency", "customer", "payment_method", "capture_method", "confirm",
           "off_session", "metadata", "transfer_group", "description", "payment_method_types",
           "setup_future_usage", "return_url", "receipt_email", "statement_descriptor",
           "use_stripe_sdk")

ROUTES = (
    _route("POST", "/v1/customers", customers.create_customer,
           "email", "name", "description", "phone", "metadata"),
    _route("GET", "/v1/customers/{id}", _retrieve("customer")),
    _route("GET", "/v1/payment_methods/{id}", _retrieve("payment_method")),
    _route("POST", "/v1/setup_intents", customers.create_setup,
           "customer", "payment_method", "confirm", "usage", "metadata", "description",
           "payment_method_types", "return_url", "use_stripe_sdk"),
    _route("GET", "/v1/setup_intents/{id}", _retrieve("setup_intent")),
    _route("POST", "/v1/setup_intents/{id}/confirm", customers.confirm_setup,
           "payment_method", "return_url"),
    _route("POST", "/v1/setup_intents/{id}/cancel", customers.cancel_setup,
           "cancellation_reason"),
    _route("POST", "/v1/payment_intents", payments.create, *_INTENT),
    _route("GET", "/v1/payment_intents", _list("payment_intent", payments.URL, "customer"),
           "customer", *PAGING),
    _route("GET", "/v1/payment_intents/search", _search_intents, "query", "limit", "page"),
    _route("GET", "/v1/payment_intents/{id}", _retrieve("payment_intent")),
    _route("POST", "/v1/payment_intents/{id}/confirm", payments.confirm,
           "payment_method", "off_session", "return_url"),
    _route("POST", "/v1/payment_intents/{id}/capture", payments.capture,
           "amount_to_capture", "metadata"),
    _route("POST", "/v1/payment_intents/{id}/cancel", payments.cancel, "cancellation_reason"),
    _route("GET", "/v1/charges/{id}", _retrieve("charge")),
    _route("POST", "/v1/refunds", payouts.create_refund,
           "payment_intent", "charge", "amount", "reason", "metadata"),
    _route("GET", "/v1/refunds/{id}", _retrieve("refund")),
    _route("POST", "/v1/accounts", payouts.create_account,
           "type", "country", "email", "metadata", "capabilities", "business_type"),
    _route("GET", "/v1/accounts/{id}", _retrieve("account")),
    _route("POST", "/v1/account_links", payouts.create_account_link,
           "account", "type", "return_url", "refresh_url", "collect", "collection_options"),
    _route("POST", "/v1/transfers", payouts.create_transfer,
           "amount", "currency", "destination", "transfer_group", "source_transaction",
           "metadata", "description"),
    _route("GET", "/v1/transfers",
           _list("transfer", "/v1/transfers", "transfer_group", "destination"),
           "transfer_group", "destination", *PAGING),
    _route("GET", "/v1/transfers/{id}", _retrieve("transfer")),
    _route("GET", "/v1/events", _list("event", "/v1/events", "type"), "type", *PAGING),
    _route("GET", "/v1/events/{id}", _retrieve("event")),
)


def dispatch(store: Store, method: str, path: str, values: dict[str, object]) -> Obj:
    """The answer to one request (with its ``expand`` applied), or a ``StripeFault``."""
    for route in ROUTES:
        match = route.pattern.match(path)
        if match is not None and route.method == method:
            p = Params(dict(values), route.allowed)
            ids = [unquote(group) for group in match.groups()]
            return store.expand(route.handler(store, *ids, p), p.expand())
    raise invalid(f"Unrecognized request URL ({method}: {path}). Please see "
                  "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                  status=404)
