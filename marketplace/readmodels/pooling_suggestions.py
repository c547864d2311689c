"""Pooling suggestions: where each of a buyer's open needs could be pooled, and with whom.

Two kinds, best first. An open lot the need fits (same item, open to the buyer, closing before
the need is due, serving where it is delivered): the buyer pools into it as into any lot. Or,
when no open lot fits, a new lot with other buyers whose open needs match: the buyer opens it
with its own need pooled (``PoolingCommands.open_pooled_lot``), and each other buyer then sees
that lot suggested and pools its need, or not. The rules are in ``domain/pooling.py``; this
module only reads what they weigh. Other buyers' needs stay private: a new-lot suggestion says
how many other buyers there are and, over two or more, about how much they need together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events import reading
from marketplace.domain import pooling
from marketplace.domain.eligibility import Eligibility, Participant
from marketplace.domain.organisation import Role
from marketplace.domain.pooling import PoolingCandidate, PoolingGroup
from marketplace.domain.prefectures import Prefecture
from marketplace.readmodels.lot_queries import LotQueries, LotView, NeedView, Viewer
from marketplace.readmodels.lot_tables import lot_commitments, lots, needs
from marketplace.readmodels.tables import organisation_clusters, organisations

#: Open lots read per category of the buyer's needs (soonest close first).
MAX_LOTS_PER_CATEGORY = 500
NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class NewLotTerms:
    """A lot that would pool the need with other buyers' matching needs, if each consents."""

    other_buyers: int
    others_quantity: Decimal | None
    """About how much the other buyers need together, rounded down to two significant
    figures; null with one other buyer, whose need it would give away."""
    closes_at: datetime
    cluster: str | None
    prefectures: list[str]
    """Who the lot would be open to: a cluster every buyer is in, or the region's prefectures."""


@dataclass(frozen=True)
class PoolingSuggestion:
    key: str
    """Stable while the suggestion stands: ``need:{need}:lot:{lot}`` or ``need:{need}:new-lot``."""
    kind: Literal["existing_lot", "new_lot"]
    need_id: UUID
    buyer_count: int
    """How many buyers the lot has (an open lot) or would have with every other buyer's
    consent (a new lot), this one included."""
    lot: LotView | None
    """The open lot, as everyone it is open to sees it (``existing_lot`` only)."""
    new_lot: NewLotTerms | None
    """The suggested terms (``new_lot`` only)."""


class PoolingSuggestions:
    """Reads of the needs and lots read models, for one buyer's pooling suggestions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lots = LotQueries(engine)

    def for_buyer(self, buyer_id: UUID, *, now: datetime) -> list[PoolingSuggestion]:
        """Suggestions for all the buyer's open needs, open lots first, then by buyers."""
        return self._suggest(buyer_id, None, now)

    def for_need(self, buyer_id: UUID, need_id: UUID, *,
                 now: datetime) -> list[PoolingSuggestion] | None:
        """Suggestions for one need of the buyer's; [] once it is pooled or withdrawn, None if
        the buyer has no such need."""
        with reading(self.engine) as connection:
            _buyer(connection, buyer_id)
        if self._lots.need(buyer_id, need_id) is None:
            return None
        return self._suggest(buyer_id, need_id, now)

    def group(self, buyer_id: UUID, need_id: UUID) -> PoolingGroup | None:
        """Other buyers' needs a new lot for this open need would pool (for the command that
        opens it, which reads this in its own transaction)."""
        with reading(self.engine) as connection:
            me = _participant(connection, buyer_id)
            mine = _unpooled_needs(connection, buyer_id=buyer_id, need_id=need_id)
            if me is None or not mine:
                return None
            return _groups(connection, me, mine).get(need_id)

    def _suggest(self, buyer_id: UUID, need_id: UUID | None,
                 now: datetime) -> list[PoolingSuggestion]:
        with reading(self.engine) as connection:
            me = _buyer(connection, buyer_id)
            mine = [] if me is None else _unpooled_needs(connection, buyer_id=buyer_id,
                                                          need_id=need_id)
        if me is None or not mine:
            return []
        open_lots = self._open_lots(me, mine, now)
        fitting = {need.id: [o.lot for o in open_lots if o.serves(need)] for need in mine}
        # An open lot that fits is where the others are pointed too: a second lot for the same
        # item would split the pool, so a new one is suggested only when none fits.
        alone = [need for need in mine if not fitting[need.id]]
        with reading(self.engine) as connection:
            groups = _groups(connection, me, alone) if alone else {}
        suggestions = [_existing(need, lot) for need in mine for lot in fitting[need.id]]
        for need in alone:
            group = groups.get(need.id)
            closes_at = None if group is None else pooling.suggested_close(
                group.earliest_needed_by, now)
            if group is not None and closes_at is not None:
                suggestions.append(_new(need, group, closes_at))
        return sorted(suggestions, key=_rank)

    def _open_lots(self, me: Participant, mine: Sequence[NeedView],
                   now: datetime) -> list[OpenLot]:
        """The open lots of the needs' items that admit the buyer, with where they deliver."""
        viewer = Viewer(me.organisation_id, me.prefecture.code, me.clusters)
        keys = {_key(n) for n in mine}
        found = [lot for category in sorted({n.category for n in mine})
                 for lot in self._lots.search(viewer, now=now, status="open", category=category,
                                              limit=MAX_LOTS_PER_CATEGORY)
                 if _key(lot) in keys and _eligibility(lot).admits(me)]
        with reading(self.engine) as connection:
            regions = _delivery_regions(connection, [lot for lot in found if not lot.prefectures])
        return [OpenLot(lot, _eligibility(lot).prefectures, regions.get(lot.id, frozenset()))
                for lot in found]


@dataclass(frozen=True)
class OpenLot:
    lot: LotView
    prefectures: frozenset[Prefecture]
    regions: frozenset[str]
    """Where a cluster's lot (no prefectures) delivers."""

    def serves(self, need: NeedView) -> bool:
        return (_key(need) == _key(self.lot)
                and pooling.closes_in_time(self.lot.closes_at, need.needed_by)
                and pooling.delivers_to(Prefecture.parse(need.delivery_prefecture),
                                        self.prefectures, self.regions))


def _unpooled() -> sa.ColumnElement[bool]:
    """Open needs, and needs pooled in a lot since cancelled (which binds nobody)."""
    cancelled = sa.select(lots.c.id).where(lots.c.status == "cancelled")
    return sa.or_(needs.c.status == "open",
                  sa.and_(needs.c.status == "pooled", needs.c.lot_id.in_(cancelled)))


def _unpooled_needs(connection: Connection, *, buyer_id: UUID,
                    need_id: UUID | None) -> list[NeedView]:
    query = sa.select(needs).where(needs.c.buyer_id == buyer_id, _unpooled())
    if need_id is not None:
        query = query.where(needs.c.id == need_id)
    rows = connection.execute(query.order_by(needs.c.needed_by, needs.c.id)).mappings()
    return [NeedView(**row) for row in rows]


def _participants(connection: Connection, ids: Iterable[UUID]) -> dict[UUID, Participant]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    clusters: dict[UUID, set[str]] = {i: set() for i in wanted}
    for organisation_id, cluster in connection.execute(
            sa.select(organisation_clusters.c.organisation_id, organisation_clusters.c.cluster)
            .where(organisation_clusters.c.organisation_id.in_(wanted))):
        clusters[organisation_id].add(cluster)
    rows = connection.execute(sa.select(organisations).where(organisations.c.id.in_(wanted)))
    return {row.id: Participant(
        row.id, roles=frozenset(role for role, plays in ((Role.BUYER, row.is_buyer),
                                                         (Role.SUPPLIER, row.is_supplier))
                                if plays),
        prefecture=Prefecture.parse(row.prefecture), clusters=frozenset(clusters[row.id]))
        for row in rows}


def _participant(connection: Connection, organisation_id: UUID) -> Participant | None:
    return _participants(connection, [organisation_id]).get(organisation_id)


def _buyer(connection: Connection, organisation_id: UUID) -> Participant | None:
    """The organisation, if it is a buyer (None if unknown); suggestions are for buyers."""
    found = _participant(connection, organisation_id)
    if found is not None:
        found.require(Role.BUYER, "see pooling suggestions")
    return found


def _groups(connection: Connection, me: Participant,
            mine: Sequence[NeedView]) -> dict[UUID, PoolingGroup]:
    """For each of my needs, the best group of other buyers' needs to open a lot with."""
    regions = {Prefecture.parse(n.delivery_prefecture).region for n in mine}
    delivered_in = sorted(p.code for r in regions for p in pooling.region_prefectures(r))
    earliest = min(n.needed_by for n in mine) - pooling.POOLING_WINDOW
    latest = max(n.needed_by for n in mine) + pooling.POOLING_WINDOW
    rows = connection.execute(
        sa.select(needs.c.buyer_id, needs.c.category, needs.c.specification, needs.c.unit,
                  needs.c.quantity, needs.c.needed_by, needs.c.delivery_prefecture)
        .join(organisations, organisations.c.id == needs.c.buyer_id)
        .where(organisations.c.is_buyer, needs.c.buyer_id != me.organisation_id,
               needs.c.category.in_(sorted({n.category for n in mine})),
               needs.c.unit.in_(sorted({n.unit for n in mine})),
               needs.c.needed_by.between(earliest, latest),
               needs.c.delivery_prefecture.in_(delivered_in), _unpooled())).all()
    buyers = _participants(connection, (row.buyer_id for row in rows))
    groups = {}
    for need in mine:
        region = Prefecture.parse(need.delivery_prefecture).region
        others = [PoolingCandidate(buyers[row.buyer_id], row.quantity, row.needed_by)
                  for row in rows if _key(row) == _key(need)
                  and Prefecture.parse(row.delivery_prefecture).region == region]
        group = pooling.best_group(PoolingCandidate(me, need.quantity, need.needed_by),
                                   region, others)
        if group is not None:
            groups[need.id] = group
    return groups


def _delivery_regions(connection: Connection,
                      cluster_lots: Sequence[LotView]) -> dict[UUID, frozenset[str]]:
    """Where each cluster's lot delivers: the regions of its pooled needs' delivery
    prefectures, or its organiser's home region while nothing is pooled."""
    ids = [lot.id for lot in cluster_lots]
    if not ids:
        return {}
    delivered: dict[UUID, set[str]] = {i: set() for i in ids}
    for lot_id, code in connection.execute(
            sa.select(lot_commitments.c.lot_id, needs.c.delivery_prefecture)
            .join(needs, needs.c.id == lot_commitments.c.need_id)
            .where(lot_commitments.c.lot_id.in_(ids))):
        delivered[lot_id].add(Prefecture.parse(code).region)
    for lot_id, home in connection.execute(
            sa.select(lots.c.id, organisations.c.prefecture)
            .join(organisations, organisations.c.id == lots.c.organiser_id)
            .where(lots.c.id.in_(ids))):
        if not delivered[lot_id]:
            delivered[lot_id].add(Prefecture.parse(home).region)
    return {lot_id: frozenset(regions) for lot_id, regions in delivered.items()}


def _key(item: Any) -> tuple[str, str, str]:
    return pooling.item_key(item.category, item.specification, item.unit)


def _eligibility(lot: LotView) -> Eligibility:
    return Eligibility.from_event_data({"cluster": lot.cluster, "prefectures": lot.prefectures})


def _existing(need: NeedView, lot: LotView) -> PoolingSuggestion:
    return PoolingSuggestion(key=f"need:{need.id}:lot:{lot.id}", kind="existing_lot",
                             need_id=need.id, buyer_count=lot.buyer_count, lot=lot,
                             new_lot=None)


def _new(need: NeedView, group: PoolingGroup, closes_at: datetime) -> PoolingSuggestion:
    eligibility = group.eligibility.as_event_data()
    return PoolingSuggestion(
        key=f"need:{need.id}:new-lot", kind="new_lot", need_id=need.id,
        buyer_count=group.other_buyers + 1, lot=None,
        new_lot=NewLotTerms(other_buyers=group.other_buyers, others_quantity=group.shown_total,
                            closes_at=closes_at, cluster=eligibility["cluster"],
                            prefectures=eligibility["prefectures"]))


def _rank(suggestion: PoolingSuggestion) -> tuple[bool, int, datetime, str]:
    """Open lots first (they can be joined now), then by buyers, then the sooner close."""
    lot, new_lot = suggestion.lot, suggestion.new_lot
    closes_at = (lot.closes_at if lot is not None else new_lot.closes_at if new_lot is not None
                 else NEVER)
    return (suggestion.kind != "existing_lot", -suggestion.buyer_count, closes_at,
            suggestion.key)
