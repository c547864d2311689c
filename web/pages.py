"""HTML pages (Jinja2 + htmx)."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Template

from marketplace.application import Marketplace
from marketplace.domain import Role


@get("/", sync_to_thread=True)
def home(request: HTMXRequest, marketplace: NamedDependency[Marketplace],
         role: FromQuery[Role | None] = None) -> Template:
    """The cluster's organisations; the role filter swaps the table in place with htmx."""
    context = {"organisations": marketplace.organisations.search(role=role, limit=500),
               "role": role, "roles": list(Role)}
    if request.htmx:
        return HTMXTemplate(template_name="_organisations.html", context=context,
                            push_url=f"/?role={role}" if role else "/")
    return Template(template_name="home.html", context=context)
