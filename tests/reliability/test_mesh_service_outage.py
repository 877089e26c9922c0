"""The web app delegating GenerateMesh to the mesh service (``MESH_SERVICE_URL``), and the
mesh service going down, coming back, then answering slowly.

Real processes: ``spinelift mesh-service`` (its app and a worker, on a private Redis),
the web app's project workers pointed at it through a small gateway in the test (it
forwards every request, answers 502 while the service is down, counts what it sees and
can add latency), and the web app's ``/health``. While the service is down the workers'
client retries with backoff, then its circuit breaker opens and calls fail fast; the
jobs wait (queued again, their attempts not counted) instead of failing; ``/health``
answers 200 ``degraded``. Once the service is back, the breaker lets a trial call
through (half-open), closes, and every job completes exactly once.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from spinelift.config import ServiceSettings
from spinelift.jobs.broker import make_broker, redis_client
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.enqueue import enqueue_generate_mesh
from spinelift.jobs.projects.events import EventBus
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.db import Database
from spinelift.storage.models import Job, Mesh
from spinelift.web.app import create_app
from spinelift.web.settings import WebSettings
from tests.polling import wait_until
from tests.reliability.support import (
    RECOVERY_ENV,
    RedisServer,
    WorkerGroup,
    free_port,
    project_env,
    project_worker_command,
    report,
    seed_projects,
)

OUTAGE = float(os.environ.get("SPINELIFT_MESH_OUTAGE", "8"))
TOKEN = "mesh-outage-token"


@dataclass
class Gateway:
    """Forwards to ``backend``; 502 when it cannot be reached; ``delay`` s of latency."""

    backend: str
    url: str = ""
    delay: float = 0.0
    seen: list[tuple[float, str, str, int]] = field(default_factory=list)

    def failures_since(self, since: float) -> int:
        return sum(1 for at, _m, _p, status in self.seen if at >= since and status >= 500)


@pytest.fixture
def gateway_for() -> Iterator[Callable[[str], Gateway]]:
    servers: list[ThreadingHTTPServer] = []

    def make(backend: str) -> Gateway:
        gateway = Gateway(backend)
        client = httpx.Client(base_url=backend, timeout=60.0)

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if gateway.delay:
                    time.sleep(gateway.delay)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                try:
                    answer = client.request(self.command, self.path, content=body, headers=headers)
                    status, data = answer.status_code, answer.content
                    kind = answer.headers.get("content-type", "application/json")
                except httpx.HTTPError as exc:
                    status, kind = 502, "application/json"
                    data = json.dumps({"error": {"code": "BAD_GATEWAY", "message": str(exc)}})
                    data = data.encode()  # type: ignore[assignment]
                gateway.seen.append((time.monotonic(), self.command, self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
        return gateway

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def mesh_service(redis_url: str, port: int, data_dir: Path, log: Path) -> WorkerGroup:
    env = {
        **os.environ,
        "SPINELIFT_REDIS_URL": redis_url,
        "SPINELIFT_KEY_PREFIX": "remote",
        "SPINELIFT_SERVICE_TOKEN": TOKEN,
        "SPINELIFT_LOG_LEVEL": "WARNING",
        **RECOVERY_ENV,
    }
    command = [sys.executable, "-m", "spinelift.cli.main", "mesh-service", "--port", str(port),
               "--workers", "1", "--threads", "2", "--data-dir", str(data_dir)]  # fmt: skip
    return WorkerGroup(command, env, log)


def healthy(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url + "/health", timeout=2).status_code == 200
    return False


def test_jobs_wait_for_the_mesh_service_and_complete_after_it_returns(
    make_database: Callable[[str], tuple[str, Database]],
    redis_server: RedisServer,
    gateway_for: Callable[[str], Gateway],
    tmp_path: Path,
) -> None:
    url, db = make_database("postgresql")
    port = free_port()
    service = mesh_service(redis_server.url, port, tmp_path / "remote", tmp_path / "service.log")
    gateway = gateway_for(f"http://127.0.0.1:{port}")
    settings = ServiceSettings(redis_url=redis_server.url, key_prefix="web", data_dir=tmp_path)
    deps = JobDeps(
        db,
        LocalBlobStore(settings.blob_dir),
        EventBus(redis_client(redis_server.url), "web"),
        make_broker(settings),
    )
    env = {
        **project_env(settings, url),
        "MESH_SERVICE_URL": gateway.url,
        "MESH_SERVICE_TOKEN": TOKEN,
        # a short reset, so the test does not wait out production's 30 s
        "SPINELIFT_MESH_BREAKER_RESET": "5",
    }
    workers = WorkerGroup(project_worker_command(threads=1), env, tmp_path / "workers.log")
    web = WebSettings(
        redis_url=redis_server.url,
        key_prefix="web",
        data_dir=tmp_path,
        database_url=url,
        jwt_secret="s" * 48,
        mesh_service_url=gateway.url,
        log_level="WARNING",
    )

    def enqueue(projects: int, layers: int) -> list[str]:
        ids = []
        for s in seed_projects(deps, projects, layers):
            for layer_id in s.layer_ids:
                ids.append(
                    enqueue_generate_mesh(
                        deps, owner_id=s.owner_id, project_id=s.project_id, layer_id=layer_id
                    )
                )
        return ids

    def statuses(ids: list[str]) -> Counter[str]:
        with db.session(readonly=True) as session:
            return Counter(session.scalars(select(Job.status).where(Job.job_id.in_(ids))))

    def deferrals() -> Counter[str]:
        lines = [
            json.loads(line) for line in workers.log_text().splitlines() if "job deferred" in line
        ]
        return Counter(line["code"] for line in lines if "code" in line)

    def done(ids: list[str]) -> bool:
        return statuses(ids).get("completed", 0) == len(ids)

    service.start()
    workers.start()
    try:
        wait_until(lambda: healthy(gateway.url), timeout=60, what="mesh service up")
        with TestClient(create_app(web, db=db)) as app:
            # A: the service is up
            first = enqueue(1, 4)
            wait_until(lambda: done(first), timeout=60, what="jobs while the service is up")
            health_up = app.get("/health")

            # B: the service is down
            service.kill()
            stopped = time.monotonic()
            during = enqueue(1, 8)
            wait_until(
                lambda: deferrals().get("MESH_SERVICE_UNAVAILABLE", 0) >= 1,
                timeout=60,
                what="the breaker open",
            )
            health_down = app.get("/health")
            waiting = statuses(during)
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
            failures = gateway.failures_since(stopped)
            failed_at = [at for at, _m, _p, code in gateway.seen if at >= stopped and code >= 500]
            deferred = deferrals()

            # C: the service is back
            service.start()
            back = time.monotonic()
            wait_until(lambda: done(during), timeout=120, what="every job after the outage")
            recovered = time.monotonic() - back
            first_after = min(
                at for at, _m, _p, status in gateway.seen if at >= back and status < 500
            )
            health_back = wait_until(
                lambda: (r := app.get("/health")).json()["status"] == "healthy" and r,
                timeout=30,
                what="healthy again",
            )

            # D: the service is slow (1 s per request, within the client's timeout)
            gateway.delay = 1.0
            before_slow = sum(deferrals().values())
            slow_started = time.monotonic()
            slow = enqueue(1, 3)
            wait_until(lambda: done(slow), timeout=90, what="jobs while the service is slow")
            slow_seconds = time.monotonic() - slow_started
            health_slow = app.get("/health")
    finally:
        workers.stop()
        service.stop()

    all_ids = first + during + slow
    with db.session(readonly=True) as session:
        per_layer = Counter(session.scalars(select(Mesh.layer_id)))
        attempts = list(session.scalars(select(Job.attempts).where(Job.job_id.in_(all_ids))))
    figures = report(
        "mesh_service_outage",
        {
            "jobs": len(all_ids),
            "outage_seconds": round(back - stopped, 1),
            "failed_requests_during_outage": failures,
            "seconds_between_failed_requests": [
                round(b - a, 2) for a, b in itertools.pairwise(failed_at)
            ],
            "jobs_waiting_during_outage": dict(waiting),
            "deferrals_by_cause": dict(deferred),
            "seconds_from_service_back_to_all_done": round(recovered, 1),
            "seconds_from_service_back_to_first_answer": round(first_after - back, 1),
            "health": {
                "up": [health_up.status_code, health_up.json()["status"]],
                "down": [health_down.status_code, health_down.json()["status"]],
                "back": [health_back.status_code, health_back.json()["status"]],
                "slow": [health_slow.status_code, health_slow.json()["status"]],
            },
            "slow_phase": {"jobs": len(slow), "latency_s": 1.0, "seconds": round(slow_seconds, 1)},
            "deferrals_while_slow": sum(deferrals().values()) - before_slow,
            "max_attempts_of_a_job": max(attempts),
            "failed": sum(statuses(all_ids).get(s, 0) for s in ("failed",)),
            "duplicated_mesh_rows": sum(n - 1 for n in per_layer.values()),
        },
    )
    assert statuses(all_ids) == {"completed": len(all_ids)}, figures
    assert len(per_layer) == len(all_ids) and set(per_layer.values()) == {1}, figures
    # while down: retries with backoff were spent, then the breaker failed calls fast ...
    assert deferred["FETCH_FAILED"] >= 1 and deferred["MESH_SERVICE_UNAVAILABLE"] >= 1, figures
    # ... so the dead service saw only a handful of calls, not jobs x attempts
    assert failures < len(during) * 4, figures
    assert waiting.get("failed", 0) == 0 and max(attempts) == 1, figures  # waits never count
    assert (health_up.status_code, health_up.json()["status"]) == (200, "healthy")
    assert health_down.status_code == 200 and health_down.json()["status"] == "degraded"
    assert health_down.json()["dependencies"] == {
        "database": "healthy",
        "broker": "healthy",
        "storage": "healthy",
        "mesh-service": "unhealthy",
    }
    assert health_back.status_code == 200
    assert figures["deferrals_while_slow"] == 0 and health_slow.status_code == 200, figures
