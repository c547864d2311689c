"""What the ledger pages show, worked out from the request: the filters as given and what is
wrong with them, each entry's row, an entry laid open with its receipt's proof."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Request

from marketplace.application import Marketplace
from marketplace.audit.ledger_browse import IndexedEntry, LedgerFilter, is_position
from marketplace.audit.ledger_entry import (
    StoredEntry,
    decoded_fields,
    encoding_fields,
    inclusion,
)
from web.i18n import language_of
from web.render import t

#: The query parameters of the ledger's filters, in the order the form has them.
FILTER_NAMES = ("lot", "organisation", "type", "from", "to")
#: The days a time filter may name: the marketplace's ledger lies well within them, and a day
#: near the ends of the calendar would not survive the time zone or the day after it.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


@dataclass
class LedgerQuery:
    """The filters as given (to show them again), what they select, what is wrong."""

    values: dict[str, str]
    filters: LedgerFilter
    errors: dict[str, str] = field(default_factory=dict)
    before: int | None = None

    def link(self, before: int | None = None) -> str:
        """The list with these filters, from ``before`` on."""
        shown = {name: value for name, value in self.values.items() if value}
        if before is not None:
            shown["before"] = str(before)
        return "/audit/ledger" + (f"?{urlencode(shown)}" if shown else "")


def ledger_query(request: Request[Any, Any, Any], raw: dict[str, str | None], zone: str,
                 event_types: list[str]) -> LedgerQuery:
    """Reads the filters; a wrong one is named in ``errors`` (in the page's language)."""
    values = {name: (raw.get(name) or "").strip() for name in FILTER_NAMES}
    errors: dict[str, str] = {}
    lot_id = _uuid(values["lot"])
    if values["lot"] and lot_id is None:
        errors["lot"] = t(request, "A lot is named by its id, e.g. "
                                   "0b9f6c2e-8d4a-4c1e-9a53-2f7d1e6b8c90.")
    organisation_id = _uuid(values["organisation"])
    if values["organisation"] and organisation_id is None:
        errors["organisation"] = t(request, "Choose an organisation from the list.")
    if values["type"] and values["type"] not in event_types:
        errors["type"] = t(request, "Choose an event type from the list.")
    since, until = _day(values["from"], zone), _day(values["to"], zone)
    for name, day in (("from", since), ("to", until)):
        if values[name] and day is None:
            errors[name] = t(request, "Give a date, e.g. 2026-11-20.")
        elif day is not None and not FIRST_DAY <= day.date() <= LAST_DAY:
            errors[name] = t(request, "Give a date from %(first)s to %(last)s.",
                             first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
    if errors.keys() & {"from", "to"}:
        since = until = None
    if since is not None and until is not None and until < since:
        errors["to"] = t(request, "The end of the time range comes before its start.")
    before = _whole(raw.get("before"))
    if raw.get("before") and before is None:
        errors["before"] = t(request, "A ledger position is a whole number from 1.")
    filters = LedgerFilter(lot_id=lot_id, organisation_id=organisation_id,
                           event_type=values["type"] or None, since=since,
                           until=None if until is None else until + timedelta(days=1))
    return LedgerQuery(values, filters, errors, before)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


def _day(text: str, zone: str) -> datetime | None:
    """The start of the day in the member's time zone."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), ZoneInfo(zone)) if text else None
    except ValueError:
        return None


def _whole(text: str | None) -> int | None:
    """A position written in at most 19 ASCII digits (``isdigit`` alone admits ``²``, and
    ``int`` refuses it, and refuses thousands of digits)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or not is_position(int(text)):
        return None
    return int(text)


def entry_row(request: Request[Any, Any, Any], entry: IndexedEntry) -> dict[str, Any]:
    """An entry as a row of the list: its parties by name (none shown while sealed)."""
    english = language_of(request) == "en"
    return {"entry": entry, "parties": [party.name(english=english) for party in entry.parties],
            "seal": entry.seal, "leaf": None if entry.leaf_hash is None else entry.leaf_hash.hex()}


def entry_context(request: Request[Any, Any, Any], marketplace: Marketplace,
                  stored: StoredEntry, indexed: IndexedEntry, *,
                  may_download: bool) -> dict[str, Any]:
    """An entry laid open: decoded (None when it no longer decodes), encoded, its leaf, its
    receipt's proof. A sealed entry shows neither its content nor its length."""
    event_type = stored.topic.partition(":")[2]
    seal = indexed.seal
    earliest = (None if stored.leaf_index is None
                else marketplace.checkpoints.covering(stored.leaf_index, earliest=True))
    try:
        recomputed: str | None = stored.recomputed_hash.hex()
        encoded_length: int | None = len(stored.encoded)
    except struct.error:  # a topic changed past the u16 its length is encoded in
        recomputed = encoded_length = None
    return {
        "stored": stored, "event_type": event_type, "aggregate_type": indexed.aggregate_type,
        "row": entry_row(request, indexed),
        "seal": seal,
        "fields": [] if seal is not None else decoded_fields(marketplace, stored),
        "encoding": encoding_fields(stored, sealed=seal is not None),
        "encoded_length": None if seal is not None else encoded_length,
        "recomputed": recomputed,
        "leaf": None if stored.leaf_hash is None else stored.leaf_hash.hex(),
        "inclusion": inclusion(marketplace, stored), "earliest": earliest,
        "may_download": may_download,
    }
