"""Fixtures: real Redis, real ``spinelift worker`` processes, a local HTTP peer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from spinelift.config import ServiceSettings
from spinelift.service import create_app
from tests.service.support_service import (
    cleanup,
    make_settings,
    new_prefix,
    require_redis,
    start_workers,
    stop_workers,
)


@dataclass
class Stack:
    """One prefix, data dir and worker pool shared by the tests that need workers."""

    settings: ServiceSettings
    redis: redis.Redis

    def app_settings(self, **changes: Any) -> ServiceSettings:
        return self.settings.model_copy(update=changes)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    client = require_redis()
    prefix = new_prefix()
    settings = make_settings(prefix, tmp_path_factory.mktemp("data"), url_allow_private=True)
    workers = start_workers(settings, processes=1, threads=2)
    try:
        yield Stack(settings, client)
    finally:
        stop_workers(workers)
        cleanup(client, prefix)


@pytest.fixture
def client(stack: Stack) -> Iterator[TestClient]:
    """The API on the shared stack; private URLs allowed (the local peer is 127.0.0.1)."""
    with TestClient(create_app(stack.settings)) as test_client:
        yield test_client


@pytest.fixture
def strict_client(tmp_path: Path) -> Iterator[TestClient]:
    """The API with the default URL policy (private addresses refused); no workers."""
    redis_client = require_redis()
    prefix = new_prefix()
    settings = make_settings(prefix, tmp_path)
    assert settings.url_allow_private is False
    try:
        with TestClient(create_app(settings)) as test_client:
            yield test_client
    finally:
        cleanup(redis_client, prefix)


@dataclass
class Peer:
    """A local HTTP server: serves ``files`` on GET, records POSTs (callbacks)."""

    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def peer() -> Iterator[Peer]:
    state = Peer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = state.files.get(self.path)
            self.send_response(200 if data is not None else 404)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.posts.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
