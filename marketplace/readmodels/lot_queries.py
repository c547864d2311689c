"""Reads of needs, lots, commitments and bids, each as one organisation may see them.

Before close a bid is visible to its lead and the members of its consortium only; everyone
eligible for a lot sees its pooled quantity, number of buyers and progress toward the
announced thresholds, never a price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events import reading
from marketplace.readmodels.eligibility_sql import admits, has_prefectures
from marketplace.readmodels.lot_tables import (
    bid_members,
    bids,
    lot_commitments,
    lot_prefectures,
    lot_suppliers,
    lots,
    needs,
)
from marketplace.readmodels.tables import organisation_clusters, organisations


@dataclass(frozen=True)
class Viewer:
    """The organisation a read is for: what decides which lots and bids it may see."""

    organisation_id: UUID
    prefecture: str
    clusters: frozenset[str]


@dataclass(frozen=True)
class NeedView:
    id: UUID
    buyer_id: UUID
    category: str
    specification: str
    unit: str
    quantity: Decimal
    needed_by: date
    delivery_prefecture: str
    max_unit_price: Decimal | None
    status: str
    """open, pooled (in ``lot_id``), rfq (a line of ``rfq_id``) or withdrawn."""
    lot_id: UUID | None
    version: int
    position: int
    """The ledger position of the need's last event."""
    posted_at: datetime
    updated_at: datetime
    rfq_id: UUID | None


@dataclass(frozen=True)
class ThresholdProgress:
    """How far the pooled quantity has come toward the announced volume thresholds."""

    reached: list[Decimal]
    next_threshold: Decimal | None
    to_next: Decimal | None
    """How much more must be pooled to reach the next threshold."""
    fraction: float
    """Pooled quantity over the largest threshold, capped at 1 (for a progress bar)."""


@dataclass(frozen=True)
class LotView:
    id: UUID
    organiser_id: UUID
    category: str
    specification: str
    unit: str
    currency: str
    closes_at: datetime
    status: str
    """open, closed (by the clock, even before the close is recorded) or cancelled."""
    cancel_reason: str | None
    cluster: str | None
    prefectures: list[str]
    thresholds: list[Decimal]
    pooled_quantity: Decimal
    buyer_count: int
    supplier_count: int
    progress: ThresholdProgress
    opened_at: datetime
    closed_at: datetime | None
    version: int
    max_suppliers: int | None
    allocated_at: datetime | None
    """When the clearing was recorded (GET /lots/{id}/allocation has it from then on)."""


@dataclass(frozen=True)
class CommitmentView:
    lot_id: UUID
    need_id: UUID
    buyer_id: UUID
    quantity: Decimal
    max_unit_price: Decimal | None
    committed_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PriceBreakView:
    from_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class MemberView:
    organisation_id: UUID
    share: Decimal
    status: str
    """invited, accepted or declined."""


@dataclass(frozen=True)
class BidView:
    id: UUID
    lot_id: UUID
    lead_id: UUID
    is_consortium: bool
    tiers: list[PriceBreakView]
    capacity: Decimal
    """Alone: as stated; a consortium: the sum of its accepted shares."""
    minimum_quantity: Decimal
    lead_time_days: int
    valid_until: date
    counts: bool
    """False for a consortium until every member has accepted, and once withdrawn."""
    status: str
    members: list[MemberView]
    delivery_costs: dict[str, Decimal] | None
    """Cost per unit by prefecture code; None when the prices include delivery."""
    placed_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class LotDetail:
    lot: LotView
    joined: bool
    """Whether the viewer has joined the lot as a supplier."""
    my_commitments: list[CommitmentView]
    my_bids: list[BidView]


@dataclass(frozen=True)
class MyCommitments:
    """Every binding statement of one organisation: needs pooled, bids led or joined."""

    pooled: list[CommitmentView]
    bids: list[BidView]


class LotQueries:
    """Reads of the lots read model, filtered by what the viewer may see."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def viewer(self, organisation_id: UUID) -> Viewer | None:
        with reading(self.engine) as connection:
            prefecture = connection.execute(
                sa.select(organisations.c.prefecture)
                .where(organisations.c.id == organisation_id)).scalar_one_or_none()
            if prefecture is None:
                return None
            clusters = connection.execute(
                sa.select(organisation_clusters.c.cluster)
                .where(organisation_clusters.c.organisation_id == organisation_id)).scalars()
            return Viewer(organisation_id, prefecture, frozenset(clusters))

    def search(self, viewer: Viewer, *, now: datetime, status: str | None = "open",
               category: str | None = None, prefecture: str | None = None,
               closing_within: timedelta | None = None, limit: int = 100,
               offset: int = 0) -> list[LotView]:
        """Lots the viewer may see, soonest close first.

        ``status`` is judged at ``now``: a lot past its close time is closed even before its
        close is recorded. ``prefecture`` keeps lots open to firms of that prefecture.
        """
        query = sa.select(lots).where(open_to(viewer))
        if status == "open":
            query = query.where(lots.c.status == "open", lots.c.closes_at > now)
        elif status == "closed":
            query = query.where(sa.or_(lots.c.status == "closed", sa.and_(
                lots.c.status == "open", lots.c.closes_at <= now)))
        elif status is not None:
            query = query.where(lots.c.status == status)
        if category is not None:
            query = query.where(lots.c.category == category)
        if prefecture is not None:
            query = query.where(sa.or_(~_has_prefectures(), sa.exists().where(
                lot_prefectures.c.lot_id == lots.c.id,
                lot_prefectures.c.prefecture == prefecture)))
        if closing_within is not None:
            query = query.where(lots.c.closes_at <= now + closing_within)
        query = query.order_by(lots.c.closes_at, lots.c.id).limit(limit).offset(offset)
        with reading(self.engine) as connection:
            return _lot_views(connection, connection.execute(query).mappings().all(), now)

    def detail(self, viewer: Viewer, lot_id: UUID, *, now: datetime) -> LotDetail | None:
        """A lot with the viewer's own commitments and bids; None if it may not see the lot."""
        with reading(self.engine) as connection:
            row = connection.execute(sa.select(lots).where(
                lots.c.id == lot_id, sa.or_(open_to(viewer), takes_part(viewer)))
            ).mappings().one_or_none()
            if row is None:
                return None
            me = viewer.organisation_id
            joined = connection.execute(sa.select(lot_suppliers.c.supplier_id).where(
                lot_suppliers.c.lot_id == lot_id, lot_suppliers.c.supplier_id == me)).first()
            return LotDetail(
                lot=_lot_views(connection, [row], now)[0], joined=joined is not None,
                my_commitments=_commitments(connection, sa.and_(
                    lot_commitments.c.lot_id == lot_id, lot_commitments.c.buyer_id == me)),
                my_bids=_bids(connection, me, lot_id=lot_id))

    def due(self, now: datetime) -> list[UUID]:
        """Lots past their close time whose close or clearing is not yet recorded."""
        with reading(self.engine) as connection:
            return list(connection.execute(
                sa.select(lots.c.id).where(lots.c.status != "cancelled", lots.c.closes_at <= now,
                                           lots.c.allocated_at.is_(None))
                .order_by(lots.c.closes_at)).scalars())

    def needs(self, buyer_id: UUID, *, status: str | None = None) -> list[NeedView]:
        """The buyer's own needs, most recent first."""
        query = sa.select(needs).where(needs.c.buyer_id == buyer_id)
        if status is not None:
            query = query.where(needs.c.status == status)
        with reading(self.engine) as connection:
            rows = connection.execute(query.order_by(needs.c.posted_at.desc(), needs.c.id))
            return [NeedView(**row) for row in rows.mappings()]

    def need(self, buyer_id: UUID, need_id: UUID) -> NeedView | None:
        with reading(self.engine) as connection:
            row = connection.execute(sa.select(needs).where(
                needs.c.id == need_id, needs.c.buyer_id == buyer_id)).mappings().one_or_none()
            return None if row is None else NeedView(**row)

    def bids(self, organisation_id: UUID, *, lot_id: UUID | None = None) -> list[BidView]:
        """Bids the organisation leads or is named in (sealed from everyone else)."""
        with reading(self.engine) as connection:
            return _bids(connection, organisation_id, lot_id=lot_id)

    def bid(self, organisation_id: UUID, bid_id: UUID) -> BidView | None:
        """One bid, if the organisation leads it or is named in it (else None: sealed)."""
        with reading(self.engine) as connection:
            found = _bids(connection, organisation_id, bid_id=bid_id)
        return found[0] if found else None

    def commitment(self, buyer_id: UUID, lot_id: UUID, need_id: UUID) -> CommitmentView | None:
        """The buyer's commitment of one need to one lot."""
        with reading(self.engine) as connection:
            found = _commitments(connection, sa.and_(
                lot_commitments.c.lot_id == lot_id, lot_commitments.c.need_id == need_id,
                lot_commitments.c.buyer_id == buyer_id))
        return found[0] if found else None

    def commitments(self, organisation_id: UUID) -> MyCommitments:
        """What binds the organisation: its needs pooled and its live bids, in lots that were
        not cancelled (a cancelled lot binds nobody)."""
        live_lots = sa.select(lots.c.id).where(lots.c.status != "cancelled")
        with reading(self.engine) as connection:
            bids = [b for b in _bids(connection, organisation_id)
                    if b.status == "live" and _binds(b, organisation_id)]
            cancelled = set(connection.execute(sa.select(lots.c.id).where(
                lots.c.status == "cancelled", lots.c.id.in_({b.lot_id for b in bids})
            )).scalars()) if bids else set()
            return MyCommitments(
                pooled=_commitments(connection, sa.and_(
                    lot_commitments.c.buyer_id == organisation_id,
                    lot_commitments.c.lot_id.in_(live_lots))),
                bids=[b for b in bids if b.lot_id not in cancelled])


def _binds(bid: BidView, organisation_id: UUID) -> bool:
    """The bid commits the organisation: it leads it, or accepted its share."""
    return bid.lead_id == organisation_id or any(
        m.organisation_id == organisation_id and m.status == "accepted" for m in bid.members)


def _has_prefectures() -> sa.Exists:
    return has_prefectures(lots.c.id, lot_prefectures.c.lot_id)


def open_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The lot admits the viewer (cluster and prefectures), or the viewer organised it."""
    return sa.or_(lots.c.organiser_id == viewer.organisation_id, admits(
        cluster=lots.c.cluster, round_id=lots.c.id, listed_for=lot_prefectures.c.lot_id,
        listed=lot_prefectures.c.prefecture, prefecture=viewer.prefecture,
        clusters=viewer.clusters))


def takes_part(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The viewer has a stake in the lot, even if it is no longer eligible (it moved)."""
    me = viewer.organisation_id
    return sa.or_(
        sa.exists().where(lot_commitments.c.lot_id == lots.c.id,
                          lot_commitments.c.buyer_id == me),
        sa.exists().where(lot_suppliers.c.lot_id == lots.c.id, lot_suppliers.c.supplier_id == me),
        sa.exists().where(bids.c.lot_id == lots.c.id, bids.c.id == bid_members.c.bid_id,
                          bid_members.c.organisation_id == me))


def _lot_views(connection: Connection, rows: Any, now: datetime) -> list[LotView]:
    ids = [row["id"] for row in rows]
    prefectures: dict[UUID, list[str]] = {lot_id: [] for lot_id in ids}
    if ids:
        for lot_id, code in connection.execute(
                sa.select(lot_prefectures.c.lot_id, lot_prefectures.c.prefecture)
                .where(lot_prefectures.c.lot_id.in_(ids)).order_by(lot_prefectures.c.prefecture)):
            prefectures[lot_id].append(code)
    return [_lot_view(row, prefectures[row["id"]], now) for row in rows]


def _lot_view(row: Any, prefectures: list[str], now: datetime) -> LotView:
    thresholds = [Decimal(t) for t in row["thresholds"]]
    status = row["status"]
    if status == "open" and row["closes_at"] <= now:
        status = "closed"
    return LotView(
        id=row["id"], organiser_id=row["organiser_id"], category=row["category"],
        specification=row["specification"], unit=row["unit"], currency=row["currency"],
        closes_at=row["closes_at"], status=status, cancel_reason=row["cancel_reason"],
        cluster=row["cluster"], prefectures=prefectures, thresholds=thresholds,
        pooled_quantity=row["pooled_quantity"], buyer_count=row["buyer_count"],
        supplier_count=row["supplier_count"],
        progress=progress(row["pooled_quantity"], thresholds), opened_at=row["opened_at"],
        closed_at=row["closed_at"], version=row["version"], max_suppliers=row["max_suppliers"],
        allocated_at=row["allocated_at"])


def progress(pooled: Decimal, thresholds: list[Decimal]) -> ThresholdProgress:
    reached = [t for t in thresholds if pooled >= t]
    upcoming = [t for t in thresholds if pooled < t]
    next_threshold = upcoming[0] if upcoming else None
    fraction = 1.0 if not thresholds else min(1.0, float(pooled / thresholds[-1]))
    return ThresholdProgress(
        reached=reached, next_threshold=next_threshold,
        to_next=None if next_threshold is None else next_threshold - pooled, fraction=fraction)


def _commitments(connection: Connection, where: Any) -> list[CommitmentView]:
    rows = connection.execute(sa.select(lot_commitments).where(where)
                              .order_by(lot_commitments.c.committed_at, lot_commitments.c.need_id))
    return [CommitmentView(**row) for row in rows.mappings()]


def _bids(connection: Connection, organisation_id: UUID, *, lot_id: UUID | None = None,
          bid_id: UUID | None = None) -> list[BidView]:
    mine = sa.or_(bids.c.lead_id == organisation_id, bids.c.id.in_(
        sa.select(bid_members.c.bid_id).where(bid_members.c.organisation_id == organisation_id)))
    where = [mine]
    if lot_id is not None:
        where.append(bids.c.lot_id == lot_id)
    if bid_id is not None:
        where.append(bids.c.id == bid_id)
    return bid_views(connection, sa.and_(*where))


def bid_views(connection: Connection, where: sa.ColumnElement[bool]) -> list[BidView]:
    """The bids matching ``where``, with their members; callers decide who may see them."""
    rows = connection.execute(sa.select(bids).where(where)
                              .order_by(bids.c.placed_at, bids.c.id)).mappings().all()
    members: dict[UUID, list[MemberView]] = {row["id"]: [] for row in rows}
    if members:
        for row in connection.execute(
                sa.select(bid_members).where(bid_members.c.bid_id.in_(list(members)))
                .order_by(bid_members.c.organisation_id)).mappings():
            members[row["bid_id"]].append(
                MemberView(row["organisation_id"], row["share"], row["status"]))
    return [BidView(
        id=row["id"], lot_id=row["lot_id"], lead_id=row["lead_id"],
        is_consortium=row["is_consortium"],
        tiers=[PriceBreakView(Decimal(t["from_quantity"]), Decimal(t["unit_price"]))
               for t in row["tiers"]],
        capacity=row["capacity"], minimum_quantity=row["minimum_quantity"],
        lead_time_days=row["lead_time_days"], valid_until=row["valid_until"],
        counts=row["counts"], status=row["status"], members=members[row["id"]],
        delivery_costs=None if row["delivery_costs"] is None else {
            code: Decimal(cost) for code, cost in row["delivery_costs"].items()},
        placed_at=row["placed_at"], updated_at=row["updated_at"]) for row in rows]
