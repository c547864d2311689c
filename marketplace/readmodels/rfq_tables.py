"""The read-model tables of RFQs, their invitations, questions, sealed quotes and purchase orders.

Lines, price breaks and order lines are JSON documents with decimals as strings (exact on
SQLite as on PostgreSQL); the queries decide who may see which rows.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.readmodels.lot_tables import DecimalText
from marketplace.readmodels.tables import UTCDateTime, metadata

rfqs = sa.Table(
    "rfqs", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("buyer_id", sa.Uuid, nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("closes_at", UTCDateTime, nullable=False, index=True),
    sa.Column("status", sa.String(10), nullable=False),  # open, closed, cancelled, awarded
    sa.Column("cancel_reason", sa.Text),
    sa.Column("terms_digest", sa.String(80), nullable=False),
    sa.Column("lines", sa.JSON, nullable=False),
    sa.Column("required_certifications", sa.JSON, nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("open_cluster", sa.String(60), index=True),
    # Per awarded line: line, quote_id, supplier_id, quantity, unit_price, amount.
    sa.Column("awards", sa.JSON),
    sa.Column("award_reason", sa.Text),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("awarded_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

rfq_prefectures = sa.Table(
    "rfq_prefectures", metadata,
    sa.Column("rfq_id", sa.Uuid, sa.ForeignKey("rfqs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("prefecture", sa.String(5), primary_key=True),
    sa.Index(None, "prefecture"),
)

rfq_invitations = sa.Table(
    "rfq_invitations", metadata,
    sa.Column("rfq_id", sa.Uuid, sa.ForeignKey("rfqs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("supplier_id", sa.Uuid, primary_key=True),
    sa.Column("invited_at", UTCDateTime, nullable=False),
    sa.Index(None, "supplier_id"),
)

rfq_questions = sa.Table(
    "rfq_questions", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("rfq_id", sa.Uuid, sa.ForeignKey("rfqs.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("supplier_id", sa.Uuid, nullable=False),  # the asker: shown to nobody else
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("answer", sa.Text),
    sa.Column("asked_at", UTCDateTime, nullable=False),
    sa.Column("answered_at", UTCDateTime),
)

rfq_quotes = sa.Table(
    "rfq_quotes", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("rfq_id", sa.Uuid, sa.ForeignKey("rfqs.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("supplier_id", sa.Uuid, nullable=False, index=True),
    sa.Column("terms_digest", sa.String(80), nullable=False),
    sa.Column("lines", sa.JSON, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # live, withdrawn
    sa.Column("opened", sa.Boolean, nullable=False),
    sa.Column("outcome", sa.String(12)),  # awarded, not_awarded
    sa.Column("submitted_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

purchase_orders = sa.Table(
    "purchase_orders", metadata,
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("rfq_id", sa.Uuid, sa.ForeignKey("rfqs.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("buyer_id", sa.Uuid, nullable=False, index=True),
    sa.Column("supplier_id", sa.Uuid, nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("lines", sa.JSON, nullable=False),
    sa.Column("total", DecimalText, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
)

RFQ_TABLES = (rfqs, rfq_prefectures, rfq_invitations, rfq_questions, rfq_quotes,
              purchase_orders)
