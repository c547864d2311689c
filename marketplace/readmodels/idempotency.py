"""The idempotency keys of API requests: what each keyed request answered, to answer it again.

Not a read model: nothing here comes from the ledger, so no projector owns the table and a
replay leaves it as it is. It shares the read models' ``metadata`` so that alembic owns it.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.readmodels.tables import UTCDateTime, metadata

idempotency_keys = sa.Table(
    "idempotency_keys", metadata,
    # The acting organisation's id, or "anonymous" for a request without a token.
    sa.Column("scope", sa.String(36), primary_key=True),
    # SHA-256 of the client's key: the key itself is what unseals the stored response.
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("request_fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    # The response as first sent, sealed under the client's key (base64).
    sa.Column("response_body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
)
