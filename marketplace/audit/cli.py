"""`marketplace audit …`: the auditor's commands. Each area adds its commands to ``audit``
from its own module (``cli_<area>.py``), imported at the end of this one."""

from __future__ import annotations

import click


@click.group()
def audit() -> None:
    """Verify the ledger, check receipts, travel in time, export."""


from marketplace.audit import cli_bids, cli_export, cli_time_travel, cli_verify  # noqa: E402, F401
