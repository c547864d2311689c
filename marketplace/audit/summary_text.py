"""The words of the timeline: a summary is an English message with named placeholders (the
message id of its translation) and its values, so the command line prints it in English and
the pages in their language; names, quantities and prices written the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

#: Organisations looked up per query when a page names many of them.
PREFETCH_BATCH = 500


def message(text: str) -> str:
    """Marks ``text`` as a summary's message, for the catalogs (a test extracts every
    ``message("...")`` of the summary modules and checks it is translated)."""
    return text


@dataclass(frozen=True)
class Summary:
    """``message`` (English, with %(name)s placeholders) filled with ``values``."""

    message: str
    values: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % dict(self.values) if self.values else self.message


class OrganisationNames:
    """Organisations' names as the organisations read model holds them, each looked up once;
    ``english`` prefers the English name."""

    def __init__(self, app: Any, *, english: bool = False) -> None:
        self._organisations = app.organisations
        self._english = english
        self._known: dict[UUID, str] = {}

    def __call__(self, organisation_id: UUID) -> str:
        if organisation_id not in self._known:
            self._remember(organisation_id, self._organisations.get(organisation_id))
        return self._known[organisation_id]

    def prefetch(self, ids: Iterable[UUID]) -> None:
        """Looks up these organisations' names in batches rather than one by one."""
        wanted = list(dict.fromkeys(i for i in ids if i not in self._known))
        for start in range(0, len(wanted), PREFETCH_BATCH):
            batch = wanted[start:start + PREFETCH_BATCH]
            found = {view.id: view for view in
                     self._organisations.search(ids=batch, limit=len(batch))}
            for organisation_id in batch:
                self._remember(organisation_id, found.get(organisation_id))

    def _remember(self, organisation_id: UUID, view: Any) -> None:
        names = () if view is None else ((view.name_en, view.name_ja) if self._english
                                         else (view.name_ja, view.name_en))
        self._known[organisation_id] = next((n for n in names if n), str(organisation_id))

    def all(self, ids: Iterable[UUID]) -> str:
        return ", ".join(self(organisation_id) for organisation_id in ids)


class SummaryContext:
    """What summarising one record's events in order remembers: whether its sealed offers may
    be shown, the lot's unit, and who later events refer to (the buyer of a need pooled
    earlier, the supplier of a bid or quote made earlier)."""

    def __init__(self, names: OrganisationNames, revealed: bool) -> None:
        self.names = names
        self.revealed = revealed
        self.unit = ""
        self.buyers: dict[UUID, UUID] = {}
        """Need id -> its buyer."""
        self.leads: dict[UUID, UUID] = {}
        """Bid or quote id -> the supplier that made it."""

    def buyer(self, need_id: UUID) -> str:
        buyer = self.buyers.get(need_id)
        return self.names(buyer) if buyer is not None else str(need_id)

    def lead(self, offer_id: UUID) -> str:
        lead = self.leads.get(offer_id)
        return self.names(lead) if lead is not None else str(offer_id)


Describer = Callable[[SummaryContext, Any], Summary]


def quantity(value: Any) -> str:
    """1,400 for Decimal('1400.000'): separators, no trailing zeros."""
    text = format(Decimal(str(value)), ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def yen(value: Any) -> str:
    return f"¥{quantity(value)}"


def tiers(data: list[dict[str, Any]], unit: str) -> str:
    """All-units price breaks: "¥200 (≥ 100 kg) / ¥180 (≥ 1,000 kg)"."""
    return " / ".join(f"{yen(b['unit_price'])} (≥ {quantity(b['from_quantity'])} {unit})"
                      for b in data)
