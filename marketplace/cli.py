"""The `marketplace` command: serve, migrate, replay, seed the demo cluster."""

from __future__ import annotations

import sys
from typing import Any

import click
import sqlalchemy.exc
from sqlalchemy.engine import Engine

from events import (
    ConflictError,
    check_connection,
    count_events,
    engine_for,
    first_line,
    rebuild_read_models,
    safe_url,
)
from marketplace import schema
from marketplace.bootstrap import STARTUP_ERRORS, open_marketplace
from marketplace.demo import seed_demo_cluster
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.settings import Settings

USER_ERRORS: tuple[type[Exception], ...] = (
    *STARTUP_ERRORS, RuleViolationError, NotFoundError, ConflictError)


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
    uvicorn.run("web.app:create_app", factory=True, host=host, port=port, workers=workers,
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
    with click.progressbar(length=total, label="Replaying the ledger", show_pos=True,
                           file=sys.stderr) as bar:
        done = 0

        def progress(replayed: int) -> None:
            nonlocal done
            bar.update(replayed - done)
            done = replayed
        replayed = rebuild_read_models(marketplace, batch_size=batch_size, progress=progress)
    click.echo(f"replayed {replayed} events into the read models", err=True)


@cli.command()
def demo() -> None:
    """Seed a demo cluster into an empty marketplace."""
    added = seed_demo_cluster(open_marketplace(Settings.from_env()))
    click.echo(f"demo cluster: {added} organisations registered" if added else
               "demo cluster: the marketplace already has organisations; nothing added", err=True)


def _reach(settings: Settings) -> Engine:
    engine = engine_for(settings.database_url)
    check_connection(engine)
    return engine


def main() -> None:
    cli(prog_name="marketplace")
