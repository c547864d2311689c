"""`marketplace audit state` and `marketplace audit timeline`: any record of the ledger as it
stood at a position or an instant, and its events one line each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

import click

from marketplace.audit.cli import audit
from marketplace.audit.record_state import plain, state_summary
from marketplace.audit.summary_text import OrganisationNames
from marketplace.audit.time_travel import state_at, timeline
from marketplace.bootstrap import open_marketplace
from marketplace.settings import Settings


@audit.command("state")
@click.argument("aggregate_id", metavar="ID")
@click.option("--position", type=int, metavar="N",
              help="The record after its last event at or before this ledger position.")
@click.option("--at", "instant", metavar="INSTANT",
              help="The record after its last event recorded at or before this instant, "
                   "e.g. 2026-11-20T09:00:00+09:00.")
def state(aggregate_id: str, position: int | None, instant: str | None) -> None:
    """Print a lot, RFQ, need or organisation as it stood (JSON); now, without an option.

    A lot's bids are shown only once it has closed; an RFQ's quotes once its deadline has."""
    record_id = _record_id(aggregate_id)
    marketplace = open_marketplace(Settings.from_env())
    past = state_at(marketplace, record_id, position=position, at=_instant(instant))
    summary = state_summary(marketplace, past, OrganisationNames(marketplace))
    click.echo(json.dumps(plain(summary), ensure_ascii=False, indent=2))


@audit.command("timeline")
@click.argument("aggregate_id", metavar="ID")
def timeline_command(aggregate_id: str) -> None:
    """Print a record's events in order: position, version, time (UTC), type, summary."""
    # Imported here: marketplace.cli imports this module while it is itself being loaded.
    from marketplace.cli import _print_table

    record_id = _record_id(aggregate_id)
    marketplace = open_marketplace(Settings.from_env())
    entries = timeline(marketplace, record_id)
    _print_table(("position", "version", "time", "event", "summary"),
                 [(str(e.position), str(e.version),
                   e.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), e.event_type,
                   str(e.summary)) for e in entries])


def _record_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise click.ClickException(
            f"{text!r} is not a record id; ids look like 0f8fad5b-d9cb-469f-a165-70867728950e "
            "(the id of a lot, an RFQ, a need or an organisation)") from None


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.ClickException(
            f"--at {text!r} is not an instant; write it as 2026-11-20T09:00:00+09:00") from None
