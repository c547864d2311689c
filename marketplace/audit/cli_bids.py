"""`marketplace audit check-bids LOT_ID`: every sealed bid of a closed lot checked against the
commitment it put on the ledger before the close (docs/sealed-bids.md)."""

from __future__ import annotations

from uuid import UUID

import click

from marketplace.audit.bid_commitments import CommitmentCheck, check_bid_commitments
from marketplace.audit.cli import audit
from marketplace.audit.lot_entries import UnreadableEntryError
from marketplace.bootstrap import open_marketplace
from marketplace.settings import Settings


@audit.command("check-bids")
@click.argument("lot_id", metavar="LOT_ID")
def check_bids(lot_id: str) -> None:
    """Check each bid of a closed lot against its commitment, one line per bid entry.

    Exits 1 if any bid fails; a bid that cannot be proven (recorded before commitments, or
    under no checkpoint signed before the close) is printed UNPROVEN but does not fail."""
    try:
        lot = UUID(lot_id)
    except ValueError:
        raise click.ClickException(
            f"{lot_id!r} is not a lot id; ids look like 0f8fad5b-d9cb-469f-a165-70867728950e"
        ) from None
    marketplace = open_marketplace(Settings.from_env())
    try:
        checks = check_bid_commitments(marketplace, lot)
    except UnreadableEntryError as error:
        raise click.ClickException(f"lot {lot}: {error}") from None
    for check in checks:
        click.echo(line(check))
    failed = [check for check in checks if check.verdict == "failed"]
    if failed:
        raise click.ClickException(
            f"{len(failed)} of {len(checks)} bid entries of lot {lot} fail their commitment, "
            f"first at position {failed[0].position}")
    click.echo(f"lot {lot}: {len(checks)} bid entries checked", err=True)


def line(check: CommitmentCheck) -> str:
    """``position 20 · bid 56dead21-… placed · OK · its terms hash to …``"""
    bid = "an unreadable bid" if check.bid_id is None else f"bid {check.bid_id}"
    kind = "revised" if check.revised else "placed"
    return (f"position {check.position} · {bid} {kind} · {check.verdict.upper()} · "
            f"{check.message}")


__all__ = ["check_bids", "line"]
