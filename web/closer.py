"""Records the close of lots and RFQs as their deadlines pass, in the background of the app.

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
from marketplace.commands.base import SETTLE

log = logging.getLogger("kyodo.closer")


Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def deadline_closer(marketplace: Marketplace, every: float,
                    settle: timedelta = SETTLE) -> Lifespan:
    """A Litestar lifespan that closes due lots and opens due RFQs every ``every`` seconds."""

    async def close_due_lots_forever() -> None:
        while True:
            try:
                closed = await anyio.to_thread.run_sync(marketplace.close_due_lots, settle)
                if closed:
                    log.info("recorded the close and clearing of %d lot(s)", len(closed))
                opened = await anyio.to_thread.run_sync(marketplace.open_due_rfqs, settle)
                if opened:
                    log.info("opened the quotes of %d RFQ(s)", len(opened))
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
