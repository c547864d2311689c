"""uvicorn's factory for bench/web.py's yardstick: a bare Litestar hello world."""

from __future__ import annotations

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    return "hello"


def app() -> Litestar:
    return Litestar(route_handlers=[hello])
