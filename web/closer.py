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
from marketplace.domain.sealed_round import SETTLE

log = logging.getLogger("kyodo.closer")


Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def deadline_closer(marketplace: Marketplace, every: float,
                    settle: timedelta = SETTLE) -> Lifespan:
    """A Litestar lifespan that closes due lots and opens due RFQs every ``every`` seconds."""

    rounds = ((marketplace.close_due_lots, "recorded the close and clearing of %d lot(s)",
               "recording lot closes"),
              (marketplace.open_due_rfqs, "opened the quotes of %d RFQ(s)",
               "opening RFQs' quotes"))

    async def close_due_rounds_forever() -> None:
        while True:
            for close_due, done, what in rounds:
                try:  # each on its own: a failing lot never holds back an RFQ, nor the reverse
                    closed = await anyio.to_thread.run_sync(close_due, settle)
                    if closed:
                        log.info(done, len(closed))
                except Exception:
                    log.exception("%s failed; trying again in %.0f s", what, every)
            await anyio.sleep(every)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(close_due_rounds_forever)
            yield
            tasks.cancel_scope.cancel()

    return lifespan
