"""Rendered pages kept per worker until the ledger moves: a page read again by the same member
before anything new is recorded is served without running its queries or its templates.

The key holds the ledger position, so any commitment anywhere (in any worker: the position is
read from the database on each request, one indexed read) makes every entry stale. It also
holds the member, its roles, language and time zone, and the request's path and kind (whole
page or htmx fragment), so an entry is only ever served to the one member it was rendered
for, exactly as a fresh render would have been at that position. What a page derives from the
clock rather than the ledger (a lot past its close time before its close is recorded) is
covered by the entry's expiry, which the page sets (never past the lot's close time).

The CSRF token of the request that rendered the page is swapped for the asking request's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response
from litestar.concurrency import sync_to_thread
from litestar.enums import MediaType
from litestar.response import Template
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from web.auth import marketplace_of, require_member
from web.i18n import language_of

#: No entry outlives this, whatever the ledger does.
MAX_AGE = timedelta(seconds=60)
SIZE = 2048
#: A member's page is for that member's eyes: no shared cache may keep it.
NO_STORE = {"Cache-Control": "no-store"}


class PageCache:
    """A bounded map of rendered pages, least recently used out first."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, tuple[tuple[str, ...], datetime]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable, now: datetime) -> tuple[str, ...] | None:
        """The page kept under ``key`` (in pieces, cut where its CSRF token stood), unless it
        expired by ``now`` (the marketplace's clock: the one that decides when lots close)."""
        found = self._pages.get(key)
        if found is None or found[1] <= now:
            self.misses += 1
            self._pages.pop(key, None)
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return found[0]

    def put(self, key: Hashable, pieces: tuple[str, ...], expires_at: datetime) -> None:
        self._pages[key] = (pieces, expires_at)
        self._pages.move_to_end(key)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)


async def cached_page(request: Request[Any, Any, Any],
                      render: Callable[[], tuple[Template, datetime | None]]) -> Response[Any]:
    """The page ``render`` makes, from the cache while the ledger has not moved.

    ``render`` returns the page and the instant after which it would read differently without
    any new event (a lot's close time), or None; the entry is not kept past that instant. It
    runs in a worker thread; a page found in the cache is answered on the event loop, after
    one indexed read of the ledger position (cheaper than the hop to a thread).
    """
    marketplace = marketplace_of(request)
    cache: PageCache = request.app.state.page_cache
    member = require_member(request)
    token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")
    key = (marketplace.position(), request.url.path, request.url.query,
           request.headers.get("hx-request") == "true", member, language_of(request))
    pieces = cache.get(key, marketplace.clock())
    if pieces is not None:
        return Response(token.join(pieces), media_type=MediaType.HTML, headers=NO_STORE)

    def render_and_keep() -> Response[Any]:
        now = marketplace.clock()
        template, until = render()
        html = _render(request, template)
        expires_at = min(now + MAX_AGE, until or now + MAX_AGE)
        if template.status_code == 200 and expires_at > now:
            cache.put(key, tuple(html.split(token)) if token else (html,), expires_at)
        return Response(html, status_code=template.status_code, media_type=MediaType.HTML,
                        headers={**template.headers, **NO_STORE})
    return await sync_to_thread(render_and_keep)


def _render(request: Request[Any, Any, Any], template: Template) -> str:
    """The template rendered as Litestar would render it for this request."""
    engine = request.app.template_engine
    assert engine is not None, "the app has a template engine"  # noqa: S101 (a type guard)
    context = template.create_template_context(request)
    source = engine.get_template(template.template_name)
    rendered: str = source.render(**context)
    return rendered
