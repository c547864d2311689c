"""The read-model tables of needs, lots, commitments and bids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from marketplace.readmodels.tables import UTCDateTime, metadata


class DecimalText(sa.TypeDecorator[Decimal]):
    """An exact Decimal, stored as its text: SQLite has no exact numeric type."""

    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


needs = sa.Table(
    "needs", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("buyer_id", sa.Uuid, nullable=False, index=True),
    sa.Column("category", sa.String(60), nullable=False),
    sa.Column("specification", sa.Text, nullable=False),
    sa.Column("unit", sa.String(10), nullable=False),
    sa.Column("quantity", DecimalText, nullable=False),
    sa.Column("needed_by", sa.Date, nullable=False),
    sa.Column("delivery_prefecture", sa.String(5), nullable=False),
    sa.Column("max_unit_price", DecimalText),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("lot_id", sa.Uuid, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("posted_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("rfq_id", sa.Uuid, index=True),
)

lots = sa.Table(
    "lots", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("organiser_id", sa.Uuid, nullable=False, index=True),
    sa.Column("category", sa.String(60), nullable=False, index=True),
    sa.Column("specification", sa.Text, nullable=False),
    sa.Column("unit", sa.String(10), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("closes_at", UTCDateTime, nullable=False, index=True),
    sa.Column("cluster", sa.String(60), index=True),
    sa.Column("thresholds", sa.JSON, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("pooled_quantity", DecimalText, nullable=False),
    sa.Column("buyer_count", sa.Integer, nullable=False),
    sa.Column("supplier_count", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("max_suppliers", sa.Integer),
    sa.Column("allocated_at", UTCDateTime),
)

lot_prefectures = sa.Table(
    "lot_prefectures", metadata,
    sa.Column("lot_id", sa.Uuid, sa.ForeignKey("lots.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("prefecture", sa.String(5), primary_key=True),
    sa.Index(None, "prefecture"),
)

lot_commitments = sa.Table(
    "lot_commitments", metadata,
    sa.Column("lot_id", sa.Uuid, sa.ForeignKey("lots.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("need_id", sa.Uuid, primary_key=True, index=True),
    sa.Column("buyer_id", sa.Uuid, nullable=False, index=True),
    sa.Column("quantity", DecimalText, nullable=False),
    sa.Column("max_unit_price", DecimalText),
    sa.Column("committed_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

lot_suppliers = sa.Table(
    "lot_suppliers", metadata,
    sa.Column("lot_id", sa.Uuid, sa.ForeignKey("lots.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("supplier_id", sa.Uuid, primary_key=True),
    sa.Column("joined_at", UTCDateTime, nullable=False),
    sa.Index(None, "supplier_id"),
)

bids = sa.Table(
    "bids", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("lot_id", sa.Uuid, sa.ForeignKey("lots.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("lead_id", sa.Uuid, nullable=False, index=True),
    sa.Column("is_consortium", sa.Boolean, nullable=False),
    sa.Column("tiers", sa.JSON, nullable=False),
    sa.Column("capacity", DecimalText, nullable=False),
    sa.Column("minimum_quantity", DecimalText, nullable=False),
    sa.Column("lead_time_days", sa.Integer, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("counts", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("placed_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("delivery_costs", sa.JSON),
)

bid_members = sa.Table(
    "bid_members", metadata,
    sa.Column("bid_id", sa.Uuid, sa.ForeignKey("bids.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("organisation_id", sa.Uuid, primary_key=True),
    sa.Column("share", DecimalText, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Index(None, "organisation_id"),
)

lot_allocations = sa.Table(
    "lot_allocations", metadata,
    sa.Column("lot_id", sa.Uuid, sa.ForeignKey("lots.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("input_digest", sa.String(80), nullable=False),
    sa.Column("served_quantity", DecimalText, nullable=False),
    sa.Column("total_cost", DecimalText, nullable=False),
    sa.Column("pool_unit_price", DecimalText),
    sa.Column("total_saving", DecimalText, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),  # the result document of Lot.Allocated
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("allocated_at", UTCDateTime, nullable=False),
)

LOT_TABLES = (needs, lots, lot_prefectures, lot_commitments, lot_suppliers, bids, bid_members,
              lot_allocations)
