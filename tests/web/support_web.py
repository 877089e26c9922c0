"""Helpers of the web tests: real Redis, real databases, real worker processes.

Redis is ``SPINELIFT_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``); absent,
the tests skip with the reason shown, except under ``CI=true`` where they fail.
Every app gets its own key prefix, so runs never see each other's keys.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from fastapi.testclient import TestClient

from spinelift.cli.serve_command import child_env, worker_command
from spinelift.storage.db import Database
from spinelift.web.app import create_app
from spinelift.web.settings import WebSettings

REDIS_URL = os.environ.get("SPINELIFT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"


def require_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        problem = f"Redis at {REDIS_URL} unreachable: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem} (CI=true: Redis is required)")
        pytest.skip(problem)
    return client


def new_prefix() -> str:
    return f"spinelift-webtest-{uuid.uuid4().hex[:10]}"


def cleanup(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)


def make_settings(prefix: str, data_dir: Path, db: Database, **changes: Any) -> WebSettings:
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "key_prefix": prefix,
        "data_dir": data_dir,
        "database_url": db.url.render_as_string(hide_password=False),
        "jwt_secret": SECRET,
        "log_level": "WARNING",
        **changes,
    }
    return WebSettings(**values)


def make_client(settings: WebSettings, db: Database) -> TestClient:
    return TestClient(create_app(settings, db=db))


def sign_up_and_in(client: TestClient, email: str | None = None) -> dict[str, str]:
    """A new user's ``Authorization`` header."""
    email = email or f"user-{secrets.token_hex(4)}@example.com"
    response = client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    response = client.post("/api/v1/auth/signin", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def token(claims: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def start_worker(settings: WebSettings) -> subprocess.Popen[bytes]:
    """A real Dramatiq worker process running the project jobs for ``settings``."""
    env = {**os.environ, **child_env(settings), "SPINELIFT_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(worker_command(1, 2), env=env)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
