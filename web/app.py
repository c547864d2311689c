"""The Litestar application factory."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Litestar, Router
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from marketplace.accounts import Accounts
from marketplace.application import Marketplace
from marketplace.bootstrap import open_marketplace
from marketplace.settings import Settings
from web import i18n, payment_reasons
from web.allocation_api import AllocationController
from web.api import OrganisationController
from web.auth import SessionCookie, api_token, guard, public
from web.card_field import CardField, card_field_for, content_security_policy
from web.closer import deadline_closer
from web.errors import JSON_PREFIXES, exception_handlers, refuse_nul_characters
from web.health import health
from web.ledger_api import LedgerController
from web.lots_api import BidController, BiddingController, LotController
from web.needs_api import CommitmentController, NeedController, my_commitments
from web.page_cache import PageCache
from web.pages import PAGES
from web.payout_pages import PayoutPages
from web.pooling_api import PoolingSuggestionController
from web.quotes_api import PurchaseOrderController, QuoteController
from web.receipts_api import ReceiptsController
from web.rfqs_api import RfqController
from web.supplier_profiles_api import (
    SupplierProfileController,
    match_need,
    match_suppliers,
    vocabulary,
)
from web.webhooks import stripe_webhook

HERE = Path(__file__).resolve().parent


def security_headers(card: CardField | None = None) -> list[ResponseHeader]:
    """Every response's security headers; the policy lets in Stripe.js only where the card
    field is configured (``web/card_field.py``)."""
    return [
        ResponseHeader(name="Content-Security-Policy", value=content_security_policy(card)),
        ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ResponseHeader(name="Referrer-Policy", value="same-origin"),
        ResponseHeader(name="X-Frame-Options", value="DENY"),
    ]


#: How often the served app records the close of lots past their close time.
CLOSE_LOTS_EVERY = 5.0


def create_app(settings: Settings | None = None, marketplace: Marketplace | None = None,
               close_lots_every: float | None = None) -> Litestar:
    """The web app on the configured marketplace (opened here unless one is given).

    With ``close_lots_every`` (seconds) it also records lots' closes in the background.
    Without settings (tests that bring their own marketplace) it signs CSRF tokens with a
    random key of its own and serves cookies for http://127.0.0.1.
    """
    if marketplace is None:
        settings = settings or Settings.from_env()
        marketplace = open_marketplace(settings)
    opened = marketplace

    def provide_marketplace() -> Marketplace:
        return opened

    lifespan = [] if close_lots_every is None else [deadline_closer(opened, close_lots_every)]
    secure = settings is not None and settings.is_production
    secret = settings.secret_key if settings is not None else secrets.token_urlsafe(48)
    card = card_field_for(settings)
    site_url = settings.site_url if settings is not None else None
    app = _litestar(provide_marketplace, lifespan=lifespan, secret=secret, secure=secure,
                    card=card, site_url=site_url)
    app.state.marketplace = opened
    app.state.site_url = site_url
    app.state.card_field = card
    app.state.accounts = Accounts(opened)
    app.state.session_cookie = SessionCookie(secure=secure)
    app.state.page_cache = PageCache()
    return app


def serve_app() -> Litestar:
    """The app as `marketplace serve` runs it: configured from the environment, closing lots."""
    return create_app(close_lots_every=CLOSE_LOTS_EVERY)


def _install_template_helpers(engine: JinjaTemplateEngine) -> None:
    i18n.install(engine.engine)
    payment_reasons.install(engine.engine)


def _allowed_hosts(site_url: str | None) -> AllowedHostsConfig | None:
    """With a site address configured, a request naming another host is refused (400), so no
    page or link is ever built on a forged Host header; ``/health`` answers any host, for a
    load balancer that asks by address."""
    if site_url is None:
        return None
    parts = urlsplit(site_url)
    return AllowedHostsConfig(allowed_hosts=sorted({parts.netloc, parts.hostname or ""} - {""}),
                              exclude=["^/health$"], www_redirect=False)


def openapi_document() -> dict[str, Any]:
    """The JSON API's OpenAPI document, built without opening a database."""
    def no_marketplace() -> Marketplace:
        raise RuntimeError("this app only describes the API; it has no marketplace to serve")

    return _litestar(no_marketplace, secret="only-describing-the-api-" * 2
                     ).openapi_schema.to_schema()


def _litestar(provide_marketplace: Callable[[], Marketplace],
              lifespan: Sequence[Callable[[Litestar], AbstractAsyncContextManager[None]]] = (),
              *, secret: str, secure: bool = False, card: CardField | None = None,
              site_url: str | None = None) -> Litestar:
    templates = TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine,
                               engine_callback=_install_template_helpers)
    return Litestar(
        lifespan=list(lifespan),
        route_handlers=[
            *PAGES, PayoutPages,
            # The JSON API answers to organisations' bearer tokens, but where a handler says
            # it is public.
            Router(path="/", opt=api_token(), route_handlers=[
                health, OrganisationController,
                NeedController, CommitmentController, my_commitments,
                LotController, BiddingController, BidController, AllocationController,
                PoolingSuggestionController,
                RfqController, QuoteController, PurchaseOrderController,
                SupplierProfileController, vocabulary, match_suppliers, match_need,
                LedgerController, ReceiptsController]),
            stripe_webhook,
            create_static_files_router(path="/static", directories=[HERE / "static"],
                                       opt=public()),
        ],
        dependencies={"marketplace": Provide(provide_marketplace, sync_to_thread=False)},
        guards=[guard],
        csrf_config=CSRFConfig(
            secret=secret, cookie_name="__Host-csrftoken" if secure else "csrftoken",
            cookie_secure=secure, cookie_httponly=True, cookie_samesite="lax",
            header_name="x-csrftoken", exclude=[f"^{prefix}" for prefix in JSON_PREFIXES]),
        template_config=templates,
        plugins=[HTMXPlugin()],
        exception_handlers=exception_handlers,
        before_request=refuse_nul_characters,
        allowed_hosts=_allowed_hosts(site_url),
        response_headers=security_headers(card),
        openapi_config=OpenAPIConfig(
            title="Kyodo API", version="1", path="/api/v1/schema",
            openapi_router=Router(path="/api/v1/schema", route_handlers=[], opt=public()),
            render_plugins=[JsonRenderPlugin(path="/openapi.json"),
                            YamlRenderPlugin(path="/openapi.yaml")]),
    )
