"""Workers started by ``spinelift serve`` come back after a crash: the supervisor starts
the command again (real processes, SIGKILL), and stops it for good when asked."""

from __future__ import annotations

import os
import signal
import sys

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
    # stop() joined the watching thread: nothing can start it again
    assert supervisor.process is last and supervisor.restarts == 2


def test_a_child_that_keeps_crashing_is_retried_with_growing_delays() -> None:
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = Supervisor(failing, dict(os.environ), first_delay=0.1, max_delay=0.4).start()
    try:
        wait_until(lambda: supervisor.restarts >= 3, timeout=10, what="three restarts")
    finally:
        supervisor.stop()
    # 0.1 + 0.2 + 0.4 s of back-off at least: not a busy loop
    assert supervisor.restarts < 20
