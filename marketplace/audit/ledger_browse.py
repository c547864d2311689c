"""Browsing the ledger: its entries newest first, filtered by lot, organisation, event type and
time, a page at a time; which entries an auditor's organisation may see, and who may have an
entry's receipt.

Read from the ledger index (``marketplace.readmodels.ledger_index``) and the leaves. A sealed
entry keeps its type, time and round but not its parties, and an organisation filter does not
match it: who made an offer is part of what is sealed.

What an auditor sees. Any organisation's admin can make its own members auditors, so an
auditor sees what its organisation may see, as on the time-travel pages: the entries of the
lots open to it (the lot queries' visibility, ``Viewer``), of the RFQs it issued, was invited
to or quoted on, the entries it is party to, and every organisation's public profile
(registered, updated, supplier profile published; not another's API tokens).

Who may have a receipt. A receipt holds the entry's whole stored content, so it is a record of
one's own commitment: a member or API token has the receipts of the entries its organisation
made or is bound by as an offeror or a committer (its own events and needs, the lot it
opened, its commitments, the bids it leads or is named in by their own shares, its quotes and
questions, and, as an RFQ's buyer, the RFQ's entries but its suppliers' quotes and questions),
its own sealed offers included. The end of a round (``Lot.Closed``, ``Lot.Cancelled``,
``Lot.Allocated``, ``Rfq.Closed``, ``Rfq.Cancelled``) records what everyone in it put in, the
buyers' limits and the bids, and is nobody's own; an award and its purchase order list every
supplier's prices, and are the buyer's alone. An auditor has, besides, the receipt of any
entry it may see that is not sealed now.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.domain import Aggregate
from sqlalchemy.engine import Connection

from events import LedgerApplication, reading
from events.integrity_tables import leaves
from marketplace.audit.sealing import EntryKey, Seal, sealed_clause, seals
from marketplace.domain import Organisation
from marketplace.domain.lot import Lot
from marketplace.domain.need import Need
from marketplace.domain.payments import LotPayments, PayoutAccount
from marketplace.domain.rfq import Rfq
from marketplace.readmodels.ledger_index import QUOTE_EVENTS, ledger_index, ledger_index_parties
from marketplace.readmodels.lot_queries import Viewer, open_to, takes_part
from marketplace.readmodels.lot_tables import lots
from marketplace.readmodels.rfq_tables import rfq_invitations, rfq_quotes, rfqs
from marketplace.readmodels.tables import organisations

#: The aggregates whose events the ledger holds.
AGGREGATES: tuple[type[Aggregate], ...] = (Organisation, Need, Lot, Rfq, LotPayments,
                                           PayoutAccount)
PAGE_SIZE = 50
#: Positions are BIGINT: a number past it names no entry (and must not reach the database).
MAX_POSITION = 2**63 - 1
#: The most organisations offered in the filter's list.
ORGANISATIONS_LIMIT = 2000
#: An organisation's public profile: every auditor may see it.
PUBLIC_PROFILE_EVENTS = frozenset({"Organisation.Registered", "Organisation.ProfileUpdated",
                                   "Organisation.SupplierProfilePublished"})
#: The ends of rounds: what everyone in the round put in, nobody's own commitment.
ROUND_ENDS = frozenset({"Lot.Closed", "Lot.Cancelled", "Lot.Allocated", "Rfq.Closed",
                        "Rfq.Cancelled"})
#: An RFQ's entries its suppliers make; the buyer makes the others.
SUPPLIERS_RFQ_ENTRIES = QUOTE_EVENTS | {"Rfq.QuestionAsked"}


@dataclass(frozen=True)
class LedgerFilter:
    """Each given field narrows the list; ``until`` is exclusive."""

    lot_id: UUID | None = None
    organisation_id: UUID | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Party:
    id: UUID
    name_ja: str | None
    name_en: str | None

    def name(self, *, english: bool = False) -> str:
        names = (self.name_en, self.name_ja) if english else (self.name_ja, self.name_en)
        return next((n for n in names if n), str(self.id))


@dataclass(frozen=True)
class IndexedEntry:
    """One entry as the index and the leaves know it; ``parties`` empty while sealed."""

    position: int
    aggregate_id: UUID
    aggregate_type: str
    event_type: str
    recorded_at: datetime
    lot_id: UUID | None
    rfq_id: UUID | None
    leaf_hash: bytes | None
    seal: Seal | None = None
    parties: tuple[Party, ...] = field(default=())

    @property
    def key(self) -> EntryKey:
        return EntryKey(self.position, self.event_type, self.aggregate_type, self.aggregate_id)


@dataclass(frozen=True)
class LedgerPage:
    entries: list[IndexedEntry]
    next_before: int | None
    """The ``before`` of the next page, None on the last one."""


def is_position(value: int) -> bool:
    """Whether ``value`` could be a ledger position at all."""
    return 1 <= value <= MAX_POSITION


def event_types() -> list[str]:
    """Every type of event the ledger may hold, e.g. ``Lot.BidPlaced``, sorted."""
    return sorted(value.__qualname__ for aggregate in AGGREGATES
                  for name, value in vars(aggregate).items()
                  if isinstance(value, type) and issubclass(value, Aggregate.Event)
                  and name not in ("Event", "Created"))


class LedgerBrowser:
    """The queries of the auditors' ledger pages and of receipts."""

    def __init__(self, app: LedgerApplication) -> None:
        self.engine = app.engine

    def page(self, filters: LedgerFilter, viewer: Viewer, *, before: int | None = None,
             limit: int = PAGE_SIZE) -> LedgerPage:
        """The entries ``viewer`` may see before position ``before`` (all, without it), newest
        first."""
        query = (_select().where(visible_to(viewer))
                 .order_by(ledger_index.c.position.desc()).limit(limit + 1))
        if before is not None:
            query = query.where(ledger_index.c.position < before)
        query = _filtered(query, filters)
        with reading(self.engine) as connection:
            rows = connection.execute(query).all()
            more = len(rows) > limit
            entries = _completed(connection, [_entry(row) for row in rows[:limit]])
        return LedgerPage(entries, entries[-1].position if more and entries else None)

    def entry(self, position: int, viewer: Viewer) -> IndexedEntry | None:
        """The entry, if ``viewer`` may see it (None for any other, as for a missing one)."""
        if not is_position(position):
            return None
        with reading(self.engine) as connection:
            row = connection.execute(_select().where(ledger_index.c.position == position,
                                                     visible_to(viewer))).first()
            return None if row is None else _completed(connection, [_entry(row)])[0]

    def is_party(self, position: int, organisation_id: UUID) -> bool:
        if not is_position(position):
            return False
        with reading(self.engine) as connection:
            return connection.execute(sa.select(ledger_index_parties.c.position).where(
                ledger_index_parties.c.position == position,
                ledger_index_parties.c.organisation_id == organisation_id)).first() is not None

    def may_have_receipt(self, position: int, organisation_id: UUID, *,
                         auditor: Viewer | None = None) -> bool:
        """Whether the organisation may have the entry's receipt (see the module's
        docstring); ``auditor``: the organisation as the lot queries see it, when the one
        asking holds the auditor role. False for a missing entry."""
        if not is_position(position):
            return False
        with reading(self.engine) as connection:
            if _is_own(connection, position, organisation_id):
                return True
            if auditor is None:
                return False
            row = connection.execute(_select().where(ledger_index.c.position == position,
                                                     visible_to(auditor))).first()
            return row is not None and not seals(connection, [_entry(row).key])

    def organisations(self, limit: int = ORGANISATIONS_LIMIT) -> list[Party]:
        """The organisations to filter by, by name."""
        name = sa.func.coalesce(organisations.c.name_ja, organisations.c.name_en)
        with reading(self.engine) as connection:
            return [Party(row.id, row.name_ja, row.name_en) for row in connection.execute(
                sa.select(organisations.c.id, organisations.c.name_ja, organisations.c.name_en)
                .order_by(name, organisations.c.id).limit(limit))]



def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The rows of ``ledger_index`` the viewer's organisation may see: its lots' and RFQs',
    its own, and the organisations' public profiles."""
    me = viewer.organisation_id
    # The lot pages' own test of a lot open to the organisation (time travel uses the same).
    open_lots = sa.select(lots.c.id).where(sa.or_(open_to(viewer), takes_part(viewer)))
    known_rfqs = sa.select(rfqs.c.id).where(sa.or_(
        rfqs.c.buyer_id == me,
        sa.exists().where(rfq_invitations.c.rfq_id == rfqs.c.id,
                          rfq_invitations.c.supplier_id == me),
        sa.exists().where(rfq_quotes.c.rfq_id == rfqs.c.id, rfq_quotes.c.supplier_id == me)))
    # An alias: the organisation filter joins the parties table itself.
    mine = ledger_index_parties.alias("mine")
    return sa.or_(
        ledger_index.c.event_type.in_(sorted(PUBLIC_PROFILE_EVENTS)),
        ledger_index.c.lot_id.in_(open_lots),
        ledger_index.c.rfq_id.in_(known_rfqs),
        sa.exists().where(mine.c.position == ledger_index.c.position,
                          mine.c.organisation_id == me))


def _is_own(connection: Connection, position: int, organisation_id: UUID) -> bool:
    """The organisation made the entry or is bound by it as an offeror or a committer."""
    row = connection.execute(
        sa.select(ledger_index.c.event_type, ledger_index.c.aggregate_type, rfqs.c.buyer_id)
        .select_from(ledger_index.join(ledger_index_parties, sa.and_(
            ledger_index_parties.c.position == ledger_index.c.position,
            ledger_index_parties.c.organisation_id == organisation_id))
            .outerjoin(rfqs, rfqs.c.id == ledger_index.c.rfq_id))
        .where(ledger_index.c.position == position)).first()
    if row is None or row.event_type in ROUND_ENDS:
        return False
    if row.aggregate_type != "Rfq":
        return True
    is_buyer = bool(row.buyer_id == organisation_id)
    return not is_buyer if row.event_type in SUPPLIERS_RFQ_ENTRIES else is_buyer


def _select() -> sa.Select[Any]:
    return (sa.select(ledger_index, leaves.c.leaf_hash)
            .select_from(ledger_index.outerjoin(leaves,
                                                leaves.c.position == ledger_index.c.position)))


def _filtered(query: sa.Select[Any], filters: LedgerFilter) -> sa.Select[Any]:
    if filters.lot_id is not None:
        query = query.where(ledger_index.c.lot_id == filters.lot_id)
    if filters.event_type is not None:
        query = query.where(ledger_index.c.event_type == filters.event_type)
    if filters.since is not None:
        query = query.where(ledger_index.c.recorded_at >= filters.since)
    if filters.until is not None:
        query = query.where(ledger_index.c.recorded_at < filters.until)
    if filters.organisation_id is not None:
        query = query.join(ledger_index_parties, sa.and_(
            ledger_index_parties.c.position == ledger_index.c.position,
            ledger_index_parties.c.organisation_id == filters.organisation_id)
        ).where(~sealed_clause())
    return query


def _entry(row: Any) -> IndexedEntry:
    return IndexedEntry(
        position=int(row.position), aggregate_id=row.aggregate_id,
        aggregate_type=row.aggregate_type, event_type=row.event_type,
        recorded_at=row.recorded_at, lot_id=row.lot_id, rfq_id=row.rfq_id,
        leaf_hash=None if row.leaf_hash is None else bytes(row.leaf_hash))


def _completed(connection: Connection, entries: list[IndexedEntry]) -> list[IndexedEntry]:
    """The entries with their seals, and their parties unless sealed."""
    if not entries:
        return []
    sealed = seals(connection, (entry.key for entry in entries))
    shown = [entry.position for entry in entries if entry.position not in sealed]
    parties: dict[int, list[Party]] = {}
    if shown:
        for row in connection.execute(
                sa.select(ledger_index_parties.c.position, ledger_index_parties.c.organisation_id,
                          organisations.c.name_ja, organisations.c.name_en)
                .select_from(ledger_index_parties.outerjoin(
                    organisations,
                    organisations.c.id == ledger_index_parties.c.organisation_id))
                .where(ledger_index_parties.c.position.in_(shown))
                .order_by(ledger_index_parties.c.position, ledger_index_parties.c.organisation_id)):
            parties.setdefault(int(row.position), []).append(
                Party(row.organisation_id, row.name_ja, row.name_en))
    return [replace(entry, seal=sealed.get(entry.position),
                    parties=tuple(parties.get(entry.position, []))) for entry in entries]
