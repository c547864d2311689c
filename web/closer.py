"""Records the close of lots as their close times pass, in the background of the served app.

Commands never wait for this: each is decided against the clock, so a bid one instant after
the close time is refused whether or not the close is recorded yet. Recording it fixes the
lot's closing state on the ledger for allocation and audit, a few seconds after the fact.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from litestar import Litestar

from marketplace.application import Marketplace

log = logging.getLogger("kyodo.closer")


def lot_closer(marketplace: Marketplace,
               every: float) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A Litestar lifespan that runs ``close_due_lots`` every ``every`` seconds."""

    async def close_due_lots_forever() -> None:
        while True:
            try:
                closed = await anyio.to_thread.run_sync(marketplace.close_due_lots)
                if closed:
                    log.info("recorded the close of %d lot(s)", len(closed))
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
