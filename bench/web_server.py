"""uvicorn's factory for bench/web.py: the Kyodo app on the bench's database.

`uvicorn --factory bench.web_server:app`, with the database URL in KYODO_BENCH_DATABASE_URL.
Without settings, create_app signs CSRF tokens with a random key: right for one worker.
"""

from __future__ import annotations

import os

from litestar import Litestar

from marketplace.application import Marketplace
from web.app import create_app
from web.page_cache import PageCache

DATABASE_URL = "KYODO_BENCH_DATABASE_URL"


def app() -> Litestar:
    return create_app(marketplace=Marketplace(os.environ[DATABASE_URL]))


def uncached_app() -> Litestar:
    """The same app keeping no rendered page: what every request costs when the ledger moves
    between two views of the page (or the member has not seen it yet)."""
    served = app()
    served.state.page_cache = PageCache(size=0)
    return served
