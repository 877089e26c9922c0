"""Tasks run periodically by the worker processes, each by one process at a time per Redis.

:class:`Periodic` is a Dramatiq middleware: in every worker process it starts a daemon
thread when the worker boots and stops it at shutdown. When a :class:`Task` is due the
thread tries to take the task's lock in Redis (``SET <key> NX PX``, held for one
interval); the process that gets it runs the task, the others skip that round. So with
any number of worker processes (on any number of machines) a task runs about once per
interval, and keeps running as long as one worker is alive. While Redis is unreachable
no one gets a lock (nothing could be re-sent anyway); the first round after it comes
back runs.

A task must be idempotent (it may run twice when a run lasts longer than its interval)
and should not raise for a foreseeable outage (anything it raises is logged).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import Middleware

log = logging.getLogger(__name__)

FIRST_ROUND = 1.0
"""seconds after boot before the first round: a restarted worker recovers at once"""


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[[], Any]
    lock_key: str
    interval: float


class Periodic(Middleware):
    """Runs each of ``tasks`` every ``task.interval`` s in one worker process per Redis."""

    def __init__(self, tasks: Sequence[Task], *, client: redis.Redis) -> None:
        self.tasks = list(tasks)
        self.client = client
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.stop()

    def start(self) -> None:
        if self._thread is not None or not self.tasks:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="spinelift-periodic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def run_once(self, task: Task) -> bool:
        """One round of ``task``: take its lock and run it; True when this process ran it."""
        try:
            taken = self.client.set(task.lock_key, b"1", nx=True, px=int(task.interval * 1000))
        except redis.RedisError as exc:
            log.info("periodic task skipped", extra={"task": task.name, "error": str(exc)})
            return False
        if not taken:
            return False
        try:
            result = task.run()
        except Exception:
            log.exception("periodic task failed", extra={"task": task.name})
            return True
        if result:
            # a pass that changed something is news; an idle one (every second with the
            # one-machine defaults) only at DEBUG
            level = logging.INFO if _did_something(result) else logging.DEBUG
            log.log(level, "periodic task ran", extra={"task": task.name, "result": result})
        return True

    def _loop(self) -> None:
        due = {task.name: time.monotonic() + min(FIRST_ROUND, task.interval) for task in self.tasks}
        while True:
            wait = max(0.0, min(due.values()) - time.monotonic())
            if self._stop.wait(wait):
                return
            now = time.monotonic()
            for task in self.tasks:
                if due[task.name] <= now:
                    self.run_once(task)
                    due[task.name] = time.monotonic() + task.interval


def _did_something(result: object) -> bool:
    """Whether a task's result reports work done: a non-zero count anywhere in it."""
    if isinstance(result, dict):
        return any(_did_something(value) for value in result.values())
    if isinstance(result, bool):
        return result
    if isinstance(result, int | float):
        return result != 0
    return bool(result)
