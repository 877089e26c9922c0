"""GenerateMesh delegated to a mesh service: the circuit breaker (fake clock), the client
against a local imitation of the three endpoints (retries, breaker, error codes), and
against the REAL mesh service (uvicorn in a thread + a real worker process + Redis)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
import uvicorn
from sqlalchemy import select

from spinelift.errors import (
    EmptyImageError,
    FetchError,
    InvalidParametersError,
    MeshServiceUnavailableError,
)
from spinelift.io.image import encode_png
from spinelift.jobs.projects import generate_mesh
from spinelift.jobs.projects.actors import configure
from spinelift.jobs.projects.enqueue import enqueue_process_psd
from spinelift.jobs.projects.events import project_snapshot
from spinelift.jobs.projects.generate_mesh import run_generate_mesh
from spinelift.jobs.projects.mesh_client import CircuitBreaker, MeshServiceClient
from spinelift.jobs.projects.messages import QUEUE_NAME
from spinelift.jobs.projects.process_psd import run_process_psd
from spinelift.logs import log_context
from spinelift.service import create_app
from spinelift.storage.models import Job
from spinelift.storage.repositories import Actor
from tests.jobs.project_support import Setup, project_setup_fixture  # noqa: F401
from tests.service.support_service import (
    TOKEN,
    cleanup,
    make_settings,
    new_prefix,
    png_bytes,
    require_redis,
    start_workers,
    stop_workers,
)
from tests.storage.conftest import _migrated, database, postgres_databases  # noqa: F401

ATTACHMENT = {
    "type": "mesh",
    "uvs": [0, 0, 1, 0, 1, 1, 0, 1],
    "triangles": [0, 1, 2, 0, 2, 3],
    "vertices": [-5, 5, 5, 5, 5, -5, -5, -5],
    "hull": 4,
    "edges": [0, 2, 2, 4, 4, 6, 6, 0],
    "width": 10,
    "height": 10,
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_and_half_opens_after_the_delay() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=10.0, clock=clock)
    assert breaker.state == "closed"
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    breaker.record_success()  # resets the count: failures must be consecutive
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.retry_in() == pytest.approx(10.0)
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state == "half_open"
    assert breaker.allow()  # the one trial
    assert not breaker.allow()  # nobody else while it runs
    breaker.record_failure()  # the trial failed: open again, for a full delay
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 10.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow() and breaker.allow()


@dataclass
class FakeService:
    """Imitates POST /generate, GET /status, GET /result; ``fail_next`` 500s first."""

    url: str = ""
    fail_next: int = 0
    failed_error: dict[str, Any] | None = None
    submit_error: tuple[int, dict[str, Any]] | None = None
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    request_ids: list[str | None] = field(default_factory=list)
    polls: int = 0


@pytest.fixture
def fake() -> Iterator[FakeService]:
    state = FakeService()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            if length:
                self.rfile.read(length)
            state.requests.append((self.command, self.path, self.headers.get("X-Service-Token")))
            state.request_ids.append(self.headers.get("X-Request-ID"))
            if state.fail_next > 0:
                state.fail_next -= 1
                self._answer(500, {"error": {"code": "INTERNAL_ERROR", "message": "boom"}})
            elif self.command == "POST" and state.submit_error is not None:
                self._answer(*state.submit_error)
            elif self.command == "POST":
                self._answer(202, {"job_id": "j1", "status": "queued"})
            elif "/status" in self.path:
                state.polls += 1
                if state.polls < 2:
                    self._answer(200, {"job_id": "j1", "status": "processing"})
                elif state.failed_error is not None:
                    self._answer(200, {"status": "failed", "error": state.failed_error})
                else:
                    self._answer(200, {"job_id": "j1", "status": "completed"})
            else:
                self._answer(200, ATTACHMENT)

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _client(
    url: str, breaker: CircuitBreaker | None = None, attempts: int = 4
) -> MeshServiceClient:
    return MeshServiceClient(
        url, "tok", timeout=5.0, attempts=attempts, base_delay=0.01, breaker=breaker
    )


def test_client_submits_polls_and_returns_the_attachment_with_the_token(fake: FakeService) -> None:
    assert _client(fake.url).mesh(b"png", {"detail_factor": 0.01}, "job-1") == ATTACHMENT
    assert [(m, p.split("?")[0]) for m, p, _ in fake.requests] == [
        ("POST", "/api/v1/mesh/generate"),
        ("GET", "/api/v1/mesh/j1/status"),
        ("GET", "/api/v1/mesh/j1/status"),
        ("GET", "/api/v1/mesh/j1/result"),
    ]
    assert "wait=" in fake.requests[1][1]
    assert {token for _, _, token in fake.requests} == {"tok"}


def test_client_carries_the_request_id_of_the_job_to_every_call(fake: FakeService) -> None:
    _client(fake.url).mesh(b"png", {}, "job-0")
    assert set(fake.request_ids) == {None}  # outside a request: no made-up id
    fake.request_ids.clear()
    fake.polls = 0
    with log_context(request_id="req-7f3a", job_id="job-1"):
        _client(fake.url).mesh(b"png", {}, "job-1")
    assert len(fake.request_ids) >= 3 and set(fake.request_ids) == {"req-7f3a"}


def test_client_retries_500s_then_succeeds(fake: FakeService) -> None:
    fake.fail_next = 3
    assert _client(fake.url).mesh(b"png", {}, "job-1") == ATTACHMENT
    assert len(fake.requests) == 3 + 4


def test_client_gives_up_with_fetch_failed_after_its_attempts(fake: FakeService) -> None:
    fake.fail_next = 100
    with pytest.raises(FetchError) as caught:
        _client(fake.url, attempts=3).mesh(b"png", {}, "job-1")
    assert caught.value.code == "FETCH_FAILED" and caught.value.details["retryable"]
    assert len(fake.requests) == 3


def test_breaker_opens_after_failures_and_then_fails_fast(fake: FakeService) -> None:
    fake.fail_next = 100
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=5, reset_after=30.0, clock=clock)
    client = _client(fake.url, breaker, attempts=4)
    with pytest.raises(FetchError):
        client.mesh(b"png", {}, "job-1")  # 4 failures
    with pytest.raises(MeshServiceUnavailableError) as caught:
        client.mesh(b"png", {}, "job-1")  # the 5th opens it; the next attempt fails fast
    assert caught.value.code == "MESH_SERVICE_UNAVAILABLE" and caught.value.details["retryable"]
    sent = len(fake.requests)
    assert sent == 5
    with pytest.raises(MeshServiceUnavailableError):
        client.mesh(b"png", {}, "job-1")
    assert len(fake.requests) == sent  # nothing sent while open
    fake.fail_next = 0
    clock.now += 30.0
    assert client.mesh(b"png", {}, "job-1") == ATTACHMENT  # the trial closes it
    assert breaker.state == "closed"


def test_engine_and_request_errors_keep_their_code_and_are_final(fake: FakeService) -> None:
    fake.failed_error = {"code": "NO_OPAQUE_PIXELS", "message": "nothing", "details": {}}
    with pytest.raises(EmptyImageError) as caught:
        _client(fake.url).mesh(b"png", {}, "job-1")
    assert caught.value.details["remote_code"] == "NO_OPAQUE_PIXELS"
    assert "retryable" not in caught.value.details
    fake.submit_error = (422, {"error": {"code": "INVALID_PARAMETERS", "message": "bad"}})
    fake.requests.clear()
    with pytest.raises(InvalidParametersError):
        _client(fake.url).mesh(b"png", {}, "job-2")
    assert len(fake.requests) == 1  # a 4xx is not retried


# --------------------------------------------------------------------------- real service


@pytest.fixture(scope="module")
def mesh_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real mesh service: the app under uvicorn in a thread, a real worker process."""
    client = require_redis()
    prefix = new_prefix()
    settings = make_settings(prefix, tmp_path_factory.mktemp("mesh-service"))
    workers = start_workers(settings, processes=1, threads=2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the mesh service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        stop_workers(workers)
        cleanup(client, prefix)


def test_the_real_mesh_service_meshes_a_png(mesh_service: str) -> None:
    client = MeshServiceClient(mesh_service, TOKEN, timeout=10.0)
    attachment = client.mesh(png_bytes(seed=7), {"detail_factor": 0.01}, "client-test-1")
    assert attachment["type"] == "mesh" and attachment["hull"] >= 4
    assert (attachment["width"], attachment["height"]) == (64, 48)
    with pytest.raises(EmptyImageError):
        client.mesh(encode_png(np.zeros((8, 8, 4), np.uint8)), {}, "client-test-empty")


def test_generate_mesh_with_a_mesh_service_stores_the_same_mesh_keys(
    project_setup: Setup, mesh_service: str
) -> None:
    s = project_setup
    rgba = np.zeros((40, 60, 4), dtype=np.uint8)
    rgba[10:30, 5:50] = (200, 80, 40, 255)
    # local mode first, for the reference keys
    owner, local_project, upload_id = s.new_project(psd=encode_png(rgba), name="Local")
    enqueue_process_psd(s.deps, owner_id=owner, project_id=local_project, upload_id=upload_id)
    s.run_worker()
    remote_deps = replace(s.deps, mesh_client=MeshServiceClient(mesh_service, TOKEN))
    configure(remote_deps)
    owner, project_id, upload_id = s.new_project(psd=encode_png(rgba), name="Remote")
    enqueue_process_psd(remote_deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "completed"
    assert [layer["status"] for layer in snap["layers"]] == ["completed"]
    layer_id = snap["layers"][0]["id"]
    with s.db.unit(Actor.system()) as uow:
        remote = uow.meshes.versions(layer_id)[-1].data
        local_layer = uow.layers.list_for_project(local_project)[0]
        local = uow.meshes.versions(local_layer.id)[-1].data
    assert set(remote) == set(local)
    assert remote["attachment"] == local["attachment"]  # same engine, same settings
    for key in ("vertices", "hull", "triangles", "width", "height"):
        assert remote[key] == local[key], key
    assert remote["overdraw"] == pytest.approx(local["overdraw"], abs=0.05)


def test_generate_mesh_waits_while_the_mesh_service_is_down(
    project_setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Breaker open: not the job's fault. The job goes back to queued without counting
    the attempt, its message delayed; once older than MESH_SERVICE_WAIT it fails as
    MESH_SERVICE_UNAVAILABLE (attempts: the one that found the service still down)."""
    s = project_setup
    breaker = CircuitBreaker(failure_threshold=1, reset_after=3600.0)
    breaker.record_failure()  # already open: every call fails fast
    client = MeshServiceClient("http://127.0.0.1:9", TOKEN, breaker=breaker)
    deps = replace(s.deps, mesh_client=client)
    configure(deps)
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[5:15, 5:15] = (1, 2, 3, 255)
    owner, project_id, upload_id = s.new_project(psd=encode_png(rgba))
    psd_job = enqueue_process_psd(
        s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id
    )
    run_process_psd(deps, psd_job)
    with s.db.session(readonly=True) as session:
        job_id = session.scalars(
            select(Job.job_id).where(Job.project_id == project_id, Job.kind == "generate_mesh")
        ).one()
    s.broker.flush_all()
    run_generate_mesh(deps, job_id)
    with s.db.unit(Actor.system()) as uow:
        job = uow.jobs.require(job_id)
        assert (job.status, job.attempts) == ("queued", 0)
        assert job.message.startswith("Waiting for the mesh service: MESH_SERVICE_UNAVAILABLE")
    assert s.broker.queues[QUEUE_NAME].qsize() == 0
    assert s.broker.queues[QUEUE_NAME + ".DQ"].qsize() == 1  # sent again, delayed
    monkeypatch.setattr(generate_mesh, "MESH_SERVICE_WAIT", 0.0)
    run_generate_mesh(deps, job_id)
    with s.db.unit(Actor.system()) as uow:
        job = uow.jobs.require(job_id)
        assert (job.status, job.attempts) == ("failed", 1)
        assert job.error is not None and job.error["code"] == "MESH_SERVICE_UNAVAILABLE"
        assert job.error["details"]["cause"] == "MESH_SERVICE_UNAVAILABLE"
