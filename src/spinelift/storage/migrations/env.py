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
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it: dropping the old copy with foreign keys
            # on would cascade into its children. Off for the migration (the pragma only
            # works outside a transaction: set on the driver's connection, before BEGIN);
            # migrations that copy tables run PRAGMA foreign_key_check before committing.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,  # SQLite alters by copying
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported: run `spinelift db upgrade`")
run_migrations_online()
