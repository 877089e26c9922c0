"""A running job's lease: its row's heartbeat, refreshed by a thread while it runs.

A processing job whose heartbeat is older than ``SPINELIFT_JOB_STALE_AFTER`` is presumed
lost with its worker (``SIGKILL``, OOM, a lost machine) and queued again by the recovery
pass (:func:`spinelift.jobs.projects.cleanup.resend_stale`). Progress reports refresh the
heartbeat too, but a stage can be silent for long (a big layer's triangulation, a long
poll on the mesh service), so :class:`JobLease` refreshes it every ``every`` seconds,
whatever the job is doing, and stops as soon as the job ends. A worker whose lease
lapsed anyway (frozen, cut off from the database) is superseded: the job's next attempt
raises ``attempts`` and the late one's result is dropped when it tries to complete.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from spinelift.jobs.projects.deps import JobDeps
from spinelift.storage.db import Database
from spinelift.storage.repositories import Actor

log = logging.getLogger(__name__)


def heartbeat_every(stale_after: float) -> float:
    """Seconds between two heartbeats for a stale limit of ``stale_after`` seconds: five
    chances before the job looks lost, at most every 10 s, at least every 0.2 s."""
    return max(0.2, min(10.0, stale_after / 5))


def job_lease(deps: JobDeps, job_id: str) -> JobLease:
    """The lease of a job run with ``deps`` (heartbeats for its stale limit)."""
    return JobLease(deps.db, job_id, every=heartbeat_every(deps.stale_after))


class JobLease:
    """``with JobLease(db, job_id, every=5.0):`` heartbeats the job while the block runs.

    A failed write (database unreachable) is logged and tried again next time; it never
    disturbs the job.
    """

    def __init__(self, db: Database, job_id: str, *, every: float) -> None:
        self.db = db
        self.job_id = job_id
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> JobLease:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.db.unit(Actor.job(self.job_id)) as uow:
                    uow.jobs.heartbeat(self.job_id)  # a no-op unless the job is processing
            except Exception as exc:
                log.warning("heartbeat not written", extra={"error": str(exc)})
