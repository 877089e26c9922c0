"""Keep a child process running: the workers and the embedded Redis of ``spinelift
serve`` / ``mesh-service``.

Dramatiq's own supervisor exits when one of its worker processes dies (a SIGKILL, the
kernel's OOM killer), taking its sibling processes with it; so the stack runs one
single-process Dramatiq per worker, each under its own :class:`Supervisor`, which starts
the command again when it ends without being asked to, after a back-off (``first_delay``,
doubling up to ``max_delay``; back to ``first_delay`` once it has run for a minute), and
logs each restart. At scale the same job is done by systemd or Kubernetes.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0
"""a run this long resets the back-off"""


class Supervisor:
    """Run ``command`` with ``env`` until :meth:`stop`; restart it whenever it ends."""

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        *,
        stop_timeout: float = 40.0,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
        name: str = "worker processes",
    ) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.stop_timeout = stop_timeout
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._popen = popen
        self.name = name
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self.restarts = 0

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running child (None between a crash and its restart)."""
        return self._process

    def start(self) -> Supervisor:
        self._spawn()
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Stop watching and SIGTERM the child, without waiting (see :meth:`stop`)."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()

    def stop(self) -> None:
        """Stop watching, then SIGTERM the child (SIGKILL after ``stop_timeout``)."""
        self.request_stop()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout=5)

    def _spawn(self) -> None:
        with self._lock:
            if not self._stopping.is_set():
                self._process = self._popen(self.command, env=self.env)

    def _watch(self) -> None:
        delay = self.first_delay
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= HEALTHY_AFTER:
                delay = self.first_delay
            log.warning(
                "%s exited (code %s); starting again in %.1f s",
                self.name,
                code,
                delay,
                extra={"exit_code": code, "restart_in": delay},
            )
            if self._stopping.wait(delay):
                return
            self.restarts += 1
            self._spawn()
            delay = min(self.max_delay, delay * 2)
