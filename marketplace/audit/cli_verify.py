"""`marketplace audit verify`, `check-receipt`, `check-consistency` and `checkpoint`."""

from __future__ import annotations

import base64
import binascii
import os
import sys
from pathlib import Path
from typing import Any

import click

from events import engine_for
from events.checkpoints import Signer
from events.receipts import ReceiptError, check_consistency, check_receipt
from events.verify_entries import VerifyWorkerError
from marketplace.application import Marketplace
from marketplace.audit.cli import audit
from marketplace.audit.verify import default_workers, verify_ledger
from marketplace.bootstrap import open_marketplace
from marketplace.schema import ensure_current
from marketplace.settings import LEDGER_KEY_FILE, Settings

PUBLIC_KEY_HELP = ("the ledger's Ed25519 public key to trust: base64 of its 32 bytes, or a file "
                   "holding that (published at /api/v1/ledger/public-key); give it again for "
                   "each key of a rotation; by default the key of this deployment's settings, "
                   "else the key the checkpoints name")


@audit.command()
@click.option("--database", "database_url", metavar="URL",
              help="the database to verify (default: the configured one)")
@click.option("--public-key", metavar="KEY|FILE", multiple=True, help=PUBLIC_KEY_HELP)
@click.option("--skip-read-models", is_flag=True,
              help="skip comparing the read models with a replay (the slowest phase)")
@click.option("--workers", type=click.IntRange(1, 64), default=default_workers(),
              show_default=True,
              help="processes sharing the entries phase (each holds its own aggregates)")
def verify(database_url: str | None, public_key: tuple[str, ...], skip_read_models: bool,
           workers: int) -> None:
    """Check every hash, checkpoint, aggregate, allocation and read model of the ledger."""
    marketplace = _marketplace(database_url)
    trusted = _trusted_key(public_key, database_url)
    if trusted is None:
        click.echo("no key pinned: checking each checkpoint against the key it names "
                   "(pin one with --public-key)", err=True)
    bars: dict[str, Any] = {}
    shown: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            for other in bars.values():
                other.render_finish()
            bar = bars[phase] = click.progressbar(length=max(total, 1), label=f"{phase:<12}",
                                                  show_pos=True, file=sys.stderr)
        bar.update(done - shown.get(phase, 0))
        shown[phase] = done

    try:
        report = verify_ledger(marketplace, trusted_key=trusted, progress=progress,
                               read_models=not skip_read_models, workers=workers)
    except VerifyWorkerError as error:
        raise click.ClickException(str(error)) from None
    for bar in bars.values():
        bar.render_finish()
    for phase in report.phases:
        click.echo(f"{phase.name:<12} {phase.count:>10,} checked in {phase.seconds:7.2f} s",
                   err=True)
    if report.problem is not None:
        raise click.ClickException(f"verify failed at {report.problem}")
    click.echo(f"the ledger holds: {report.entries:,} entries verified", err=True)


@audit.command("check-receipt")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-key", metavar="KEY|FILE", multiple=True, help=PUBLIC_KEY_HELP)
def check_receipt_command(file: Path, public_key: tuple[str, ...]) -> None:
    """Check a receipt file: its entry, inclusion proof and signed checkpoint."""
    trusted = _trusted_key(public_key, None, from_settings=not public_key)
    try:
        checked = check_receipt(_read(file), trusted)
    except ReceiptError as error:
        raise click.ClickException(f"{file}: the receipt does not hold: {error}") from None
    how = "the trusted key" if trusted is not None else "the key it names"
    click.echo(f"{file}: entry {checked.position} ({checked.topic.rsplit('.', 1)[-1]} v"
               f"{checked.version} of {checked.aggregate_id}) is leaf {checked.leaf_index} of "
               f"the checkpoint of {checked.checkpoint.tree_size} entries signed at "
               f"{checked.checkpoint.made_at:%Y-%m-%d %H:%M:%S} UTC by {how} "
               f"{checked.checkpoint.key_id}")


@audit.command("check-consistency")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-key", metavar="KEY|FILE", multiple=True, help=PUBLIC_KEY_HELP)
def check_consistency_command(file: Path, public_key: tuple[str, ...]) -> None:
    """Check a consistency proof file: the later checkpoint only appended to the earlier."""
    trusted = _trusted_key(public_key, None, from_settings=not public_key)
    try:
        first, second = check_consistency(_read(file), trusted)
    except ReceiptError as error:
        raise click.ClickException(f"{file}: the proof does not hold: {error}") from None
    click.echo(f"{file}: the ledger of {second.tree_size} entries (signed at "
               f"{second.made_at:%Y-%m-%d %H:%M:%S} UTC) extends the ledger of "
               f"{first.tree_size} (signed at {first.made_at:%Y-%m-%d %H:%M:%S} UTC), both "
               f"by key {first.key_id}")


@audit.command()
def checkpoint() -> None:
    """Sign a checkpoint over every entry now (the server also signs them as it runs)."""
    made = open_marketplace(Settings.from_env()).checkpoint("manual")
    if made is None:
        raise click.ClickException("this deployment has no ledger signing key")
    click.echo(f"checkpoint #{made.id}: {made.tree_size} entries, root "
               f"{made.root_hash.hex()}, key {made.key_id}")


def _marketplace(database_url: str | None) -> Marketplace:
    if database_url is None:
        return open_marketplace(Settings.from_env())
    ensure_current(engine_for(database_url))
    return Marketplace(database_url)


def _trusted_key(texts: tuple[str, ...], database_url: str | None, *,
                 from_settings: bool = True) -> frozenset[bytes] | None:
    if texts:
        return frozenset(_public_key(text) for text in texts)
    if not from_settings or database_url is not None:
        return None
    key = _configured_public_key()
    return None if key is None else frozenset([key])


def _public_key(text: str) -> bytes:
    path = Path(text)
    if path.is_file():
        text = path.read_text().strip()
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise click.ClickException("--public-key must be the base64 of a 32-byte Ed25519 "
                                   "public key, or a file holding it")
    return key


def _configured_public_key() -> bytes | None:
    """The public half of the configured signing key, without creating one."""
    seed_text = os.environ.get("MARKETPLACE_LEDGER_KEY", "").strip()
    if not seed_text:
        path = Path(os.environ.get("MARKETPLACE_VAR_DIR", "var")) / LEDGER_KEY_FILE
        if not path.is_file():
            return None
    settings = Settings.from_env()
    if settings.ledger_key is None:
        return None
    return Signer.from_seed(settings.ledger_key).public_key


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror}") from None

