"""Records the close of lots and RFQs as their deadlines pass, in the background of the app,
and follows up the payments a close left unfinished.

Commands never wait for this: each is decided against the time it was received, so a bid
received one instant after the close time is refused whether or not the close is recorded
yet. Recording it fixes the lot's closing state on the ledger for allocation and audit, once
every command received before the close has been decided (``SETTLE`` after it). A lot whose
settlement failed (the payment processor down at the close) is settled and paid out again by
``Marketplace.follow_up_payments``, each lot after its own backoff.
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
    """A Litestar lifespan that closes due lots, opens due RFQs, follows up unfinished
    payments and signs a checkpoint when one is due, every ``every`` seconds."""

    def close_lots(settle: timedelta) -> str | None:
        closed = marketplace.close_due_lots(settle)
        return f"recorded the close and clearing of {len(closed)} lot(s)" if closed else None

    def open_rfqs(settle: timedelta) -> str | None:
        opened = marketplace.open_due_rfqs(settle)
        return f"opened the quotes of {len(opened)} RFQ(s)" if opened else None

    def follow_up_payments(_settle: timedelta) -> str | None:
        followed = marketplace.follow_up_payments()
        failed = sum(1 for f in followed if f.error is not None)
        return f"followed up the payments of {len(followed)} lot(s), {failed} failed" \
            if followed else None

    def sign_checkpoint(_settle: timedelta) -> str | None:
        checkpoint = marketplace.checkpoint_if_due()
        return None if checkpoint is None else f"signed the checkpoint of " \
            f"{checkpoint.tree_size} entries"

    rounds: tuple[tuple[Callable[[timedelta], str | None], str], ...] = (
        (close_lots, "recording lot closes"), (open_rfqs, "opening RFQs' quotes"),
        (follow_up_payments, "following up payments"), (sign_checkpoint, "signing a checkpoint"))

    async def close_due_rounds_forever() -> None:
        while True:
            for run_round, what in rounds:
                try:  # each on its own: a failing lot never holds back an RFQ, nor the reverse
                    done = await anyio.to_thread.run_sync(run_round, settle)
                    if done:
                        log.info(done)
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
