"""Alembic's environment: online migrations on the engine the caller configured.

:func:`spinelift.storage.migrations.alembic_config` puts the engine in
``config.attributes["engine"]``; there is no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from spinelift.storage.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations through spinelift.storage.migrations (no engine)")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=engine.dialect.name == "sqlite",  # SQLite alters by copying
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported: run `spinelift db upgrade`")
run_migrations_online()
