"""What the fake Stripe holds: its objects (as the JSON Stripe would send), their order, the
events, the clock, and the list, search and expand rules every endpoint shares.

Every read and write happens under ``Store.lock``; objects are plain dicts, copied whenever they
leave the store (responses, event snapshots) so a later change never rewrites an earlier answer.
"""

from __future__ import annotations

import copy
import itertools
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import stripe

from tests.fake_stripe.cards import Card
from tests.fake_stripe.errors import invalid, missing

Obj = dict[str, Any]

#: The API version the fake answers in (the SDK's own: the version Stripe would answer it in).
API_VERSION = stripe.api_version

_KINDS = {"pi": "payment_intent", "ch": "charge", "cus": "customer", "pm": "payment_method",
          "seti": "setup_intent", "re": "refund", "tr": "transfer", "acct": "account",
          "evt": "event"}
_TERM = re.compile(r"^(?:metadata\['(?P<key>[^']+)'\]|(?P<field>[a-z_]+)):'(?P<value>[^']*)'$")
_SEARCHABLE = ("status", "customer", "currency")


@dataclass
class Store:
    now: int
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, Obj] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)
    events: list[Obj] = field(default_factory=list)
    #: What the fake knows and Stripe does not show: each PaymentMethod's test card, and
    #: which customer-less PaymentMethods were already spent (Stripe refuses them again).
    cards: dict[str, Card] = field(default_factory=dict)
    spent: set[str] = field(default_factory=set)
    #: Connected accounts ready for transfers when made (else only after onboarding), and
    #: ready as soon as their onboarding page is visited (else only once told so).
    accounts_ready: bool = True
    checks_pass_at_once: bool = True
    #: Account links by URL (Stripe's have no id), and where the server answers.
    links: dict[str, Obj] = field(default_factory=dict)
    base_url: str = ""
    #: The request being served, for the events it causes (``request.idempotency_key``).
    request: dict[str, str | None] = field(
        default_factory=lambda: {"id": None, "idempotency_key": None})
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._counter):06d}{secrets.token_hex(6)}"

    def add(self, obj: Obj) -> Obj:
        """Stores a new object (with ``id``, ``object``, ``created`` and ``livemode`` filled in
        first, as Stripe orders them)."""
        prefix = next(p for p, kind in _KINDS.items() if kind == obj["object"])
        made = {"id": self.new_id(prefix), "object": obj.pop("object"), "created": self.now,
                "livemode": False, **obj}
        self.objects[made["id"]] = made
        self.order.setdefault(made["object"], []).append(made["id"])
        return made

    def get(self, kind: str, object_id: str, *, param: str | None = None) -> Obj:
        found = self.objects.get(object_id)
        if found is None or found["object"] != kind:
            raise missing(kind, object_id, param=param)
        return found

    def emit(self, event_type: str, obj: Obj) -> None:
        event = self.add({
            "object": "event", "api_version": API_VERSION, "type": event_type,
            "data": {"object": copy.deepcopy(obj)}, "pending_webhooks": 1,
            "request": dict(self.request)})
        self.events.append(event)

    def all(self, kind: str) -> list[Obj]:
        """Every object of a kind, newest first (Stripe's order for lists and search)."""
        return [self.objects[i] for i in reversed(self.order.get(kind, []))]

    def page(self, kind: str, url: str, *, limit: int, starting_after: str | None,
             ending_before: str | None, keep: Callable[[Obj], bool]) -> Obj:
        """A list object: ``limit`` objects after ``starting_after`` (or before
        ``ending_before``) in newest-first order, and whether more follow."""
        rows = [obj for obj in self.all(kind) if keep(obj)]
        if starting_after is not None:
            self.get(kind, starting_after, param="starting_after")
            rows = [row for row in rows if _seq(row["id"]) < _seq(starting_after)]
            chosen = rows[:limit]
        elif ending_before is not None:
            self.get(kind, ending_before, param="ending_before")
            rows = [row for row in rows if _seq(row["id"]) > _seq(ending_before)]
            chosen = rows[-limit:]
        else:
            chosen = rows[:limit]
        return {"object": "list", "data": copy.deepcopy(chosen), "has_more": len(rows) > limit,
                "url": url}

    def search(self, kind: str, url: str, query: str, *, limit: int, page: str | None) -> Obj:
        """A search result for ``metadata['k']:'v'`` (or ``status``/``customer``/``currency``
        terms) joined by AND; ``next_page`` is the token for the page after this one."""
        terms = [self._term(term) for term in re.split(r"\s+AND\s+", query.strip(), flags=re.I)]
        rows = [obj for obj in self.all(kind) if all(test(obj) for test in terms)]
        if page is not None:
            cursor = page.removeprefix("page_")
            if not page.startswith("page_") or cursor not in self.objects:
                raise invalid(f"Invalid page: {page}", param="page")
            rows = [row for row in rows if _seq(row["id"]) < _seq(cursor)]
        chosen, more = rows[:limit], len(rows) > limit
        return {"object": "search_result", "data": copy.deepcopy(chosen), "has_more": more,
                "next_page": f"page_{chosen[-1]['id']}" if more else None, "url": url}

    @staticmethod
    def _term(term: str) -> Callable[[Obj], bool]:
        match = _TERM.match(term.strip())
        if match is None or (match["field"] and match["field"] not in _SEARCHABLE):
            raise invalid(
                f"The fake Stripe cannot search for {term!r}: it knows metadata['key']:'value' "
                f"and {', '.join(_SEARCHABLE)}:'value', joined by AND", param="query")
        key, name, value = match["key"], match["field"], match["value"]
        if key is not None:
            return lambda obj: obj.get("metadata", {}).get(key) == value
        return lambda obj: obj.get(name) == value

    def expand(self, obj: Obj, paths: Iterable[str]) -> Obj:
        """A copy of ``obj`` with each dotted path's id replaced by that object."""
        expanded = copy.deepcopy(obj)
        for path in paths:
            self._expand(expanded, path.split("."))
        return expanded

    def _expand(self, node: Any, path: list[str]) -> None:
        if not path or not isinstance(node, dict):
            return
        head, rest = path[0], path[1:]
        if head == "data" and isinstance(node.get("data"), list):
            for item in node["data"]:
                self._expand(item, rest)
            return
        value = node.get(head)
        if isinstance(value, str) and value in self.objects:
            node[head] = value = copy.deepcopy(self.objects[value])
        elif head not in node:
            raise invalid(f"This property cannot be expanded ({head}).", param="expand")
        self._expand(value, rest)


def _seq(object_id: str) -> int:
    """When an object was made, from its id (ids are numbered in one sequence)."""
    return int(object_id.split("_", 1)[1][:6])
