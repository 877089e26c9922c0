"""``spinelift serve``: the web app, its database, a broker and workers on one machine.

Nothing to set up: the data folder (./spinelift-data in the current folder unless
--data-dir or SPINELIFT_DATA_DIR says otherwise) receives a SQLite database, migrated
at start, the uploaded files and exports, and a private Redis (a unix socket, restarted
if it dies) as broker and progress pub/sub; --workers worker processes run the project
jobs (each restarted alone if it dies). On start it prints the URL to open and the
data folder. At scale: set DATABASE_URL (PostgreSQL) and REDIS_URL, run
`spinelift serve --workers 0` behind a load balancer and `spinelift worker --jobs
projects` on as many machines as needed (see docs/web.md). Ctrl-C or SIGTERM stops
everything it started.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
from typing import Any

from spinelift.cli.exit_codes import SERVER_EPILOG, ExitCode, plain_text
from spinelift.cli.stack import (
    add_stack_arguments,
    check_counts,
    overrides_from,
    run_stack,
    serve_with_uvicorn,
    start_logging,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the web app with its database, broker and workers",
        description=plain_text(__doc__),
        epilog=SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    workers = min(os.cpu_count() or 1, 4)
    add_stack_arguments(
        parser, default_port=8080, workers_default=f"{workers}: one per CPU, at most 4"
    )
    parser.set_defaults(handler=run)


M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter that ``MALLOC_ARENA_MAX`` sets"""


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas in this process, as ``MALLOC_ARENA_MAX=2`` would, unless
    the environment sets that variable; True when applied.

    The API process answers requests in up to 40 threads; glibc gives busy threads arenas
    of their own (up to 8 per core) and rarely returns their free memory, so the buffers of
    exports and password hashes left each API process settled at 450-600 MiB RSS under
    load instead of 250-320 MiB with two arenas, at the same throughput (bench/load.py,
    docs/reliability.md "Load held"). Without glibc (musl, macOS) it does nothing.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))


def run(args: argparse.Namespace) -> int:
    from spinelift.web.settings import WebSettings  # late: only this command needs FastAPI

    limit_malloc_arenas()  # before any thread exists
    settings = start_logging(WebSettings(**overrides_from(args)))
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    workers = min(os.cpu_count() or 1, 4) if args.workers is None else args.workers
    check_counts(workers, args.threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings.model_copy(
        update={"database_url": settings.resolved_database_url()}
    ).with_jwt_secret()
    _upgrade_database(settings.resolved_database_url())
    run_stack(
        settings,
        name="SpineLift web app",
        workers=workers,
        worker_jobs="projects",
        threads=args.threads,
        child_env=child_env,
        serve=_serve,
        base_env=os.environ,
        notes=[f"database: {_shown_database(settings.resolved_database_url())}"],
    )
    return int(ExitCode.OK)


def worker_command(processes: int, threads: int) -> list[str]:
    """The command line of ``processes`` worker processes running the project jobs
    (``spinelift worker --jobs projects``); ``serve`` itself starts one process per
    command, each supervised alone (:func:`spinelift.cli.stack.worker_command`)."""
    return [
        sys.executable, "-m", "spinelift.cli.main", "worker", "--jobs", "projects",
        "--processes", str(processes), "--threads", str(threads),
    ]  # fmt: skip


def _shown_database(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def child_env(settings: Any) -> dict[str, str]:
    """What the workers must share with the app: database, broker, data dir."""
    return {
        "SPINELIFT_REDIS_URL": str(settings.redis_url),
        "SPINELIFT_DATABASE_URL": str(settings.resolved_database_url()),
        "SPINELIFT_DATA_DIR": str(settings.data_dir.resolve()),
        "SPINELIFT_KEY_PREFIX": str(settings.key_prefix),
    }


def _upgrade_database(url: str) -> None:
    from spinelift.storage import migrations
    from spinelift.storage.db import Database

    database = Database(url)
    try:
        migrations.upgrade(database)
    finally:
        database.dispose()


def _serve(settings: Any) -> None:
    from spinelift.web.app import create_app

    serve_with_uvicorn(create_app(settings), settings.host, settings.port)
