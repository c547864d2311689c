"""The ledger index: every entry by type, time, lot, RFQ and the organisations party to it.

Auditors filter the ledger by these; receipts are given to the parties of an entry. A party is
an organisation that acts in the entry or is bound by it: the organisation itself for its own
events (and its payout account), the buyer paying or the supplier paid for a lot's payment
entries (filed under their party only, not under the lot), a need's buyer, a lot's organiser
for its opening, a buyer for its commitment, a bid's lead and consortium members for the bid,
an RFQ's buyer and the supplier it deals with. A bid placed or revised is the lead's and the
members its own shares name, not those the bid had before: a member the revision drops is no
party to terms it never agreed to. A sealed offer's parties are its offerors only: a lot's
organiser or an RFQ's buyer is no party to a bid or a quote, so nothing about an offer reaches
them through the index before the round closes.
The lot's (or RFQ's) close, cancellation and clearing bind everyone in the round.

Migration 0009 fills the index from the stored events with the same rules; a test checks both
give the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.domain import Aggregate
from sqlalchemy.engine import Connection

from events import Projectors
from marketplace.readmodels.lot_tables import (
    bid_members,
    bids,
    lot_commitments,
    lot_suppliers,
    lots,
    needs,
)
from marketplace.readmodels.rfq_tables import rfq_questions, rfq_quotes, rfqs
from marketplace.readmodels.tables import UTCDateTime, metadata

ledger_index = sa.Table(
    "ledger_index", metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("aggregate_id", sa.Uuid, nullable=False),
    sa.Column("aggregate_type", sa.String(40), nullable=False),
    sa.Column("event_type", sa.String(80), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False, index=True),
    sa.Column("lot_id", sa.Uuid),
    sa.Column("rfq_id", sa.Uuid),
    sa.Index(None, "event_type", "position"),
    sa.Index(None, "lot_id", "position"),
    sa.Index(None, "rfq_id", "position"),
)

ledger_index_parties = sa.Table(
    "ledger_index_parties", metadata,
    sa.Column("position", sa.BigInteger,
              sa.ForeignKey("ledger_index.position", ondelete="CASCADE"), primary_key=True),
    sa.Column("organisation_id", sa.Uuid, primary_key=True),
    sa.Index(None, "organisation_id", "position"),
)

#: Single organisation ids an event may name, and lists of them.
ONE_PARTY = ("buyer_id", "supplier_id", "organiser_id", "member_id", "party_id")
MANY_PARTIES = ("supplier_ids", "invited", "informed")
#: Lists of documents naming an organisation: (event field, document key).
DOCUMENT_PARTIES = (("shares", "organisation_id"), ("awards", "supplier_id"))
#: Events that end a round: everyone in it is bound by them.
ROUND_ENDS = frozenset({"Lot.Cancelled", "Lot.Closed", "Lot.Allocated", "Rfq.Closed"})
#: Events that name a bid's whole consortium in their own shares.
BID_TERMS_EVENTS = frozenset({"Lot.BidPlaced", "Lot.BidRevised"})
#: Aggregates whose entries are their parties' business alone (a buyer's card, a supplier's
#: payout): not filed under the lot, which everyone in it may browse.
PRIVATE = frozenset({"LotPayments", "PayoutAccount"})
#: Events of an RFQ's sealed quotes: the buyer is no party to them.
QUOTE_EVENTS = frozenset({"Rfq.QuoteSubmitted", "Rfq.QuoteRevised", "Rfq.QuoteReconfirmed",
                          "Rfq.QuoteWithdrawn"})


def register(projectors: Projectors) -> None:
    projectors.owns(ledger_index, ledger_index_parties)
    # On Aggregate.Event, so on every event of every aggregate, and before the projectors of
    # the event's own class: the other read models are read as they stood before the event.
    projectors.on(Aggregate.Event)(_index)


def event_type_of(event: Any) -> str:
    """The event's class as the ledger names it, e.g. ``Lot.BidPlaced``."""
    return str(type(event).__qualname__)


# Statements built once: building and compiling them anew for every event of a replay cost
# more than running them.
_INSERT_ENTRY = sa.insert(ledger_index)
_INSERT_PARTIES = sa.insert(ledger_index_parties)
_ID: sa.BindParameter[Any] = sa.bindparam("id")
_LOOKUPS = {
    "need buyer": sa.select(needs.c.buyer_id).where(needs.c.id == _ID),
    "lot organiser": sa.select(lots.c.organiser_id).where(lots.c.id == _ID),
    "lot buyers": sa.select(lot_commitments.c.buyer_id).where(lot_commitments.c.lot_id == _ID),
    "lot suppliers": sa.select(lot_suppliers.c.supplier_id)
    .where(lot_suppliers.c.lot_id == _ID),
    "commitment buyer": sa.select(lot_commitments.c.buyer_id).where(
        lot_commitments.c.lot_id == _ID,
        lot_commitments.c.need_id == sa.bindparam("need_id")),
    "bid lead": sa.select(bids.c.lead_id).where(bids.c.id == _ID),
    "bid members": sa.select(bid_members.c.organisation_id).where(bid_members.c.bid_id == _ID),
    "rfq buyer": sa.select(rfqs.c.buyer_id).where(rfqs.c.id == _ID),
    "rfq quoters": sa.select(rfq_quotes.c.supplier_id).where(rfq_quotes.c.rfq_id == _ID),
    "quote supplier": sa.select(rfq_quotes.c.supplier_id).where(rfq_quotes.c.id == _ID),
    "asker": sa.select(rfq_questions.c.supplier_id).where(rfq_questions.c.id == _ID),
}


def _index(connection: Connection, event: Any, position: int) -> None:
    event_type = event_type_of(event)
    aggregate_type = event_type.split(".")[0]
    aggregate_id: UUID = event.originator_id
    connection.execute(_INSERT_ENTRY, {
        "position": position, "aggregate_id": aggregate_id, "aggregate_type": aggregate_type,
        "event_type": event_type, "recorded_at": event.timestamp,
        "lot_id": aggregate_id if aggregate_type == "Lot" else (
            None if aggregate_type in PRIVATE else getattr(event, "lot_id", None)),
        "rfq_id": aggregate_id if aggregate_type == "Rfq" else getattr(event, "rfq_id", None)})
    found = parties(connection, event)
    if found:
        connection.execute(_INSERT_PARTIES, [
            {"position": position, "organisation_id": organisation_id}
            for organisation_id in sorted(found, key=str)])


def parties(connection: Connection, event: Any) -> set[UUID]:
    """The organisations party to the event, from its own fields and the read models as they
    stood before it."""
    event_type = event_type_of(event)
    aggregate_type = event_type.split(".")[0]
    fields = vars(event)
    found = set(named_parties(fields))
    aggregate_id: UUID = event.originator_id
    if aggregate_type == "Organisation":
        found.add(aggregate_id)
    elif aggregate_type == "PayoutAccount":
        found.add(fields["organisation_id"])
    elif aggregate_type == "Need" and "buyer_id" not in fields:
        found.update(_look(connection, "need buyer", aggregate_id))
    elif aggregate_type == "Lot":
        found.update(_lot_parties(connection, fields, event_type, aggregate_id))
    elif aggregate_type == "Rfq":
        found.update(_rfq_parties(connection, fields, event_type, aggregate_id))
    return found


def named_parties(fields: dict[str, Any]) -> Iterator[UUID]:
    """The organisations an event's fields name."""
    for name in ONE_PARTY:
        if isinstance(fields.get(name), UUID):
            yield fields[name]
    for name in MANY_PARTIES:
        yield from (value for value in fields.get(name) or () if isinstance(value, UUID))
    for name, key in DOCUMENT_PARTIES:
        for document in fields.get(name) or ():
            if isinstance(document, dict) and isinstance(document.get(key), UUID):
                yield document[key]


def _lot_parties(connection: Connection, fields: dict[str, Any], event_type: str,
                 lot_id: UUID) -> Iterable[UUID]:
    if event_type in ROUND_ENDS:
        for lookup in ("lot organiser", "lot buyers", "lot suppliers"):
            yield from _look(connection, lookup, lot_id)
    bid_id = fields.get("bid_id")
    if isinstance(bid_id, UUID):
        yield from _look(connection, "bid lead", bid_id)
        if event_type not in BID_TERMS_EVENTS:  # those name their members in their shares
            yield from _look(connection, "bid members", bid_id)
    need_id = fields.get("need_id")
    if isinstance(need_id, UUID):
        yield from _look(connection, "commitment buyer", lot_id, need_id=need_id)


def _rfq_parties(connection: Connection, fields: dict[str, Any], event_type: str,
                 rfq_id: UUID) -> Iterable[UUID]:
    if event_type not in QUOTE_EVENTS and "buyer_id" not in fields:
        yield from _look(connection, "rfq buyer", rfq_id)
    if event_type in ROUND_ENDS:
        yield from _look(connection, "rfq quoters", rfq_id)
    for field, lookup in (("quote_id", "quote supplier"), ("question_id", "asker")):
        if isinstance(fields.get(field), UUID):
            yield from _look(connection, lookup, fields[field])


def _look(connection: Connection, lookup: str, key: UUID, **more: Any) -> list[UUID]:
    return [value for value in connection.execute(_LOOKUPS[lookup], {"id": key, **more})
            .scalars() if value is not None]


def aggregates_of_party(connection: Connection, organisation_id: UUID,
                        event_type: str) -> list[UUID]:
    """The aggregates whose entries of ``event_type`` the organisation is party to, oldest
    first: read through the organisation's own rows of the index, never the whole ledger."""
    rows = connection.execute(
        sa.select(ledger_index.c.aggregate_id)
        .join(ledger_index_parties, ledger_index_parties.c.position == ledger_index.c.position)
        .where(ledger_index_parties.c.organisation_id == organisation_id,
               ledger_index.c.event_type == event_type)
        .order_by(ledger_index.c.position))
    return list(dict.fromkeys(rows.scalars()))
