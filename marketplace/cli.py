"""The `marketplace` command: serve, migrate, replay, seed the demo cluster, clear a lot's input."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import click
import sqlalchemy.exc
from sqlalchemy.engine import Engine

from events import (
    ConflictError,
    DatabaseURLError,
    check_connection,
    count_events,
    engine_for,
    first_line,
    rebuild_read_models,
    safe_url,
)
from marketplace import schema
from marketplace.application import OrganisationNotFoundError
from marketplace.audit.cli import audit
from marketplace.bootstrap import STARTUP_ERRORS, open_marketplace
from marketplace.cli_support import atomic_file, progress_bar
from marketplace.demo import seed_demo_cluster
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.payments import PaymentError
from marketplace.payments.cli import payments
from marketplace.readmodels import OrganisationView
from marketplace.settings import Settings

USER_ERRORS: tuple[type[Exception], ...] = (
    *STARTUP_ERRORS, RuleViolationError, NotFoundError, ConflictError, DatabaseURLError,
    PaymentError)


class _Group(click.Group):
    """Turns every error a person can fix into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as error:
            raise click.ClickException(str(error)) from None
        except sqlalchemy.exc.OperationalError as error:
            raise click.ClickException(f"the database failed: {first_line(error)}") from None


@click.group(cls=_Group)
def cli() -> None:
    """Kyodo, the joint-procurement marketplace."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and the JSON API."""
    import uvicorn

    open_marketplace(Settings.from_env())  # fail here, in one line, rather than in a worker
    click.echo(f"Kyodo on http://{host}:{port}", err=True)
    uvicorn.run("web.app:serve_app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, log_level="info")


@cli.group()
def db() -> None:
    """Migrate the database (alembic owns every table)."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Migrate up to REVISION (default: the latest)."""
    settings = Settings.from_env()
    engine = _reach(settings)
    schema.upgrade(settings.database_url, revision)
    click.echo(f"{safe_url(settings.database_url)} is at migration "
               f"{schema.current_revision(engine)}", err=True)


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Migrate down to REVISION ('base' removes every table)."""
    settings = Settings.from_env()
    _reach(settings)
    schema.downgrade(settings.database_url, revision)


@db.command()
def current() -> None:
    """Print the database's migration and the one this code needs."""
    settings = Settings.from_env()
    engine = _reach(settings)
    click.echo(f"database: {schema.current_revision(engine) or 'none'}; "
               f"code: {schema.head_revision()}")


@cli.command()
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def replay(batch_size: int) -> None:
    """Rebuild every read model from the ledger."""
    marketplace = open_marketplace(Settings.from_env())
    total = count_events(marketplace)
    with progress_bar(total, "Replaying the ledger") as progress:
        replayed = rebuild_read_models(marketplace, batch_size=batch_size, progress=progress)
    click.echo(f"replayed {replayed} events into the read models", err=True)


@cli.group()
def demo() -> None:
    """The demo cluster."""


@demo.command()
def seed() -> None:
    """Seed a demo cluster (firms, needs, lots, bids) into an empty marketplace."""
    click.echo(seed_demo_cluster(open_marketplace(Settings.from_env())).describe(), err=True)


@cli.group()
def org() -> None:
    """Organisations and their API tokens."""


@org.command("list")
def list_organisations() -> None:
    """Print every organisation: id, name, roles, prefecture."""
    queries = open_marketplace(Settings.from_env()).organisations
    rows: list[OrganisationView] = []
    page = 500
    while batch := queries.search(limit=page, offset=len(rows)):
        rows.extend(batch)
        if len(batch) < page:
            break
    _print_table(("id", "name", "roles", "prefecture"),
                 [(str(o.id), o.display_name, ",".join(o.roles), o.prefecture) for o in rows])


@org.group()
def token() -> None:
    """Create, list and revoke an organisation's API tokens."""


@token.command("create")
@click.argument("organisation_id")
@click.option("--label", help="What the token is for, e.g. the system that will use it.")
def create_token(organisation_id: str, label: str | None) -> None:
    """Issue a new API token; print it (only it) on stdout, once."""
    organisation = _uuid(organisation_id, "an organisation id")
    issued = open_marketplace(Settings.from_env()).issue_api_token(organisation, label=label)
    click.echo(issued.api_token)
    click.echo(f"API token {issued.token_id} issued; it is shown only this once, keep it secret",
               err=True)


@token.command("list")
@click.argument("organisation_id")
def list_tokens(organisation_id: str) -> None:
    """Print the organisation's tokens: id, label, issued, revoked (never the tokens)."""
    organisation = _uuid(organisation_id, "an organisation id")
    marketplace = open_marketplace(Settings.from_env())
    if marketplace.organisations.get(organisation) is None:
        raise OrganisationNotFoundError(f"no organisation has id {organisation}")
    tokens = marketplace.organisations.api_tokens(organisation)
    _print_table(("token id", "label", "issued", "revoked"),
                 [(str(t.token_id), t.label or "-", _instant(t.issued_at),
                   _instant(t.revoked_at)) for t in tokens])


@token.command("revoke")
@click.argument("organisation_id")
@click.argument("token_id")
def revoke_token(organisation_id: str, token_id: str) -> None:
    """Revoke a token: it stops authenticating at once."""
    organisation = _uuid(organisation_id, "an organisation id")
    revoked = _uuid(token_id, "a token id")
    open_marketplace(Settings.from_env()).revoke_api_token(organisation, revoked)
    click.echo(f"API token {revoked} revoked; it no longer authenticates", err=True)


def _uuid(text: str, what: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise click.ClickException(
            f"{text!r} is not {what}; ids look like 0f8fad5b-d9cb-469f-a165-70867728950e "
            "(`marketplace org list` shows them)") from None


def _instant(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell, counting a Japanese character as two columns."""
    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    widths = [max(width(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    for row in (headers, *rows):
        click.echo("  ".join(cell + " " * (w - width(cell))
                             for cell, w in zip(row, widths, strict=True)).rstrip())


@cli.command()
def openapi() -> None:
    """Print the JSON API's OpenAPI document (JSON); needs no database."""
    import importlib

    # Named, not imported, like `serve`'s app: the core does not depend on the web layer.
    document = importlib.import_module("web.app").openapi_document()
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@cli.command("allocate")
@click.argument("input_path", metavar="INPUT.json")
@click.option("--output", "-o", "output_path", metavar="OUT.json",
              help="Write the result here (replaced whole, never half-written) and print a "
                   "one-line summary; without it the result goes to stdout.")
def allocate_lot(input_path: str, output_path: str | None) -> None:
    """Allocate a lot: who is served, by which bids, at what price.

    Reads the allocation input INPUT.json (- for stdin) and prints the result as JSON, or
    writes it to OUT.json. The formats and the rules are in docs/allocation.md. Needs no
    database; the same input always gives the same bytes.
    """
    # Loaded here, not at the top: only this command needs the solver (HiGHS and numpy).
    from marketplace.allocation import AllocationInputError, allocate, parse_input

    label = "stdin" if input_path == "-" else input_path
    document = _read_json(input_path, label)
    try:
        problem = parse_input(document)
    except AllocationInputError as error:
        raise click.ClickException(f"{label}: {error}") from None
    result = allocate(problem).as_json()
    text = json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if output_path is None or output_path == "-":
        sys.stdout.buffer.write(text.encode())
        return
    with atomic_file(Path(output_path)) as file:
        file.write(text.encode())
    click.echo(f"{_summary(result)}; wrote {output_path}", err=True)


def _read_json(path: str, label: str) -> Any:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {label}: {error.strerror}") from None
    try:
        # Numbers as written, never through a binary float: 0.1 stays 0.1.
        return json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{label} is not JSON: {error.msg} at line {error.lineno}, "
                                   f"column {error.colno}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{label} is not UTF-8 text") from None
    except (ValueError, RecursionError) as error:  # a 5,000-digit number, a 10,000-deep list
        raise click.ClickException(f"{label} is not usable JSON: {error}") from None


def _summary(result: dict[str, Any]) -> str:
    status = {
        "infeasible": "infeasible: the bids could serve no need",
        "limit_reached": "limit_reached: the solver stopped at a limit, so this result is not "
                         "proven optimal and may not be reproducible",
    }.get(result["status"], result["status"])
    served = [b for b in result["buyers"] if b["served"]]
    return (f"{status}; served {result['served_quantity']} {result['unit']} to {len(served)} "
            f"of {len(result['buyers'])} buyers, total cost ¥{result['total_cost']}, "
            f"total saving ¥{result['savings']['total']}")


def _reach(settings: Settings) -> Engine:
    engine = engine_for(settings.database_url)
    check_connection(engine)
    return engine


def main() -> None:
    cli(prog_name="marketplace")


cli.add_command(audit)
cli.add_command(payments)
