"""Which lots' payments may still have work to do, found in the ledger index (issue 8).

A lot's payments can have work left (a call to repeat, a card to capture, suppliers to pay)
only once the lot is allocated or cancelled, and what is left changes only when the lot's
payment entries do. The ledger index files every entry by type and position, indexed on
(event type, position), so the entries since the last look are one range scan per event type:
a look costs what happened since, not the length of the ledger. Payment entries are filed
without their lot (a buyer's card is not for everyone in the lot to browse), so they are told
apart here by the id of their ``LotPayments`` aggregate, which the caller derives from the lot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events import reading
from marketplace.readmodels.ledger_index import ledger_index
from marketplace.readmodels.lot_tables import lots

#: The entries after which a lot's payments are settled: nothing is settled before them.
SETTLING = ("Lot.Allocated", "Lot.Cancelled")
#: The entries that change what is left to do with a lot's payments (``Opened`` comes before
#: any call, ``Notified`` is followed by ``Recorded`` whenever it changes anything).
MOVING = ("LotPayments.Requested", "LotPayments.Recorded", "LotPayments.PayoutDue")


@dataclass(frozen=True)
class PaymentChanges:
    """What happened to settled lots and to payments between two looks."""

    position: int
    """The last ledger position looked at: the next look starts after it."""
    settled: list[UUID] = field(default_factory=list)
    """Lots allocated or cancelled, oldest first."""
    moved: set[UUID] = field(default_factory=set)
    """``LotPayments`` aggregates with new payment entries (of any lot, open ones too)."""


class SettledPaymentQueries:
    """Reads of the ledger index and the lots read model for following up payments."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def changes(self, *, after: int | None = None,
                recorded_from: datetime | None = None) -> PaymentChanges:
        """Lots settled and payments moved after ledger position ``after``, or (at the first
        look) from the first entry recorded at or after ``recorded_from`` on; nothing older
        than both."""
        with reading(self.engine) as connection:
            head = connection.execute(
                sa.select(sa.func.coalesce(sa.func.max(ledger_index.c.position), 0))
            ).scalar_one()
            if recorded_from is not None:
                # The first entry recorded since, by the index on the time: the range scans
                # below then start at its position, not at the start of the ledger.
                first = connection.execute(
                    sa.select(sa.func.min(ledger_index.c.position))
                    .where(ledger_index.c.recorded_at >= recorded_from)).scalar()
                since = head if first is None else int(first) - 1
                after = since if after is None else max(after, since)
            window = [ledger_index.c.position <= head]
            if after is not None:
                window.append(ledger_index.c.position > after)
            settled = connection.execute(
                sa.select(ledger_index.c.lot_id)
                .where(ledger_index.c.event_type.in_(SETTLING), *window)
                .order_by(ledger_index.c.position)).scalars()
            moved = connection.execute(
                sa.select(ledger_index.c.aggregate_id).distinct()
                .where(ledger_index.c.event_type.in_(MOVING), *window)).scalars()
            return PaymentChanges(position=int(head),
                                  settled=[lot for lot in settled if lot is not None],
                                  moved=set(moved))

    def settled_lots(self) -> list[UUID]:
        """Every lot allocated or cancelled, oldest close first (for a pass over them all)."""
        with reading(self.engine) as connection:
            return list(connection.execute(
                sa.select(lots.c.id)
                .where(sa.or_(lots.c.status == "cancelled", lots.c.allocated_at.is_not(None)))
                .order_by(lots.c.closes_at, lots.c.id)).scalars())

    def with_payments(self) -> set[UUID]:
        """Every ``LotPayments`` aggregate: the lots where some buyer took the payment step."""
        with reading(self.engine) as connection:
            return set(connection.execute(
                sa.select(ledger_index.c.aggregate_id)
                .where(ledger_index.c.event_type == "LotPayments.Opened")).scalars())
