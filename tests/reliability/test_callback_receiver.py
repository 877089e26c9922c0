"""A callback receiver that answers 500 (once, or always) or is down: the mesh service's
callbacks are retried with backoff, and the job is unaffected (completed, its result
served, while the callbacks are still being retried).

Real processes: the mesh service's API (in the test) and a ``spinelift worker``
subprocess with ``SPINELIFT_CALLBACK_ATTEMPTS=2``; the receivers are HTTP servers in
the test that count every attempt and check every signature.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinelift.jobs.mesh.context import job_store
from spinelift.net.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from spinelift.service import create_app
from spinelift.storage.job_status import JobStatus
from tests.polling import wait_until
from tests.reliability.support import (
    RedisServer,
    WorkerGroup,
    free_port,
    mesh_worker_command,
    report,
)
from tests.service.support_service import AUTH, SECRET, make_settings, png_bytes, worker_env

ATTEMPTS = 2


@dataclass
class Receiver:
    """``/flaky`` answers 500 to the first attempt of each payload, then 200; ``/broken``
    always 500. ``attempts[(path, payload digest)]``: how often each payload came."""

    url: str = ""
    attempts: Counter[tuple[str, str]] = field(default_factory=Counter)
    delivered: list[dict[str, object]] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def payloads(self, path: str) -> dict[str, int]:
        with self.lock:
            return {digest: n for (p, digest), n in self.attempts.items() if p == path}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signed = verify(
                SECRET,
                self.headers.get(TIMESTAMP_HEADER, ""),
                body,
                self.headers.get(SIGNATURE_HEADER, ""),
            )
            key = (self.path, hashlib.sha256(body).hexdigest())
            with state.lock:
                state.bad_signatures += not signed
                state.attempts[key] += 1
                ok = self.path == "/flaky" and state.attempts[key] > 1
                if ok:
                    state.delivered.append(json.loads(body))
            self.send_response(204 if ok else 500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def test_failing_callbacks_are_retried_and_never_touch_the_job(
    redis_server: RedisServer, receiver: Receiver, tmp_path: Path
) -> None:
    settings = make_settings(
        "callbacks",
        tmp_path / "data",
        redis_url=redis_server.url,
        url_allow_private=True,
        callback_attempts=ATTEMPTS,
    )
    worker = WorkerGroup(mesh_worker_command(), worker_env(settings), tmp_path / "worker.log")
    store = job_store(settings)
    down = f"http://127.0.0.1:{free_port()}/down"  # nothing listens there
    targets = {"flaky": receiver.url + "/flaky", "broken": receiver.url + "/broken", "down": down}
    worker.start()
    try:
        with TestClient(create_app(settings)) as client:
            for name, callback in targets.items():
                accepted = client.post(
                    "/api/v1/mesh/generate",
                    files={"image": ("part.png", png_bytes(seed=len(name)), "image/png")},
                    data={"job_id": f"cb-{name}", "callback_url": callback},
                    headers=AUTH,
                )
                assert accepted.status_code == 202, accepted.text
            wait_until(
                lambda: all(
                    store.get(f"cb-{n}").status in (JobStatus.COMPLETED, JobStatus.FAILED)
                    for n in targets
                ),
                timeout=60,
                what="the three jobs finished",
            )
            # the jobs are done while their callbacks are still being retried
            results = {n: client.get(f"/api/v1/mesh/cb-{n}/result", headers=AUTH) for n in targets}
            statuses = {n: store.get(f"cb-{n}").status for n in targets}
            with receiver.lock:
                received_when_done = sum(receiver.attempts.values())

            def settled() -> bool:
                flaky, broken = receiver.payloads("/flaky"), receiver.payloads("/broken")
                finals = {d["status"] for d in receiver.delivered}
                undelivered = worker.log_text().count('"callback undelivered"')
                return (
                    "completed" in finals
                    and len(broken) == len(flaky)
                    and set(broken.values()) == {ATTEMPTS}
                    and undelivered >= 2 * len(flaky)
                )

            wait_until(settled, timeout=120, every=0.2, what="every callback settled")
    finally:
        worker.stop()

    flaky, broken = receiver.payloads("/flaky"), receiver.payloads("/broken")
    undelivered = [
        json.loads(line)
        for line in worker.log_text().splitlines()
        if '"callback undelivered"' in line
    ]
    undelivered_by_job = Counter(line["job_id"] for line in undelivered)
    figures = report(
        "callback_receiver_failures",
        {
            "callback_attempts_setting": ATTEMPTS,
            "flaky_receiver": {
                "payloads": len(flaky),
                "attempts": sum(flaky.values()),
                "delivered": len(receiver.delivered),
            },
            "broken_receiver_500": {"payloads": len(broken), "attempts": sum(broken.values())},
            "down_receiver_undelivered_payloads": undelivered_by_job["cb-down"],
            "callback_requests_received_when_the_jobs_were_done": received_when_done,
            "callback_requests_received_in_all": sum(receiver.attempts.values()),
            "job_statuses": {n: s.value for n, s in statuses.items()},
            "bad_signatures": receiver.bad_signatures,
        },
    )
    assert statuses == dict.fromkeys(targets, JobStatus.COMPLETED), figures
    assert all(r.status_code == 200 and r.json()["type"] == "mesh" for r in results.values())
    assert flaky and set(flaky.values()) == {2}, figures  # each payload: one 500, then 200
    assert len(receiver.delivered) == len(flaky)
    assert receiver.delivered[-1]["status"] == "completed"
    assert set(broken.values()) == {ATTEMPTS} and len(broken) == len(flaky), figures
    assert undelivered_by_job["cb-broken"] == len(broken)
    assert undelivered_by_job["cb-down"] == len(flaky), figures
    assert receiver.bad_signatures == 0
