"""One line per ledger event, in words an auditor reads: "pooled 500 kg by 高崎プレス".

While a lot or an RFQ has not closed, its bids and quotes are summarised without who made
them or what they offer: sealed means sealed, to auditors too.
"""

from __future__ import annotations

from typing import Any

from marketplace.audit.lot_summaries import LOT_EVENTS
from marketplace.audit.record_summaries import RECORD_EVENTS
from marketplace.audit.summary_text import OrganisationNames, Summary, SummaryContext

#: The summary of each event class the ledger holds, by its name (``Lot.NeedPooled``).
DESCRIBERS = {**LOT_EVENTS, **RECORD_EVENTS}


class Summariser(SummaryContext):
    """Summarises one record's events, in the order of the ledger."""

    def __call__(self, event: Any) -> Summary:
        kind = type(event).__qualname__
        describe = DESCRIBERS.get(kind)
        if describe is None:
            return Summary(kind)  # an event newer than this code: named, not described
        return describe(self, event)


__all__ = ["DESCRIBERS", "OrganisationNames", "Summariser", "Summary"]
