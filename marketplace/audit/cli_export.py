"""`marketplace audit export`: every event as JSON Lines, or lots and RFQs as OCDS.

The formats are in docs/export.md. The file is written beside its final name and renamed at
the end, so FILE is the old one or the whole new one, never a part.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from marketplace.audit.cli import audit
from marketplace.audit.export import count_events, write_jsonl
from marketplace.audit.ocds import DEFAULT_OCID_PREFIX, count_processes, write_record_package
from marketplace.bootstrap import open_marketplace
from marketplace.cli_support import atomic_file, progress_bar
from marketplace.settings import Settings

FORMATS = ("jsonl", "ocds")
#: An ocid prefix as OCDS registers them ("ocds-" and six characters), or a publisher's own:
#: letters, digits and hyphens, so that every ocid is plain text in a URL or a file name.
OCID_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,49}")


@audit.command("export")
@click.option("--format", "format_name", metavar="jsonl|ocds",
              help="jsonl: one line per ledger event; ocds: an OCDS 1.1 record package of "
                   "every lot and RFQ.")
@click.option("--output", "-o", "output_path", metavar="FILE", help="The file to write.")
@click.option("--ocid-prefix", default=DEFAULT_OCID_PREFIX, show_default=True,
              envvar="MARKETPLACE_OCDS_PREFIX", show_envvar=True,
              help="ocds: the publisher's ocid prefix; a process's ocid is it and the lot's "
                   "or RFQ's id.")
@click.option("--publisher", default="Kyodo", show_default=True,
              help="ocds: the publisher's name in the package.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="jsonl: events read per query.")
def export(format_name: str | None, output_path: str | None, ocid_prefix: str,
           publisher: str, batch_size: int) -> None:
    """Export the ledger: every event as JSON Lines, or lots and RFQs as OCDS.

    The export covers the ledger up to its last position when the export starts. Bids and
    quotes of rounds not closed by then stay sealed (docs/export.md).
    """
    if format_name not in FORMATS:
        raise click.ClickException(f"--format {format_name or ''!r} is not a format we "
                                   "export; use --format jsonl or --format ocds")
    if not output_path:
        raise click.ClickException("name the file to write with --output FILE")
    if format_name == "ocds" and not OCID_PREFIX.fullmatch(ocid_prefix):
        raise click.ClickException(
            f"--ocid-prefix {ocid_prefix!r} is not an ocid prefix; use 1 to 50 letters, "
            f"digits and hyphens, e.g. {DEFAULT_OCID_PREFIX}")
    marketplace = open_marketplace(Settings.from_env())
    end = marketplace.position()
    path = Path(output_path)
    if format_name == "jsonl":
        with atomic_file(path) as file, \
                progress_bar(count_events(marketplace, end=end), "Exporting the ledger") as bar:
            written = write_jsonl(marketplace, file, end=end, batch_size=batch_size,
                                  progress=bar)
        click.echo(f"exported {written} events, positions 1 to {end}, to {path}", err=True)
        return
    processes = count_processes(marketplace, end=end)
    if not processes:
        raise click.ClickException("the ledger holds no lot or RFQ, and an OCDS record "
                                   "package needs at least one; nothing was written")
    with atomic_file(path) as file, progress_bar(processes, "Exporting lots and RFQs") as bar:
        written = write_record_package(marketplace, file, end=end, ocid_prefix=ocid_prefix,
                                       publisher=publisher, progress=bar)
    click.echo(f"exported {written} lots and RFQs as an OCDS record package, up to position "
               f"{end}, to {path}", err=True)


