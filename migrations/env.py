"""Alembic environment: the URL comes from the caller (marketplace db …) or the settings."""

from __future__ import annotations

from alembic import context

from events import engine_for
from marketplace.schema import compare_type, include_name, target_metadata
from marketplace.settings import Settings

url = context.config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url

with engine_for(url).connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=compare_type, include_name=include_name,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
