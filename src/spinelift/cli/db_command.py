"""``spinelift db``: the web app's database (``upgrade`` to the newest schema, ``current``).

The database is ``--database-url``, else ``SPINELIFT_DATABASE_URL`` or ``DATABASE_URL``,
else a SQLite file in the data dir (``SPINELIFT_DATA_DIR``/spinelift.db). PostgreSQL
URLs (``postgresql://user@host/db``) use psycopg 3. Upgrading twice is harmless.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from spinelift.cli.exit_codes import EPILOG, ExitCode, plain_text
from spinelift.config import ServiceSettings
from spinelift.errors import StorageError

if TYPE_CHECKING:
    from spinelift.storage.db import Database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``db`` subcommand and its ``upgrade`` and ``current`` actions."""
    parser = subparsers.add_parser(
        "db",
        help="create or migrate the web app's database",
        description=plain_text(__doc__),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="migrate the database to the newest schema")
    upgrade.add_argument(
        "--revision", default="head", metavar="REV", help="target revision (default: head)"
    )
    current = actions.add_parser("current", help="print the database's schema revision")
    for action in (upgrade, current):
        action.add_argument(
            "--database-url",
            metavar="URL",
            help="SQLAlchemy URL (default: $DATABASE_URL or sqlite in the data dir)",
        )
    upgrade.set_defaults(handler=run_upgrade)
    current.set_defaults(handler=run_current)


def open_database(args: argparse.Namespace) -> Database:
    # late imports here and below: SQLAlchemy and Alembic load only for this command
    from spinelift.storage.db import Database, database_url_from_env

    url = args.database_url or database_url_from_env(ServiceSettings().data_dir)
    return Database(url)


def run_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from spinelift.storage import migrations

    database = open_database(args)
    try:
        migrations.upgrade(database, args.revision)
        revision = migrations.current_revision(database)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot migrate {_safe(database)}: {exc.__class__.__name__}") from exc
    finally:
        database.dispose()
    print(f"database {_safe(database)} is at revision {revision}")
    return int(ExitCode.OK)


def run_current(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from spinelift.storage import migrations

    database = open_database(args)
    try:
        revision = migrations.current_revision(database)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read {_safe(database)}: {exc.__class__.__name__}") from exc
    finally:
        database.dispose()
    head = migrations.head_revision()
    state = "up to date" if revision == head else f"behind (newest: {head})"
    print(f"{revision or 'empty'}: {state}")
    return int(ExitCode.OK)


def _safe(database: Database) -> str:
    """The URL without its password (for messages)."""
    return database.url.render_as_string(hide_password=True)
