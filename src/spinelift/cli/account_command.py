"""``spinelift account``: an operator deactivates, reactivates or deletes a web app account.

``WHO`` is the account's id or e-mail address. ``deactivate`` refuses the account's
sign-ins and every token it holds (reversible: ``reactivate``; tokens from before stay
refused). ``delete`` removes the account and all its data, as the user's own
``DELETE /api/v1/me`` does (projects, uploads, layers, meshes, jobs, notifications, the
projects' blobs; the audit log is kept): it asks for ``--yes``.

The database and blob store are the web app's settings (``SPINELIFT_DATABASE_URL``,
``SPINELIFT_DATA_DIR``, ``SPINELIFT_STORAGE_BACKEND``...). Running app processes learn of
the change through Redis: ``SPINELIFT_REDIS_URL``, else the embedded broker of
``spinelift serve`` on the same data dir when it is running. Without either, they refuse
the account's tokens once their cached state expires (``SPINELIFT_ACCOUNT_CACHE_SECONDS``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from spinelift.cli.exit_codes import EPILOG, ExitCode
from spinelift.errors import InvalidParametersError

if TYPE_CHECKING:
    from spinelift.web.auth_service import Accounts

HELP = "deactivate, reactivate or delete a web app account (operator)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``account`` subcommand and its actions."""
    parser = subparsers.add_parser(
        "account",
        help=HELP,
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    for name, text in (
        ("show", "print the account's id, e-mail and state"),
        ("deactivate", "refuse its sign-ins and every token it holds"),
        ("reactivate", "let it sign in again (old tokens stay refused)"),
        ("delete", "delete the account and all its data (needs --yes)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("who", metavar="WHO", help="the account's id or e-mail address")
        action.add_argument(
            "--database-url",
            metavar="URL",
            help="SQLAlchemy URL [default: $SPINELIFT_DATABASE_URL or sqlite in the data dir]",
        )
        if name == "delete":
            action.add_argument("--yes", action="store_true", help="really delete")
        action.set_defaults(handler=run, action=name)


def run(args: argparse.Namespace) -> int:
    # late imports: SQLAlchemy, Redis and the web app's services load only for this command
    from spinelift.storage.repositories import Actor

    if args.action == "delete" and not args.yes:
        raise InvalidParametersError(
            "deleting an account cannot be undone: add --yes", details={"fields": {}}
        )
    accounts, close = _accounts(args)
    try:
        user = accounts.find(args.who)
        actor = Actor.system("operator")
        if args.action == "deactivate":
            user = accounts.deactivate(user.id, actor)
        elif args.action == "reactivate":
            user = accounts.reactivate(user.id, actor)
        elif args.action == "delete":
            deleted = accounts.delete(user.id, actor)
            print(
                f"account {deleted.user_id} deleted: {deleted.projects} project(s),"
                f" {deleted.blobs} blob(s)"
            )
            return int(ExitCode.OK)
        state = "active" if user.is_active else "deactivated"
        print(f"account {user.id} <{user.email}>: {state}")
        return int(ExitCode.OK)
    finally:
        close()


def _accounts(args: argparse.Namespace) -> tuple[Accounts, Any]:
    import redis

    from spinelift.jobs.projects.events import EventBus
    from spinelift.storage.blob_factory import blob_store_for
    from spinelift.storage.db import Database
    from spinelift.web.accounts import AccountStates
    from spinelift.web.auth_service import Accounts
    from spinelift.web.settings import WebSettings

    settings = WebSettings()
    database = Database(args.database_url or settings.resolved_database_url())
    url = settings.redis_url or _embedded_broker(settings.data_dir)
    client = redis.Redis.from_url(url, socket_connect_timeout=2.0) if url else None
    if client is not None:
        try:
            client.ping()
        except redis.RedisError:
            client.close()
            client = None
    if client is None:
        print(
            "note: no Redis reachable: running app processes refuse the account's tokens"
            f" within {settings.account_cache_seconds} s (their cached state)"
        )
    prefix = settings.key_prefix
    states = AccountStates(database, client, prefix, settings.account_cache_seconds)
    events = EventBus(client, prefix) if client is not None else None
    accounts = Accounts(database, blob_store_for(settings), states, events)

    def close() -> None:
        if client is not None:
            client.close()
        database.dispose()

    return accounts, close


def _embedded_broker(data_dir: Any) -> str | None:
    """``unix://`` URL of ``spinelift serve``'s broker for ``data_dir``, if it is there."""
    from spinelift.cli.embedded_redis import socket_path

    path = socket_path(data_dir)
    return f"unix://{path}" if path.exists() else None
