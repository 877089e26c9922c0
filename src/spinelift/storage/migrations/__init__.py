"""Alembic migrations, configured in code (no ``alembic.ini``): works from an install.

``upgrade(database)`` brings a database to the newest schema; ``spinelift db upgrade``
calls it. New revisions: ``alembic_config(database)`` with ``alembic.command.revision``
(``autogenerate=True``), then review the file under ``versions/``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from spinelift.storage.db import Database

SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(database: Database) -> Config:
    """An Alembic config whose ``env.py`` runs on ``database``'s engine (and pragmas)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate ``database`` up to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(database), revision)


def downgrade(database: Database, revision: str) -> None:
    """Migrate ``database`` down to ``revision`` (``"base"``: empty)."""
    command.downgrade(alembic_config(database), revision)


def current_revision(database: Database) -> str | None:
    """The revision ``database`` is at (``None``: never migrated)."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of SpineLift."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return ScriptDirectory.from_config(config).get_current_head()
