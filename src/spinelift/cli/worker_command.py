"""``spinelift worker``: Dramatiq worker processes running SpineLift's jobs.

Run as many as needed, on as many machines as needed, all pointed at the same Redis
(SPINELIFT_REDIS_URL or REDIS_URL, or --redis-url) and sharing the blob store
(SPINELIFT_DATA_DIR, or S3). --jobs mesh runs the mesh service's jobs, --jobs projects
the web app's (with SPINELIFT_DATABASE_URL). Stops gracefully on Ctrl-C / SIGTERM
(running jobs finish, up to 30 s, then are redelivered). Every log line, Dramatiq's
included, uses SPINELIFT_LOG_FORMAT.
"""

from __future__ import annotations

import argparse
import os

from spinelift.cli.exit_codes import SERVER_EPILOG, ExitCode, plain_text
from spinelift.config import ServiceSettings
from spinelift.errors import InvalidParametersError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``worker`` subcommand."""
    parser = subparsers.add_parser(
        "worker",
        help="run job worker processes (Dramatiq on Redis)",
        description=plain_text(__doc__),
        epilog=SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_worker_arguments(parser, default_processes=os.cpu_count() or 1)
    parser.add_argument(
        "--redis-url", metavar="URL", help="Redis URL; without it, SPINELIFT_REDIS_URL or REDIS_URL"
    )
    parser.add_argument(
        "--jobs",
        choices=sorted(JOB_MODULES),
        default="mesh",
        help="whose jobs to run: the mesh service's or the web app's projects (default: mesh)",
    )
    parser.set_defaults(handler=run)


def add_worker_arguments(parser: argparse.ArgumentParser, *, default_processes: int) -> None:
    parser.add_argument(
        "--processes",
        type=int,
        default=default_processes,
        metavar="N",
        help=f"worker processes (default: {default_processes}, the CPUs)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="threads per process; meshing holds the GIL: 1-2 is best (default: 1)",
    )


JOB_MODULES = {
    "mesh": "spinelift.jobs.mesh.worker_entry",
    "projects": "spinelift.jobs.projects.actors:setup_worker",
}
"""the Dramatiq entry of each kind of job"""
IDLE_POLL_MS = 100
"""longest pause of an idle worker between two looks at its queue (Dramatiq's
``dramatiq_worker_timeout``, 1000 ms by default: up to a second before a new job starts)"""


def dramatiq_argv(processes: int, threads: int, queue: str, jobs: str = "mesh") -> list[str]:
    """Dramatiq's command line for SpineLift's worker module (its logging is ours)."""
    return [
        JOB_MODULES[jobs],
        "--skip-logging",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--queues",
        queue,
        "--worker-shutdown-timeout",
        "30000",
    ]


def run(args: argparse.Namespace) -> int:
    if args.processes < 1 or args.threads < 1:
        raise InvalidParametersError("--processes and --threads must be at least 1")
    if args.redis_url:
        os.environ["SPINELIFT_REDIS_URL"] = args.redis_url
    settings = ServiceSettings()
    if not settings.redis_url:
        raise InvalidParametersError(
            "no Redis configured: set SPINELIFT_REDIS_URL or REDIS_URL, or pass --redis-url"
        )
    os.environ.setdefault("dramatiq_worker_timeout", str(IDLE_POLL_MS))  # read on import
    from dramatiq.cli import main as dramatiq_main  # late: the CLI's other commands skip it
    from dramatiq.cli import make_argument_parser

    from spinelift.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    queue = settings.queue_name
    if args.jobs == "projects":
        from spinelift.jobs.projects.messages import QUEUE_NAME

        queue = QUEUE_NAME
    namespace = make_argument_parser().parse_args(  # type: ignore[no-untyped-call]
        dramatiq_argv(args.processes, args.threads, queue, args.jobs)
    )
    code = dramatiq_main(namespace)  # type: ignore[no-untyped-call]
    return int(code or ExitCode.OK)
