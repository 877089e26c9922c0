"""``spinelift mesh-service``: the mesh API, a broker and workers on one machine.

Without REDIS_URL it starts a private Redis (a unix socket, restarted if it dies) whose
state is kept in the data folder (./spinelift-data in the current folder unless
--data-dir or SPINELIFT_DATA_DIR says otherwise); with it, it uses that Redis and
starts no broker. It starts --workers worker processes (0: none, run `spinelift worker`
elsewhere; each restarted alone if it dies) and the API, prints the URL and the data
folder, and stops them all on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import secrets

from spinelift.cli.exit_codes import SERVER_EPILOG, ExitCode, plain_text
from spinelift.cli.stack import (
    add_stack_arguments,
    check_counts,
    overrides_from,
    run_stack,
    serve_with_uvicorn,
    start_logging,
)
from spinelift.config import ServiceSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mesh-service`` subcommand."""
    parser = subparsers.add_parser(
        "mesh-service",
        help="run the mesh service API with its broker and workers",
        description=plain_text(__doc__),
        epilog=SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(
        parser,
        default_port=8000,
        workers_default=f"{os.cpu_count() or 1}: one per CPU, at most "
        "SPINELIFT_MAX_CONCURRENT_JOBS (10)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = start_logging(ServiceSettings(**overrides_from(args)))
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    workers = args.workers
    if workers is None:
        workers = min(os.cpu_count() or 1, max(1, settings.max_concurrent_jobs // args.threads))
    check_counts(workers, args.threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    notes = []
    if not settings.service_token:
        token = secrets.token_urlsafe(24)
        settings = settings.model_copy(update={"service_token": token})
        notes.append(f"no SPINELIFT_SERVICE_TOKEN set; this run's X-Service-Token: {token}")
    run_stack(
        settings,
        name="SpineLift mesh service",
        workers=workers,
        worker_jobs="mesh",
        threads=args.threads,
        child_env=_child_env,
        serve=_serve,
        base_env=os.environ,
        notes=notes,
        open_path="/docs",
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
