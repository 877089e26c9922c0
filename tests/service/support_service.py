"""Shared by tests/service and tests/jobs: a real Redis, worker processes, tiny images.

Redis: 127.0.0.1:6379 (``SPINELIFT_TEST_REDIS_URL`` to change); every test run uses its
own key prefix and removes its keys afterwards. Without Redis the tests are skipped
with the reason shown, except in CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from PIL import Image

from spinelift.config import ServiceSettings

REDIS_URL = os.environ.get("SPINELIFT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = "token-current"
OLD_TOKEN = "token-previous"
SECRET = "callback-secret"
AUTH = {"X-Service-Token": TOKEN}


def require_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"real Redis unreachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return client


def new_prefix() -> str:
    return f"sltest-{uuid.uuid4().hex[:10]}"


def cleanup(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def make_settings(prefix: str, data_dir: Path, **changes: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "key_prefix": prefix,
        "data_dir": data_dir,
        "service_token": TOKEN,
        "service_token_previous": OLD_TOKEN,
        "callback_secret": SECRET,
        "job_retries": 1,
        "callback_attempts": 2,
    }
    values.update(changes)
    return ServiceSettings(**values)


def worker_env(settings: ServiceSettings) -> dict[str, str]:
    return {
        **os.environ,
        "SPINELIFT_REDIS_URL": str(settings.redis_url),
        "SPINELIFT_KEY_PREFIX": settings.key_prefix,
        "SPINELIFT_DATA_DIR": str(settings.data_dir),
        "SPINELIFT_URL_ALLOW_PRIVATE": "true" if settings.url_allow_private else "false",
        "SPINELIFT_URL_ALLOW_HOSTS": settings.url_allow_hosts,
        "SPINELIFT_CALLBACK_SECRET": settings.callback_secret or "",
        "SPINELIFT_CALLBACK_ATTEMPTS": str(settings.callback_attempts),
        "SPINELIFT_JOB_RETRIES": str(settings.job_retries),
        "SPINELIFT_LOG_LEVEL": "WARNING",
    }


def start_workers(
    settings: ServiceSettings, *, processes: int = 1, threads: int = 2
) -> subprocess.Popen[bytes]:
    """``spinelift worker`` as a real subprocess (stop it with :func:`stop_workers`)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spinelift.cli.main",
            "worker",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
        ],
        env=worker_env(settings),
        start_new_session=True,
    )


def stop_workers(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def png_bytes(width: int = 64, height: int = 48, *, seed: int = 0) -> bytes:
    """An RGBA PNG: an opaque ellipse on transparency; ``seed`` changes one pixel."""
    yy, xx = np.mgrid[0:height, 0:width]
    inside = ((xx - width / 2) / (width / 2.4)) ** 2 + ((yy - height / 2) / (height / 2.4)) ** 2
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[inside <= 1] = (200, 80, 40, 255)
    rgba[height // 2, width // 2, 0] = seed % 256
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return buffer.getvalue()


def wait_for(
    fetch: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body = fetch()
    while not done(body):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; last: {body}")
        time.sleep(0.05)
        body = fetch()
    return body


def redis_fixture(prefix: str) -> Iterator[redis.Redis]:
    client = require_redis()
    try:
        yield client
    finally:
        cleanup(client, prefix)
