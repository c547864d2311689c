"""``FakeStripe``: the fake server's handle for tests (its address, a configured SDK client, the
clock, the events, the count of changes, fault mode and webhook delivery)."""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import requests
import stripe

from tests.fake_stripe import customers, payments, payouts, webhooks
from tests.fake_stripe.server import Api, Faults, Server
from tests.fake_stripe.state import Store

API_KEY = "sk_test_fake_kyodo"


class FakeStripe:
    """A stateful Stripe on a loopback port. Start it with ``running_fake_stripe()``.

    ``accounts_ready``: connected accounts take transfers as soon as they are made (the
    default, for tests that do not care about onboarding); False: as at Stripe, only once
    their owner has been through the onboarding page of an account link."""

    def __init__(self, *, start: int | None = None, accounts_ready: bool = True) -> None:
        self._store = Store(now=int(time.time()) if start is None else start,
                            accounts_ready=accounts_ready)
        self._api = Api(self._store)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = Server(self._api)
        with self._store.lock:
            self._store.base_url = self.base_url
        # serve_forever looks for shutdown() between polls: a short poll makes stopping quick.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name="fake-stripe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = self._thread = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Stripe is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def client(self, max_network_retries: int = 2, *, api_key: str = API_KEY
               ) -> stripe.StripeClient:
        """The real SDK pointed at the fake. Its HTTP client is the one the SDK picks itself
        (``RequestsClient``: requests is a dependency of stripe), with a session that ignores
        proxy settings in the environment, so loopback calls never go through a proxy."""
        session = requests.Session()
        session.trust_env = False
        return stripe.StripeClient(
            api_key, base_addresses={"api": self.base_url},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(session=session))

    @property
    def now(self) -> int:
        """The fake's clock (Unix seconds): ``created`` stamps and hold expiry follow it."""
        with self._store.lock:
            return self._store.now

    def advance(self, seconds: float | timedelta) -> None:
        """Moves the clock on (by whole seconds); holds whose seven days have passed are
        canceled, with their events, as Stripe would have done meanwhile."""
        step = int(seconds.total_seconds() if isinstance(seconds, timedelta) else seconds)
        if step < 0:
            raise ValueError("the fake Stripe's clock only moves forward")
        with self._store.lock:
            self._store.now += step
            payments.expire_holds(self._store)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event so far, oldest first (copies)."""
        with self._store.lock:
            return copy.deepcopy(self._store.events)

    @property
    def mutations(self) -> int:
        """How many POSTs took effect (a replayed or refused one does not count)."""
        with self._store.lock:
            return self._api.mutations

    @property
    def dropped(self) -> int:
        """How many answers fault mode has thrown away so far."""
        with self._store.lock:
            return self._api.dropped

    def drop_after_success(self, rate: float = 0.2, seed: int = 1, *,
                           next_n: int | None = None) -> None:
        """Fault mode: after a POST took effect and its answer was stored for its idempotency
        key, hang up without answering: the next ``next_n`` such POSTs, or else each with
        probability ``rate`` (seeded). ``rate=0`` turns it off. Replays are always answered."""
        if not 0 <= rate <= 1:
            raise ValueError("rate is a probability")
        with self._store.lock:
            self._api.faults = Faults(rate=0 if next_n else rate, next_n=next_n or 0,
                                      rng=random.Random(seed))  # noqa: S311 (a seeded fault plan)

    def forget_keys(self) -> None:
        """Forgets every idempotency key, as Stripe does 24 hours after a key's first use: a
        repeat after that is a new request."""
        with self._store.lock:
            self._api._idempotent.clear()

    def authenticate(self, intent_id: str, *, succeed: bool = True) -> None:
        """The customer's answer to 3-D Secure for an intent in ``requires_action`` (in Stripe
        it happens in their browser): success authorises the payment or saves the card."""
        with self._store.lock:
            intent = self._store.objects.get(intent_id)
            if intent is not None and intent["object"] == "payment_intent":
                payments.authenticate(self._store, intent, succeed=succeed)
            elif intent is not None and intent["object"] == "setup_intent":
                customers.authenticate_setup(self._store, intent, succeed=succeed)
            else:
                raise KeyError(intent_id)

    def hold_checks(self) -> None:
        """From now on, an account whose owner finishes onboarding waits while Stripe checks
        its details (capabilities ``pending``), until ``pass_checks``."""
        with self._store.lock:
            self._store.checks_pass_at_once = False

    def pass_checks(self, account_id: str) -> None:
        """Stripe has checked the account's details: it may take transfers."""
        self._change_account(account_id, payouts.activate)

    def restrict(self, account_id: str) -> None:
        """Stripe wants more of the account's owner: it takes no transfers until then."""
        self._change_account(account_id, payouts.restrict)

    def _change_account(self, account_id: str, change: Callable[[dict[str, Any]], None]
                        ) -> None:
        with self._store.lock:
            account = self._store.get("account", account_id)
            change(account)
            self._store.emit("account.updated", account)

    def deliver(self, url: str, secret: str, events: Iterable[Mapping[str, Any]], *,
                times: int = 1, shuffle_seed: int | None = None,
                timestamp: int | None = None) -> list[int]:
        """Sends events to a webhook endpoint; see ``webhooks.deliver``."""
        return webhooks.deliver(url, secret, events, times=times, shuffle_seed=shuffle_seed,
                                timestamp=timestamp)


@contextmanager
def running_fake_stripe(*, start: int | None = None, accounts_ready: bool = True
                        ) -> Iterator[FakeStripe]:
    """A fake Stripe serving on 127.0.0.1 (a free port) until the block ends."""
    fake = FakeStripe(start=start, accounts_ready=accounts_ready)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
