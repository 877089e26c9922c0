"""``spinelift worker``: Dramatiq worker processes running SpineLift's jobs.

Run as many as needed, on as many machines as needed, all pointed at the same Redis
(``SPINELIFT_REDIS_URL`` or ``REDIS_URL``, or ``--redis-url``) and sharing the blob
store directory (``SPINELIFT_DATA_DIR``). Stops gracefully on Ctrl-C / SIGTERM
(running jobs finish, up to Dramatiq's shutdown timeout, then are redelivered).
"""

from __future__ import annotations

import argparse
import os

from spinelift.cli.exit_codes import EPILOG, ExitCode
from spinelift.config import ServiceSettings
from spinelift.errors import InvalidParametersError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``worker`` subcommand."""
    parser = subparsers.add_parser(
        "worker",
        help="run job worker processes (Dramatiq on Redis)",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_worker_arguments(parser, default_processes=os.cpu_count() or 1)
    parser.add_argument("--redis-url", metavar="URL", help="Redis URL [default: from settings]")
    parser.set_defaults(handler=run)


def add_worker_arguments(parser: argparse.ArgumentParser, *, default_processes: int) -> None:
    parser.add_argument(
        "--processes",
        type=int,
        default=default_processes,
        metavar="N",
        help=f"worker processes [default: {default_processes}]",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="threads per process (meshing holds the GIL: 1-2 is best) [default: 1]",
    )


def dramatiq_argv(processes: int, threads: int, queue: str) -> list[str]:
    """Dramatiq's command line for SpineLift's worker module."""
    return [
        "spinelift.jobs.worker_entry",
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
    from dramatiq.cli import main as dramatiq_main  # late: the CLI's other commands skip it
    from dramatiq.cli import make_argument_parser

    namespace = make_argument_parser().parse_args(  # type: ignore[no-untyped-call]
        dramatiq_argv(args.processes, args.threads, settings.queue_name)
    )
    code = dramatiq_main(namespace)  # type: ignore[no-untyped-call]
    return int(code or ExitCode.OK)
