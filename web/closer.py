"""Records the close of lots as their close times pass, in the background of the served app.

Commands never wait for this: each is decided against the time it was received, so a bid
received one instant after the close time is refused whether or not the close is recorded
yet. Recording it fixes the lot's closing state on the ledger for allocation and audit, once
every command received before the close has been decided (``SETTLE`` after it).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import anyio
from litestar import Litestar

from marketplace.application import Marketplace

log = logging.getLogger("kyodo.closer")


#: Longer than a command may wait for the write lock (30 s: SQLite's busy timeout, the
#: ledger's lock_timeout on PostgreSQL), so every command received before a close has been
#: decided, or has given up, before the close is recorded.
SETTLE = timedelta(seconds=60)


Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def lot_closer(marketplace: Marketplace, every: float, settle: timedelta = SETTLE) -> Lifespan:
    """A Litestar lifespan that runs ``close_due_lots`` every ``every`` seconds."""

    async def close_due_lots_forever() -> None:
        while True:
            try:
                closed = await anyio.to_thread.run_sync(marketplace.close_due_lots, settle)
                if closed:
                    log.info("recorded the close and clearing of %d lot(s)", len(closed))
            except Exception:
                log.exception("recording lot closes failed; trying again in %.0f s", every)
            await anyio.sleep(every)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(close_due_lots_forever)
            yield
            tasks.cancel_scope.cancel()

    return lifespan
