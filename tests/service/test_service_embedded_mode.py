"""``spinelift mesh-service`` with no Redis configured: embedded broker, own workers,
everything stopped on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.polling import wait_until
from tests.service.support_service import png_bytes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_mesh_service_runs_broker_workers_and_api_and_stops_them_all(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SPINELIFT_REDIS_URL")}
    env["SPINELIFT_SERVICE_TOKEN"] = "embedded-token"
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spinelift.cli.main",
            "mesh-service",
            "--port",
            str(port),
            "--workers",
            "1",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"X-Service-Token": "embedded-token"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert service.poll() is None, "mesh-service exited early"
            assert time.monotonic() < deadline, "mesh-service did not become ready"
            time.sleep(0.2)
        accepted = httpx.post(
            f"{base}/api/v1/mesh/generate",
            files={"image": ("a.png", png_bytes(seed=9), "image/png")},
            headers=headers,
        ).json()
        status: dict[str, object] = {}
        while status.get("status") not in ("completed", "failed"):
            assert time.monotonic() < deadline + 30, status
            time.sleep(0.1)
            status = httpx.get(
                f"{base}/api/v1/mesh/{accepted['job_id']}/status", headers=headers
            ).json()
        assert status["status"] == "completed"
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            code = service.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
            raise
    assert code == 0

    def group_gone() -> bool:  # workers and the broker are gone too
        try:
            os.killpg(service.pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_until(group_gone, timeout=30, what="every process of mesh-service ended")
