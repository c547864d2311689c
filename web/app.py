"""The Litestar application factory."""

from __future__ import annotations

from pathlib import Path

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
from web.api import OrganisationController
from web.errors import exception_handlers
from web.health import health
from web.pages import home

HERE = Path(__file__).resolve().parent

SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
]


def create_app(settings: Settings | None = None,
               marketplace: Marketplace | None = None) -> Litestar:
    """The web app on the configured marketplace (opened here unless one is given)."""
    if marketplace is None:
        marketplace = open_marketplace(settings or Settings.from_env())

    def provide_marketplace() -> Marketplace:
        return marketplace

    return Litestar(
        route_handlers=[
            home, health, OrganisationController,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
        ],
        dependencies={"marketplace": Provide(provide_marketplace, sync_to_thread=False)},
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
        plugins=[HTMXPlugin()],
        exception_handlers=exception_handlers,
        response_headers=SECURITY_HEADERS,
        openapi_config=OpenAPIConfig(
            title="Kyodo API", version="1", path="/api/v1/schema",
            render_plugins=[JsonRenderPlugin(path="/openapi.json"),
                            YamlRenderPlugin(path="/openapi.yaml")]),
    )
