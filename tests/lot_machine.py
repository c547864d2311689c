"""The lot state machine's cast and values, what it keeps of what was accepted, and the
promises it checks.

``ReadModelPromises`` is mixed into the machine in tests/integration/test_lot_properties.py:
after every step the read models must agree with the model kept here, and with the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from hypothesis import Phase
from hypothesis import strategies as st
from hypothesis.stateful import invariant

from events import SettableClock, engine_for, rebuild_read_models
from marketplace.application import Marketplace
from marketplace.readmodels.lot_tables import (
    bid_members,
    bids,
    lot_commitments,
    lot_suppliers,
    lots,
    needs,
)
from tests.helpers import read_model_rows

START = datetime.fromisoformat("2026-11-20T09:00:00+00:00")
CLOSES = (START + timedelta(days=1), START + timedelta(days=2))

# The organisations of every example, by their roles; "outsider" is not in the lots' cluster.
ORGANISATIONS = {"organiser": ("buyer",), "buyer": ("buyer",), "both": ("buyer", "supplier"),
                 "supplier 1": ("supplier",), "supplier 2": ("supplier",),
                 "supplier 3": ("supplier",), "outsider": ("supplier",)}
SUPPLIER_NAMES = ["both", "supplier 1", "supplier 2", "supplier 3", "outsider"]
BUYERS = st.sampled_from(["organiser", "buyer", "both", "supplier 1"])
SUPPLIERS = st.sampled_from(SUPPLIER_NAMES)
PARTNERS = st.just([]) | st.lists(SUPPLIERS, min_size=1, max_size=2, unique=True)
"""Consortium members besides the lead: none for a bid alone (about half the time)."""
OWNER = st.sampled_from([True, True, True, False])
"""Mostly the organisation whose need or bid it is; sometimes another."""

QUANTITIES = st.integers(1, 10).map(lambda n: Decimal(n * 100))
COMMITTED = st.none() | st.integers(1, 12).map(lambda n: Decimal(n * 50))
SHARES = st.integers(1, 8).map(lambda n: Decimal(n * 100))
LOT = st.integers(0, len(CLOSES) - 1)

#: Every phase but "explain", which re-runs a failing example for minutes with databases this
#: slow; shrinking stays, for a short failing sequence.
QUICK_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
KINDS_OF_COMMAND = {"post_a_need", "revise_a_need", "withdraw_a_need", "pool_a_need",
                    "change_a_commitment", "withdraw_a_commitment", "join_a_lot", "place_a_bid",
                    "revise_a_bid", "withdraw_a_bid", "answer_a_consortium"}


@dataclass
class NeedModel:
    buyer: UUID
    quantity: Decimal
    status: str = "open"
    lot_id: UUID | None = None


@dataclass
class BidModel:
    lot_id: UUID
    lead: UUID
    capacity: Decimal | None
    shares: dict[UUID, Decimal]
    accepted: set[UUID] = field(default_factory=set)
    declined: set[UUID] = field(default_factory=set)
    live: bool = True

    def member_status(self, member: UUID) -> str:
        if member in self.accepted:
            return "accepted"
        return "declined" if member in self.declined else "invited"


class ReadModelPromises:
    """The invariants of the lot state machine, over the state it keeps."""

    url: str
    clock: SettableClock
    marketplace: Marketplace
    closes_at: dict[UUID, datetime]
    needs_model: dict[UUID, NeedModel]
    commitments: dict[UUID, tuple[UUID, UUID, Decimal]]
    joined: dict[UUID, set[UUID]]
    bids_model: dict[UUID, BidModel]
    closed: set[UUID]
    at_close: dict[UUID, Any]


    @invariant()
    def the_read_models_agree_with_what_was_accepted(self) -> None:
        with engine_for(self.url).connect() as connection:
            need_rows = {row.id: row for row in connection.execute(sa.select(needs))}
            commitment_rows = {row.need_id: row for row in connection.execute(
                sa.select(lot_commitments))}
            lot_rows = {row.id: row for row in connection.execute(sa.select(lots))}
            supplier_rows = connection.execute(sa.select(lot_suppliers)).all()
            bid_rows = {row.id: row for row in connection.execute(sa.select(bids))}
            member_rows = connection.execute(sa.select(bid_members)).all()

        # A need is in at most one lot, and its status says which.
        assert {need_id: (row.status, row.lot_id) for need_id, row in need_rows.items()} == {
            need_id: (need.status, need.lot_id) for need_id, need in self.needs_model.items()}
        assert {need_id: (row.lot_id, row.buyer_id, row.quantity)
                for need_id, row in commitment_rows.items()} == self.commitments
        for need_id, row in need_rows.items():
            assert (row.status == "pooled") == (need_id in commitment_rows)

        # A lot's pool is the sum of its commitments; its buyers are theirs.
        for lot_id, row in lot_rows.items():
            mine = [c for c in commitment_rows.values() if c.lot_id == lot_id]
            assert row.pooled_quantity == sum((c.quantity for c in mine), Decimal(0))
            assert row.buyer_count == len({c.buyer_id for c in mine})
            assert row.supplier_count == len(self.joined[lot_id])
            assert row.status == ("closed" if lot_id in self.closed else "open")
        assert {(row.lot_id, row.supplier_id) for row in supplier_rows} == {
            (lot_id, s) for lot_id, suppliers in self.joined.items() for s in suppliers}

        # A consortium counts iff every member accepted; its capacity is the accepted shares.
        members: dict[UUID, dict[UUID, Any]] = {}
        for row in member_rows:
            members.setdefault(row.bid_id, {})[row.organisation_id] = row
        assert set(bid_rows) == set(self.bids_model)
        for bid_id, row in bid_rows.items():
            bid, mine = self.bids_model[bid_id], members.get(bid_id, {})
            assert row.status == ("live" if bid.live else "withdrawn")
            assert {m: r.status for m, r in mine.items()} == {
                m: bid.member_status(m) for m in bid.shares}
            if not bid.live:
                assert row.counts is False
                continue
            accepted = [r for r in mine.values() if r.status == "accepted"]
            assert row.counts == (len(accepted) == len(mine))
            assert row.capacity == (bid.capacity if not bid.shares
                                    else sum((r.share for r in accepted), Decimal(0)))

        # No organisation supplies a lot through more than one live bid.
        bidding: dict[tuple[UUID, UUID], set[UUID]] = {}
        for bid_id, row in bid_rows.items():
            if row.status != "live":
                continue
            through = {row.lead_id} | {m for m, r in members.get(bid_id, {}).items()
                                       if r.status == "accepted"}
            for organisation_id in through:
                bidding.setdefault((row.lot_id, organisation_id), set()).add(bid_id)
        assert all(len(led_or_accepted) == 1 for led_or_accepted in bidding.values())

    @invariant()
    def nothing_about_a_lot_changes_once_its_close_time_has_come(self) -> None:
        for lot_id, closes_at in self.closes_at.items():
            if self.clock.now < closes_at:
                continue
            now = self.what_stood(lot_id)
            assert self.at_close.setdefault(lot_id, now) == now

    def what_stood(self, lot_id: UUID) -> Any:
        with engine_for(self.url).connect() as connection:
            def rows(query: Any) -> list[tuple[Any, ...]]:
                return sorted(tuple(row) for row in connection.execute(query))
            lot_bids = sa.select(bids.c.id).where(bids.c.lot_id == lot_id)
            return (rows(sa.select(lot_commitments).where(lot_commitments.c.lot_id == lot_id)),
                    rows(sa.select(lot_suppliers).where(lot_suppliers.c.lot_id == lot_id)),
                    rows(sa.select(bids).where(bids.c.lot_id == lot_id)),
                    rows(sa.select(bid_members).where(bid_members.c.bid_id.in_(lot_bids))))

    def teardown(self) -> None:
        live = read_model_rows(self.url)
        rebuild_read_models(self.marketplace, batch_size=50)
        assert read_model_rows(self.url) == live
