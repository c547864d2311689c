"""The ledger index (entries by type, time, lot, RFQ and party) and the runs of verify.

The index is a read model, and is filled here from the entries already recorded, so that an
upgraded deployment can browse its whole ledger (and passes verify's read-model check) at
once, without a `marketplace replay`. It is filled from the stored events' topics and JSON
state, whose format is stable, and not through the marketplace's code, which a migration must
not depend on: the rules of ``marketplace/readmodels/ledger_index.py`` are restated below as
they stand at this revision, following the other read models with dictionaries where the
projector reads them (a test checks both give the same rows).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import op
from sqlalchemy_utils.types.uuid import UUIDType

INSTANT = sa.DateTime(timezone=True)
BATCH = 5_000

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_PARTY = ("buyer_id", "supplier_id", "organiser_id", "member_id", "party_id")
#: Filed under their parties only, not the lot (marketplace/readmodels/ledger_index.py).
PRIVATE = frozenset({"LotPayments", "PayoutAccount"})
MANY_PARTIES = ("supplier_ids", "invited", "informed")
DOCUMENT_PARTIES = (("shares", "organisation_id"), ("awards", "supplier_id"))
ROUND_ENDS = frozenset({"Lot.Cancelled", "Lot.Closed", "Lot.Allocated", "Rfq.Closed"})
BID_TERMS_EVENTS = frozenset({"Lot.BidPlaced", "Lot.BidRevised"})
QUOTE_EVENTS = frozenset({"Rfq.QuoteSubmitted", "Rfq.QuoteRevised", "Rfq.QuoteReconfirmed",
                          "Rfq.QuoteWithdrawn"})


def upgrade() -> None:
    index = op.create_table(
        "ledger_index",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=True),
        sa.Column("rfq_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("position", name="pk_ledger_index"),
    )
    parties = op.create_table(
        "ledger_index_parties",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["position"], ["ledger_index.position"], ondelete="CASCADE",
                                name="fk_ledger_index_parties_position_ledger_index"),
        sa.PrimaryKeyConstraint("position", "organisation_id", name="pk_ledger_index_parties"),
    )
    op.create_table(
        "audit_verify_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("phase", sa.String(length=40), nullable=False),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("finished_at", INSTANT, nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("problem_position", sa.BigInteger(), nullable=True),
        sa.Column("problem_text", sa.Text(), nullable=True),
        sa.Column("phases_json", sa.JSON(), nullable=True),
        sa.Column("running", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_verify_runs"),
        sa.UniqueConstraint("running", name="uq_audit_verify_runs_running"),
    )
    op.create_index("ix_audit_verify_runs_started_at", "audit_verify_runs", ["started_at"])
    _fill(index, parties)
    op.create_index("ix_ledger_index_recorded_at", "ledger_index", ["recorded_at"])
    op.create_index("ix_ledger_index_event_type_position", "ledger_index",
                    ["event_type", "position"])
    op.create_index("ix_ledger_index_lot_id_position", "ledger_index", ["lot_id", "position"])
    op.create_index("ix_ledger_index_rfq_id_position", "ledger_index", ["rfq_id", "position"])
    op.create_index("ix_ledger_index_parties_organisation_id_position", "ledger_index_parties",
                    ["organisation_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_audit_verify_runs_started_at", table_name="audit_verify_runs")
    op.drop_table("audit_verify_runs")
    op.drop_index("ix_ledger_index_parties_organisation_id_position",
                  table_name="ledger_index_parties")
    op.drop_table("ledger_index_parties")
    for name in ("rfq_id_position", "lot_id_position", "event_type_position", "recorded_at"):
        op.drop_index(f"ix_ledger_index_{name}", table_name="ledger_index")
    op.drop_table("ledger_index")


# ---- filling the index from the stored events ------------------------------------------------

def _fill(index: sa.Table, parties: sa.Table) -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    rounds = _Rounds()
    for rows in _batches(connection):
        entries, party_rows = [], []
        for position, aggregate_id, topic, state in rows:
            event_type = topic.partition(":")[2]
            aggregate_type = event_type.split(".")[0]
            fields = json.loads(bytes(state), object_hook=_decode)
            recorded_at = fields["timestamp"].astimezone(UTC)
            entries.append({
                "position": position, "aggregate_id": aggregate_id,
                "aggregate_type": aggregate_type, "event_type": event_type,
                "recorded_at": recorded_at.replace(tzinfo=None) if sqlite else recorded_at,
                "lot_id": aggregate_id if aggregate_type == "Lot" else (
                    None if aggregate_type in PRIVATE else fields.get("lot_id")),
                "rfq_id": aggregate_id if aggregate_type == "Rfq" else fields.get("rfq_id")})
            found = rounds.parties(event_type, aggregate_id, fields)
            party_rows += [{"position": position, "organisation_id": organisation_id}
                           for organisation_id in sorted(found, key=str)]
            rounds.apply(event_type, aggregate_id, fields)
        connection.execute(index.insert(), entries)
        if party_rows:
            connection.execute(parties.insert(), party_rows)


def _batches(connection: sa.Connection) -> Iterator[list[Any]]:
    events = sa.table("ledger_events", sa.column("id"),
                      sa.column("originator_id", UUIDType(binary=True)),
                      sa.column("topic"), sa.column("state", sa.LargeBinary()))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(events.c.id, events.c.originator_id, events.c.topic, events.c.state)
            .where(events.c.id > last).order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield [(row[0], UUID(str(row[1])), row[2], row[3]) for row in rows]
        last = rows[-1][0]


def _decode(document: dict[str, Any]) -> Any:
    """eventsourcing's JSON transcodings: UUIDs and instants decoded, the rest left as text."""
    if set(document) == {"_type_", "_data_"}:
        if document["_type_"] == "uuid_hex":
            return UUID(document["_data_"])
        if document["_type_"] == "datetime_iso":
            return datetime.fromisoformat(document["_data_"])
        return document["_data_"]
    return document


class _Rounds:
    """What the projector reads from the other read models, kept as the events go by."""

    def __init__(self) -> None:
        self.need_buyer: dict[UUID, UUID] = {}
        self.lot_organiser: dict[UUID, UUID] = {}
        self.commitments: dict[UUID, dict[UUID, UUID]] = {}
        self.lot_suppliers: dict[UUID, set[UUID]] = {}
        self.bid_lead: dict[UUID, UUID] = {}
        self.bid_members: dict[UUID, set[UUID]] = {}
        self.rfq_buyer: dict[UUID, UUID] = {}
        self.quote_supplier: dict[UUID, UUID] = {}
        self.rfq_quoters: dict[UUID, set[UUID]] = {}
        self.askers: dict[UUID, UUID] = {}

    def parties(self, event_type: str, aggregate_id: UUID, fields: dict[str, Any]) -> set[UUID]:
        found = set(_named(fields))
        kind = event_type.split(".")[0]
        if kind == "Organisation":
            found.add(aggregate_id)
        elif kind == "PayoutAccount":
            found.add(fields["organisation_id"])
        elif kind == "Need" and "buyer_id" not in fields:
            found.update(_some(self.need_buyer.get(aggregate_id)))
        elif kind == "Lot":
            if event_type in ROUND_ENDS:
                found.update(_some(self.lot_organiser.get(aggregate_id)))
                found.update(self.commitments.get(aggregate_id, {}).values())
                found.update(self.lot_suppliers.get(aggregate_id, set()))
            if isinstance(fields.get("bid_id"), UUID):
                found.update(_some(self.bid_lead.get(fields["bid_id"])))
                if event_type not in BID_TERMS_EVENTS:  # those name their members in shares
                    found.update(self.bid_members.get(fields["bid_id"], set()))
            if isinstance(fields.get("need_id"), UUID):
                found.update(_some(self.commitments.get(aggregate_id, {}).get(fields["need_id"])))
        elif kind == "Rfq":
            if event_type not in QUOTE_EVENTS and "buyer_id" not in fields:
                found.update(_some(self.rfq_buyer.get(aggregate_id)))
            if event_type in ROUND_ENDS:
                found.update(self.rfq_quoters.get(aggregate_id, set()))
            if isinstance(fields.get("quote_id"), UUID):
                found.update(_some(self.quote_supplier.get(fields["quote_id"])))
            if isinstance(fields.get("question_id"), UUID):
                found.update(_some(self.askers.get(fields["question_id"])))
        return found

    def apply(self, event_type: str, aggregate_id: UUID, fields: dict[str, Any]) -> None:
        """The changes the lot and RFQ projectors make to what ``parties`` reads."""
        if event_type == "Need.Posted":
            self.need_buyer[aggregate_id] = fields["buyer_id"]
        elif event_type == "Lot.Opened":
            self.lot_organiser[aggregate_id] = fields["organiser_id"]
        elif event_type == "Lot.NeedPooled":
            self.commitments.setdefault(aggregate_id, {})[fields["need_id"]] = fields["buyer_id"]
        elif event_type == "Lot.CommitmentWithdrawn":
            self.commitments.get(aggregate_id, {}).pop(fields["need_id"], None)
        elif event_type == "Lot.SupplierJoined":
            self.lot_suppliers.setdefault(aggregate_id, set()).add(fields["supplier_id"])
        elif event_type == "Lot.BidPlaced":
            self.bid_lead[fields["bid_id"]] = fields["supplier_id"]
            self.bid_members[fields["bid_id"]] = _shares(fields)
        elif event_type == "Lot.BidRevised":
            self.bid_members[fields["bid_id"]] = _shares(fields)
        elif event_type == "Rfq.Issued":
            self.rfq_buyer[aggregate_id] = fields["buyer_id"]
        elif event_type == "Rfq.QuoteSubmitted":
            self.quote_supplier[fields["quote_id"]] = fields["supplier_id"]
            self.rfq_quoters.setdefault(aggregate_id, set()).add(fields["supplier_id"])
        elif event_type == "Rfq.QuestionAsked":
            self.askers[fields["question_id"]] = fields["supplier_id"]


def _named(fields: dict[str, Any]) -> Iterator[UUID]:
    for name in ONE_PARTY:
        if isinstance(fields.get(name), UUID):
            yield fields[name]
    for name in MANY_PARTIES:
        yield from (value for value in fields.get(name) or () if isinstance(value, UUID))
    for name, key in DOCUMENT_PARTIES:
        for document in fields.get(name) or ():
            if isinstance(document, dict) and isinstance(document.get(key), UUID):
                yield document[key]


def _shares(fields: dict[str, Any]) -> set[UUID]:
    return {share["organisation_id"] for share in fields.get("shares") or ()}


def _some(value: UUID | None) -> set[UUID]:
    return set() if value is None else {value}
