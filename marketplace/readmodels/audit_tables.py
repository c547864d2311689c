"""The runs of verify started from the auditors' pages (migration 0009).

Not a read model and not on the ledger: a verify run is a check of the ledger, not a
commitment, so replay never touches this table. Each run's progress is written here by the
thread that runs it, so whichever worker serves the progress page sees it.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.readmodels.tables import UTCDateTime, metadata

verify_runs = sa.Table(
    "audit_verify_runs", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("started_by", sa.Uuid, nullable=False),
    sa.Column("organisation_id", sa.Uuid, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False, index=True),
    sa.Column("phase", sa.String(40), nullable=False),
    sa.Column("done", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("ok", sa.Boolean),
    sa.Column("problem_position", sa.BigInteger),
    sa.Column("problem_text", sa.Text),
    sa.Column("phases_json", sa.JSON),
    # True while the run runs, NULL after: unique, so one run at a time per deployment
    # whichever worker is asked to start one.
    sa.Column("running", sa.Boolean, unique=True),
)
