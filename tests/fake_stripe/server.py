"""The fake's HTTP side: a stdlib threading server on loopback that checks the API key, keeps
Stripe's idempotency promises, counts the POSTs that changed something, and, in fault mode,
hangs up after a POST took effect, as a network would that lost the answer."""

from __future__ import annotations

import json
import random
import re
import secrets
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fake_stripe import payouts, stripe_js
from tests.fake_stripe.errors import StripeFault, idempotency_error, unauthenticated
from tests.fake_stripe.forms import parse_form
from tests.fake_stripe.routes import dispatch
from tests.fake_stripe.state import API_VERSION, Store

_BEARER = re.compile(r"^Bearer (sk_test_\S+)$")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    #: Hang up without answering (fault mode): the request took effect, the caller never hears.
    dropped: bool = False


@dataclass(frozen=True)
class _Stored:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes


@dataclass
class Faults:
    """Which successful POSTs lose their answer: ``next_n`` of them, else each with ``rate``."""

    rate: float = 0.0
    next_n: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def drop(self) -> bool:
        if self.next_n > 0:
            self.next_n -= 1
            return True
        return self.rate > 0 and self.rng.random() < self.rate


class Api:
    """Answers requests from the store; one lock makes each request atomic."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.faults = Faults()
        self.mutations = 0
        self.dropped = 0
        self._idempotent: dict[str, _Stored] = {}

    def answer(self, method: str, target: str, headers: dict[str, str], body: str) -> Answer:
        url = urlsplit(target)
        path = unquote(url.path)
        request_id = f"req_{secrets.token_hex(7)}"
        common = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        key = headers.get("idempotency-key") if method == "POST" else None
        if method == "GET" and path.startswith(payouts.ONBOARDING_PATH):
            return self._onboarding_page(path)
        if stripe_js.serves(path):  # the browser's Stripe.js, with the publishable key
            return Answer(*stripe_js.answer(self.store, method, path, url.query, headers, body))
        with self.store.lock:
            try:
                if not _BEARER.match(headers.get("authorization", "")):
                    raise unauthenticated(
                        "Invalid API Key provided: the fake Stripe takes sk_test_... keys, "
                        "sent as 'Authorization: Bearer <key>'.")
                params = parse_form(body if method == "POST" else url.query)
            except StripeFault as fault:
                return Answer(fault.status, _json(fault.body()), common)
            if key is not None:
                common["Idempotency-Key"] = key
                stored = self._idempotent.get(key)
                if stored is not None:
                    return self._replay(stored, method, path, params, key, common)
            self.store.request = {"id": request_id, "idempotency_key": key}
            try:
                status, payload = 200, dispatch(self.store, method, path, params)
            except StripeFault as fault:
                status, payload = fault.status, fault.body()
            finally:
                self.store.request = {"id": None, "idempotency_key": None}
            answer = _json(payload)
            # A 402 is a card decline that left a failed intent behind: Stripe stores it for
            # the key like a success. Refusals (400, 404) changed nothing and are not stored.
            took_effect = method == "POST" and status in (200, 402)
            if took_effect:
                self.mutations += 1
                if key is not None:
                    self._idempotent[key] = _Stored(method, path, params, status, answer)
            dropped = took_effect and status == 200 and self.faults.drop()
            self.dropped += dropped
            return Answer(status, answer, common, dropped=dropped)

    def _onboarding_page(self, path: str) -> Answer:
        """Stripe's hosted onboarding, visited in the supplier's browser (no API key): sends
        the browser on, to the platform's return URL or its refresh URL."""
        with self.store.lock:
            target = payouts.onboarding_page(self.store, self.store.base_url + path)
        html = {"Content-Type": "text/html; charset=utf-8"}
        if target is None:
            return Answer(404, b"<p>This onboarding link does not exist.</p>", html)
        return Answer(302, b"", {**html, "Location": target})

    def _replay(self, stored: _Stored, method: str, path: str, params: dict[str, Any],
                key: str, headers: dict[str, str]) -> Answer:
        if (stored.method, stored.path) != (method, path):
            fault = idempotency_error(
                f"Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{stored.method} {stored.path}' vs '{method} {path}'). "
                f"Try using a key other than '{key}' if you meant to execute a different "
                "request.")
        elif stored.params != params:
            fault = idempotency_error(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.")
        else:
            return Answer(stored.status, stored.body,
                          {**headers, "Idempotent-Replayed": "true"})
        return Answer(fault.status, _json(fault.body()), headers)


class _Handler(BaseHTTPRequestHandler):
    server: Server
    # HTTP/1.0: one request per connection, so a dropped answer is a plain hang-up and no
    # idle keep-alive connection holds a thread when the server shuts down.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_OPTIONS(self) -> None:
        self._serve("OPTIONS")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.api.answer(method, self.path, headers, body)
        if answer.dropped:
            self.close_connection = True
            return
        self.send_response(answer.status)
        headers = {"Content-Type": "application/json", **answer.headers}
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests' output is for the tests


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, api: Api) -> None:
        self.api = api
        super().__init__(("127.0.0.1", 0), _Handler)


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=2).encode("utf-8")
