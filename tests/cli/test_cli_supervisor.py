"""Workers started by ``spinelift serve`` come back after a crash: the supervisor starts
the command again (real processes, SIGKILL), and stops it for good when asked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from tests.polling import wait_until

from spinelift.cli.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_a_killed_child_is_started_again_and_stop_ends_it_for_good() -> None:
    supervisor = Supervisor(SLEEPER, dict(os.environ), first_delay=0.1, stop_timeout=5).start()
    try:
        first = supervisor.process
        assert first is not None and first.poll() is None
        for round_ in (1, 2):
            before = supervisor.process
            assert before is not None
            os.kill(before.pid, signal.SIGKILL)
            after = wait_until(
                lambda b=before: (p := supervisor.process) is not b and p and p.poll() is None,
                what="a new child",
            )
            assert after
            assert supervisor.restarts == round_
    finally:
        supervisor.stop()
    last = supervisor.process
    assert last is not None and last.poll() is not None  # stopped
    time.sleep(0.5)
    assert supervisor.process is last and supervisor.restarts == 2  # and not started again


def test_a_child_that_keeps_crashing_is_retried_with_growing_delays() -> None:
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = Supervisor(failing, dict(os.environ), first_delay=0.1, max_delay=0.4).start()
    try:
        wait_until(lambda: supervisor.restarts >= 3, timeout=10, what="three restarts")
    finally:
        supervisor.stop()
    # 0.1 + 0.2 + 0.4 s of back-off at least: not a busy loop
    assert supervisor.restarts < 20


def test_spinelift_serve_restarts_its_workers_after_a_sigkill(tmp_path: Path) -> None:
    """The real command: kill one of Dramatiq's worker processes (as the OOM killer
    would); Dramatiq's parent exits, and serve starts a new worker group."""
    port = _free_port()
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spinelift.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env={**os.environ, "SPINELIFT_LOG_LEVEL": "WARNING", "SPINELIFT_REDIS_URL": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def dramatiq_group() -> tuple[psutil.Process, list[psutil.Process]] | None:
            try:  # processes come and go while we look: a vanished one means "not yet"
                for child in psutil.Process(serve.pid).children():
                    if "dramatiq" in " ".join(child.cmdline()):
                        forks = child.children()
                        return (child, forks) if forks else None
            except psutil.Error:
                return None
            return None

        group = wait_until(dramatiq_group, timeout=60, what="the worker group")
        assert isinstance(group, tuple)
        parent, forks = group
        os.kill(forks[0].pid, signal.SIGKILL)
        renewed = wait_until(
            lambda: (g := dramatiq_group()) and g[0].pid != parent.pid and g,
            timeout=60,
            what="a new worker group",
        )
        assert isinstance(renewed, tuple) and renewed[0].is_running()
        assert serve.poll() is None  # the app itself stayed up
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
