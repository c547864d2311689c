"""`marketplace payments …`: settling and reconciling lots' payments with the processor."""

from __future__ import annotations

from uuid import UUID

import click

from marketplace.application import Marketplace
from marketplace.bootstrap import open_marketplace
from marketplace.cli_support import progress_bar
from marketplace.commands.followups import FollowUp
from marketplace.settings import Settings


@click.group()
def payments() -> None:
    """Reconcile the ledger's payments with the payment processor."""


@payments.command()
@click.argument("lot_id", type=click.UUID, required=False)
@click.option("--all-due", is_flag=True,
              help="Every allocated or cancelled lot whose payments are unfinished.")
def settle(lot_id: UUID | None, all_due: bool) -> None:
    """Capture, charge or release each buyer of the allocated or cancelled LOT_ID, then pay
    its suppliers (what the server does at the close, and again in the background after a
    failure; here at once: no call is made twice). With --all-due, every lot that needs it."""
    if (lot_id is None) == (not all_due):
        raise click.UsageError("name one LOT_ID, or --all-due for every lot that needs it")
    marketplace = open_marketplace(Settings.from_env())
    if lot_id is None:
        _settle_all_due(marketplace)
        return
    for payment in [*marketplace.settle_buyers(lot_id), *marketplace.pay_suppliers(lot_id)]:
        amount = "" if payment.settled_amount is None else f" {payment.settled_amount:,}"
        click.echo(f"{payment.purpose} for {payment.party_id}: {payment.status}{amount} "
                   f"({payment.reference})")


def _settle_all_due(marketplace: Marketplace) -> None:
    """One pass over every settled lot with payments, each judged and followed up on its
    own; a line per lot followed up, and a failed exit if any failed."""
    lots = marketplace.settled_lots_with_payments()
    followed: list[FollowUp] = []
    with progress_bar(len(lots), "Following up payments") as progress:
        for done, lot_id in enumerate(lots, start=1):
            found = marketplace.follow_up_lot(lot_id)
            if found is not None:
                followed.append(found)
            progress(done)
    for lot in followed:
        outcome = f"failed: {lot.error}" if lot.error else (
            "done" if lot.still is None else f"{lot.still} still")
        click.echo(f"lot {lot.lot_id}: {lot.left}; {outcome}")
    failed = [lot for lot in followed if lot.error]
    click.echo(f"{len(lots)} lot(s) with payments, {len(followed)} followed up, "
               f"{len(failed)} failed", err=True)
    if failed:
        raise click.ClickException(
            f"the payments of {len(failed)} lot(s) could not be settled; run this again once "
            "the processor answers")


@payments.command()
@click.argument("lot_id", type=click.UUID)
def reconcile(lot_id: UUID) -> None:
    """Record what the processor holds for LOT_ID and the ledger misses (after a crash
    between a call and its record, or a hold that lapsed)."""
    marketplace = open_marketplace(Settings.from_env())
    found = marketplace.reconcile_payments(lot_id)
    for payment in found.recorded:
        click.echo(f"recorded: {payment.purpose} for {payment.party_id} is {payment.status} "
                   f"({payment.reference})")
    for payment in found.never_reached:
        click.echo(f"never reached {marketplace.payments.name}: {payment.purpose} for "
                   f"{payment.party_id} (key {payment.key}); paying again repeats it under "
                   "that key")
    click.echo(f"{len(found.recorded)} recorded, {len(found.never_reached)} never reached "
               f"the processor, {len(found.unknown_to_ledger)} unknown to the ledger", err=True)
    if found.unknown_to_ledger:
        raise click.ClickException(
            f"{marketplace.payments.name} holds what the ledger never asked for: "
            f"{', '.join(found.unknown_to_ledger)}; look into them before paying anything "
            "out")
