"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from marketplace.application import Marketplace
from marketplace.bootstrap import open_marketplace
from marketplace.settings import Settings
from web.allocation_api import AllocationController
from web.api import OrganisationController
from web.closer import deadline_closer
from web.errors import exception_handlers, refuse_nul_characters
from web.health import health
from web.lots_api import BidController, BiddingController, LotController
from web.needs_api import CommitmentController, NeedController, my_commitments
from web.pages import home
from web.pooling_api import PoolingSuggestionController
from web.quotes_api import PurchaseOrderController, QuoteController
from web.rfqs_api import RfqController
from web.supplier_profiles_api import (
    SupplierProfileController,
    match_need,
    match_suppliers,
    vocabulary,
)

HERE = Path(__file__).resolve().parent

SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")),
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
    """
    if marketplace is None:
        marketplace = open_marketplace(settings or Settings.from_env())
    opened = marketplace

    def provide_marketplace() -> Marketplace:
        return opened

    lifespan = [] if close_lots_every is None else [deadline_closer(opened, close_lots_every)]
    return _litestar(provide_marketplace, lifespan=lifespan)


def serve_app() -> Litestar:
    """The app as `marketplace serve` runs it: configured from the environment, closing lots."""
    return create_app(close_lots_every=CLOSE_LOTS_EVERY)


def openapi_document() -> dict[str, Any]:
    """The JSON API's OpenAPI document, built without opening a database."""
    def no_marketplace() -> Marketplace:
        raise RuntimeError("this app only describes the API; it has no marketplace to serve")

    return _litestar(no_marketplace).openapi_schema.to_schema()


def _litestar(provide_marketplace: Callable[[], Marketplace],
              lifespan: Sequence[Callable[[Litestar], AbstractAsyncContextManager[None]]] = (),
              ) -> Litestar:
    return Litestar(
        lifespan=list(lifespan),
        route_handlers=[
            home, health, OrganisationController,
            NeedController, CommitmentController, my_commitments,
            LotController, BiddingController, BidController, AllocationController,
            PoolingSuggestionController,
            RfqController, QuoteController, PurchaseOrderController,
            SupplierProfileController, vocabulary, match_suppliers, match_need,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
        ],
        dependencies={"marketplace": Provide(provide_marketplace, sync_to_thread=False)},
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
        plugins=[HTMXPlugin()],
        exception_handlers=exception_handlers,
        before_request=refuse_nul_characters,
        response_headers=SECURITY_HEADERS,
        openapi_config=OpenAPIConfig(
            title="Kyodo API", version="1", path="/api/v1/schema",
            render_plugins=[JsonRenderPlugin(path="/openapi.json"),
                            YamlRenderPlugin(path="/openapi.yaml")]),
    )
