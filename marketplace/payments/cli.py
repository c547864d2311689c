"""`marketplace payments …`: reconciling a lot's payments with the payment processor."""

from __future__ import annotations

from uuid import UUID

import click

from marketplace.bootstrap import open_marketplace
from marketplace.settings import Settings


@click.group()
def payments() -> None:
    """Reconcile the ledger's payments with the payment processor."""


@payments.command()
@click.argument("lot_id", type=click.UUID)
def settle(lot_id: UUID) -> None:
    """Capture, charge or release each buyer of the allocated or cancelled LOT_ID, then pay
    its suppliers (what the server does at the close; again here after a failure: no call is
    made twice)."""
    marketplace = open_marketplace(Settings.from_env())
    for payment in [*marketplace.settle_buyers(lot_id), *marketplace.pay_suppliers(lot_id)]:
        amount = "" if payment.settled_amount is None else f" {payment.settled_amount:,}"
        click.echo(f"{payment.purpose} for {payment.party_id}: {payment.status}{amount} "
                   f"({payment.reference})")


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
