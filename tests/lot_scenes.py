"""Shared scenes and readers for the lot integration tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.readmodels.lot_tables import needs
from tests.lots_builders import (
    Cluster,
    viewer,
)


def lot_view(marketplace: Marketplace, organisation_id: UUID, lot_id: UUID) -> Any:
    detail = marketplace.lots.detail(viewer(marketplace, organisation_id), lot_id,
                                     now=marketplace.clock())
    assert detail is not None
    return detail.lot


def lot_events(marketplace: Marketplace, lot_id: UUID) -> list[Any]:
    return list(marketplace.events.get(lot_id))


def need_status(marketplace: Marketplace, need_id: UUID) -> tuple[str, UUID | None]:
    """Straight from the read model's table (see the test of the needs query below)."""
    with marketplace.engine.connect() as connection:
        row = connection.execute(sa.select(needs.c.status, needs.c.lot_id)
                                 .where(needs.c.id == need_id)).one()
    return row.status, row.lot_id


def member_statuses(bid: Any) -> dict[UUID, str]:
    return {member.organisation_id: member.status for member in bid.members}


@dataclass(frozen=True)
class Scene:
    """An open lot with a pooled need, an unpooled one, a bid alone and an unanswered consortium.

    Suppliers: 0 bids alone, 1 leads a consortium naming 2, 3 has joined without bidding.
    """

    marketplace: Marketplace
    clock: SettableClock
    firms: Cluster
    lot_id: UUID
    pooled_need: UUID
    open_need: UUID
    bid: UUID
    consortium_bid: UUID

    def after_close(self) -> None:
        self.clock.now = self.marketplace.repository.get(self.lot_id).closes_at
