"""Web app latency on `spinelift serve` defaults: upload to all-meshed, and how fast a job
cut by a killed worker runs again.

Starts a real `spinelift serve` (embedded SQLite and Redis, default workers) in a temporary
data folder, signs up, and for each run creates a project, uploads the 38-layer character
PSD (bench/character_psd.py) and polls the project until every layer is meshed: the wall
time from the upload request to the last layer completed. With --recovery it then uploads
again, SIGKILLs a worker process while a mesh job is processing, and prints the seconds
from the kill until that job is processing again (its attempts rose) and until the project
completed, plus lost/duplicated mesh rows.

    .venv/bin/python bench/web_latency.py --runs 5 [--recovery 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.character_psd import build

PASSWORD = "correct horse battery staple 42"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait(check: Any, timeout: float, what: str, every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout:g} s")
        time.sleep(every)


def sign_in(client: httpx.Client) -> None:
    body = {"email": f"bench-{time.time_ns()}@example.com", "password": PASSWORD}
    client.post("/api/v1/auth/signup", json=body).raise_for_status()
    token = client.post("/api/v1/auth/signin", json=body).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


def upload(client: httpx.Client, psd: bytes) -> tuple[int, float]:
    project_id = int(client.post("/api/v1/projects", json={"name": "bench"}).json()["id"])
    started = time.perf_counter()
    answer = client.post(
        f"/api/v1/projects/{project_id}/uploads",
        files={"file": ("character.psd", psd, "application/octet-stream")},
    )
    answer.raise_for_status()
    return project_id, started


def all_meshed(client: httpx.Client, project_id: int) -> bool:
    project = client.get(f"/api/v1/projects/{project_id}").json()
    if project["status"] == "failed":
        raise SystemExit(f"project failed: {project}")
    return bool(project["status"] == "completed")


def mesh_jobs(db: Path, project_id: int) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT job_id, status, attempts FROM jobs WHERE project_id = ? AND kind = ?",
            (project_id, "generate_mesh"),
        ).fetchall()


def breakdown(db: Path, project_id: int, started_wall: float, workers: int) -> str:
    """Where the time went, from the job rows: the upload's hand-off to its document job,
    the document read and stored, the mesh jobs' span, their summed run time and the
    time per job that is no job's run (``workers`` x span - runs, per job: hand-offs,
    idle polls), the export's hand-off and run, and when the run completed."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT kind, started_at, finished_at FROM jobs WHERE project_id = ?",
            (project_id,),
        ).fetchall()

    def t(text: str | None) -> float:
        from datetime import UTC, datetime

        if not text:
            return float("nan")
        moment = datetime.fromisoformat(str(text))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

    kinds: dict[str, list[tuple[float, float]]] = {}
    for kind, start, end in rows:
        kinds.setdefault(kind, []).append((t(start), t(end)))
    psd, mesh = kinds.get("process_psd", []), kinds.get("generate_mesh", [])
    export = kinds.get("build_export", [])
    if not psd or not mesh or not export:
        return "no breakdown"
    p_start, p_end = psd[0]
    m_start, m_end = min(r[0] for r in mesh), max(r[1] for r in mesh)
    e_start, e_end = min(r[0] for r in export), max(r[1] for r in export)
    span, run = m_end - m_start, sum(end - start for start, end in mesh)
    gap = (workers * span - run) / len(mesh)
    return (
        f"hand-off {p_start - started_wall:.2f} s, document {m_start - p_start:.2f} s, "
        f"{len(mesh)} mesh jobs: span {span:.2f} s, runs {run:.2f} s "
        f"(mean {run / len(mesh) * 1000:.0f} ms), not in a run {gap * 1000:.0f} ms/job; "
        f"export hand-off {e_start - m_end:.2f} s, run {e_end - e_start:.2f} s, "
        f"run completed at {p_end - started_wall:.2f} s"
    )


def cpu_seconds(serve: subprocess.Popen[bytes]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the web app, the workers and Redis."""
    used = {"app": 0.0, "workers": 0.0, "redis": 0.0}
    root = psutil.Process(serve.pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
            name = "app" if process.pid == root.pid else "workers"
            if process.name().startswith("redis-server"):
                name = "redis"
        except psutil.Error:
            continue
        used[name] += times.user + times.system
    return used


def worker_forks(serve: subprocess.Popen[bytes]) -> list[psutil.Process]:
    forks = []
    for child in psutil.Process(serve.pid).children():
        try:
            if "worker" in child.cmdline():
                forks.extend(child.children())
        except psutil.Error:
            continue
    return forks


def recovery_run(
    client: httpx.Client, serve: subprocess.Popen[bytes], db: Path, psd: bytes
) -> dict[str, float]:
    project_id, _ = upload(client, psd)
    forks = worker_forks(serve)

    # every worker process busy with a mesh job (each runs one at a time; the one that
    # read the document meshes in-line): any one of them is killed in the middle of one
    def all_busy() -> list[tuple[str, str, int]]:
        running = [j for j in mesh_jobs(db, project_id) if j[1] == "processing"]
        return running if len(running) >= len(forks) else []

    running = wait(
        all_busy,
        60,
        f"{len(forks)} mesh jobs processing at once",
        every=0.002,
    )
    victim = forks[0]
    before = {job_id: attempts for job_id, _, attempts in mesh_jobs(db, project_id)}
    victim.kill()
    killed = time.perf_counter()
    cut = {job_id for job_id, _, _ in running}

    def rerun() -> bool:
        return any(
            job_id in cut and status in ("processing", "completed") and attempts > before[job_id]
            for job_id, status, attempts in mesh_jobs(db, project_id)
        )

    wait(rerun, 120, "the cut job running again", every=0.05)
    running_again = time.perf_counter() - killed
    wait(lambda: all_meshed(client, project_id), 300, "project completed", every=0.1)
    done = time.perf_counter() - killed
    jobs = mesh_jobs(db, project_id)
    with sqlite3.connect(db) as conn:
        layers = conn.execute(
            "SELECT count(*) FROM layers WHERE project_id = ?", (project_id,)
        ).fetchone()[0]
        meshes = conn.execute(
            "SELECT count(*), count(DISTINCT meshes.layer_id) FROM meshes JOIN layers "
            "ON layers.id = meshes.layer_id WHERE layers.project_id = ?",
            (project_id,),
        ).fetchone()
    return {
        "cut_job_running_again_s": round(running_again, 2),
        "project_done_after_kill_s": round(done, 2),
        "jobs": len(jobs),
        "lost": layers - meshes[1],
        "duplicated": meshes[0] - meshes[1],
    }


def redis_kill_run(client: httpx.Client, serve: subprocess.Popen[bytes]) -> dict[str, float]:
    """SIGKILL the embedded redis-server; seconds until it runs again and until /health
    answers 200 again."""
    first = next(
        c for c in psutil.Process(serve.pid).children() if c.name().startswith("redis-server")
    )
    first.kill()
    killed = time.perf_counter()

    def restarted() -> bool:
        return any(
            c.name().startswith("redis-server") and c.pid != first.pid
            for c in psutil.Process(serve.pid).children()
        )

    wait(restarted, 60, "redis-server restarted", every=0.01)
    running = time.perf_counter() - killed
    wait(lambda: _healthy(client), 60, "/health 200 again", every=0.02)
    healthy = time.perf_counter() - killed
    return {"redis_running_again_s": round(running, 2), "health_200_again_s": round(healthy, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--recovery", type=int, default=0, metavar="N", help="kill runs")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--redis-kill", type=int, default=0, metavar="N", help="broker kills")
    parser.add_argument("--breakdown", action="store_true", help="where each run's time went")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spinelift-bench-") as tmp:
        psd = build(Path(tmp) / "character.psd").read_bytes()
        port = free_port()
        env = {**os.environ, "SPINELIFT_LOG_LEVEL": "WARNING", "SPINELIFT_LOG_FORMAT": "json"}
        for name in ("SPINELIFT_REDIS_URL", "REDIS_URL", "SPINELIFT_DATABASE_URL", "DATABASE_URL"):
            env.pop(name, None)
        command = [sys.executable, "-m", "spinelift.cli.main", "serve", "--port", str(port),
                   "--data-dir", str(Path(tmp) / "data")]  # fmt: skip
        if args.workers is not None:
            command += ["--workers", str(args.workers)]
        if args.threads is not None:
            command += ["--threads", str(args.threads)]
        with (Path(tmp) / "serve.log").open("wb") as log:
            serve = subprocess.Popen(command, env=env, stderr=log)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                wait(lambda: _healthy(client), 120, "serve healthy", every=0.1)
                wait(lambda: len(worker_forks(serve)) >= 1, 120, "workers booted", every=0.1)
                sign_in(client)
                warm, _ = upload(client, psd)  # warm-up: imports, caches
                wait(lambda: all_meshed(client, warm), 300, "warm-up meshed", every=0.05)
                times = []
                db = Path(tmp) / "data" / "spinelift.db"
                workers = args.workers if args.workers is not None else min(os.cpu_count() or 1, 4)
                for _ in range(args.runs):
                    wall, cpu = time.time(), cpu_seconds(serve)
                    project_id, started = upload(client, psd)
                    wait(lambda p=project_id: all_meshed(client, p), 300, "all meshed", every=0.01)
                    times.append(time.perf_counter() - started)
                    if args.breakdown:
                        used = {k: v - cpu[k] for k, v in cpu_seconds(serve).items()}
                        print(
                            f"  {times[-1]:.2f} s (load {os.getloadavg()[0]:.1f}): "
                            f"{breakdown(db, project_id, wall, workers)}; CPU s: "
                            + ", ".join(f"{k} {v:.2f}" for k, v in used.items())
                        )
                cpus = os.cpu_count()
                print(
                    f"machine: {cpus} CPUs; serve defaults (workers: {args.workers or 'default'})"
                )
                median, low, high = statistics.median(times), min(times), max(times)
                print(
                    f"upload to all-meshed, 38-layer PSD, {len(times)} runs: median "
                    f"{median:.2f} s, min {low:.2f} s, max {high:.2f} s"
                )
                for index in range(args.recovery):
                    print(f"recovery run {index + 1}: {recovery_run(client, serve, db, psd)}")
                for index in range(args.redis_kill):
                    print(f"broker kill {index + 1}: {redis_kill_run(client, serve)}")
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(60)
    return 0


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/health").status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
