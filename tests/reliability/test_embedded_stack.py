"""The embedded stack of ``spinelift serve`` heals itself (real processes, SIGKILL).

- A killed worker process is started again alone: its sibling keeps running, untouched.
- The embedded Redis, killed, is started again on the same socket, and ``/health``
  answers 200 again; the jobs it held are still there (append-only file).
- On start, ``serve`` says where to look: the URL, the data folder, one log format.

Every wait is for an event (a process appearing, a health answer) with a generous upper
bound as a hang guard; how fast the stack heals is measured by bench/web_latency.py
--recovery and written in docs/reliability.md, never asserted here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from tests.polling import wait_until
from tests.reliability.support import free_port


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log: Path

    def workers(self) -> list[psutil.Process]:
        """The worker commands serve supervises (``spinelift.cli.main worker``)."""
        found = []
        for child in psutil.Process(self.process.pid).children():
            try:
                if "worker" in child.cmdline():
                    found.append(child)
            except psutil.Error:
                continue
        return found

    def redis(self) -> psutil.Process | None:
        for child in psutil.Process(self.process.pid).children():
            try:
                if child.name().startswith("redis-server"):
                    return child
            except psutil.Error:
                continue
        return None

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "SPINELIFT_LOG_FORMAT": "json"}
    for name in ("SPINELIFT_REDIS_URL", "REDIS_URL", "SPINELIFT_DATABASE_URL", "DATABASE_URL"):
        env.pop(name, None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "spinelift.cli.main", "serve", "--port", str(port),
             "--workers", "2", "--data-dir", str(tmp_path / "data")],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    stack = Serve(process, f"http://127.0.0.1:{port}", tmp_path / "data", log)
    try:
        wait_until(stack.healthy, timeout=120, every=0.2, what="serve healthy")
        yield stack
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _forks(worker: psutil.Process) -> list[psutil.Process]:
    try:
        return worker.children()
    except psutil.Error:
        return []


def test_a_killed_worker_is_restarted_alone(serve: Serve) -> None:
    def booted() -> list[psutil.Process] | None:
        found = serve.workers()
        return found if len(found) == 2 and all(_forks(w) for w in found) else None

    workers = wait_until(booted, timeout=120, what="two booted workers")
    victim, sibling = workers
    sibling_forks = {p.pid for p in _forks(sibling)}
    os.kill(_forks(victim)[0].pid, signal.SIGKILL)  # as the OOM killer would
    wait_until(
        lambda: len(w := serve.workers()) == 2 and victim.pid not in {p.pid for p in w},
        timeout=120,
        what="the killed worker started again",
    )
    assert sibling.is_running() and {p.pid for p in _forks(sibling)} == sibling_forks
    assert serve.process.poll() is None


def test_a_killed_embedded_redis_comes_back_on_the_same_socket(serve: Serve) -> None:
    first = wait_until(serve.redis, timeout=30, what="the embedded redis-server")
    socket_before = [arg for arg in first.cmdline() if arg.endswith(".sock")]
    first.kill()
    wait_until(
        lambda: (r := serve.redis()) is not None and r.pid != first.pid,
        timeout=60,
        what="a new redis-server",
    )
    wait_until(serve.healthy, timeout=60, every=0.2, what="/health 200 again")
    again = serve.redis()
    assert again is not None
    assert [arg for arg in again.cmdline() if arg.endswith(".sock")] == socket_before
    assert serve.process.poll() is None


def test_serve_says_where_to_look_in_one_log_format(serve: Serve) -> None:
    lines = serve.lines()
    records = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    messages = [r["message"] for r in records]
    assert any(m.startswith("SpineLift web app: open http://127.0.0.1:") for m in messages)
    assert f"data folder: {serve.data_dir.resolve()}" in messages
    assert any(m.startswith("broker: embedded Redis on ") for m in messages)
