"""Nothing lost: the recovery pass and the Cleanup job of the web app's project jobs.

The database is the source of truth; the broker is transport. :func:`recover` runs in
the worker processes every ``SPINELIFT_CLEANUP_INTERVAL`` seconds (one process at a time
per Redis, see :mod:`spinelift.jobs.periodic`) and repairs what a fault left behind:

- a worker that died (``SIGKILL``, OOM, a lost machine) held messages it had fetched:
  Dramatiq's maintenance gives them back to the queue once the worker has been silent
  for ``SPINELIFT_BROKER_HEARTBEAT_TIMEOUT`` (:func:`~spinelift.jobs.broker.requeue_dead_workers`);
- the job that worker was running stays ``processing`` with a heartbeat that no longer
  moves: once it is older than ``SPINELIFT_JOB_STALE_AFTER`` the job is queued again and
  sent (:func:`resend_stale`; after :data:`~spinelift.jobs.projects.cleanup.MAX_WORKER_LOSSES`
  attempts it fails as ``JOB_TIMEOUT``);
- a ProcessPsd job that has read its document waits for its run
  (:mod:`spinelift.jobs.projects.runs`): not lost, left alone;
- a queued job whose message the broker does not hold (Redis restarted empty, or was
  down when the job was made) is sent again once its last send is that old; a message
  still waiting, delayed or held by a worker is left alone, so a long queue is never
  flooded with copies.

:func:`run_cleanup` (the Cleanup job, and hourly in the workers) also fails jobs
unfinished after :data:`~spinelift.jobs.projects.cleanup.STUCK_AFTER` and deletes blobs no
row refers to: layer images whose layer is gone, and uploads that were stored but never
recorded (the app stopped between the two) once they are an hour old.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import dramatiq
import redis

from spinelift.config import ServiceSettings
from spinelift.errors import JobNotFoundError, JobTimeoutError
from spinelift.jobs.broker import message_job_ids, redis_client, requeue_dead_workers
from spinelift.jobs.periodic import Periodic, Task
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.failure import fail_job
from spinelift.jobs.projects.messages import KIND_ACTORS, QUEUE_NAME, send_job
from spinelift.jobs.projects.runs import is_waiting_run
from spinelift.storage.blob_keys import LAYER_KEY, UPLOAD_KEY
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind
from spinelift.storage.repositories import Actor, UnitOfWork

log = logging.getLogger(__name__)

MAX_WORKER_LOSSES = 5
"""attempts of a job whose worker keeps being lost before it fails (``JOB_TIMEOUT``)"""
STUCK_AFTER = 3600.0
"""seconds after which Cleanup fails a job that still has not finished"""
FULL_CLEANUP_INTERVAL = 3600.0
"""seconds between two full Cleanup runs in the workers (stuck jobs, orphan blobs)"""
ORPHAN_UPLOAD_AGE = 3600.0
"""seconds after which a stored upload that no row records is deleted"""


@dataclass(frozen=True)
class _Seen:
    """A stale job as first read; it is changed only if it is still exactly so."""

    job_id: str
    kind: str
    status: str
    attempts: int
    heartbeat_at: datetime | None
    enqueued_at: datetime | None
    project_id: int | None
    request_id: str | None


def recover(deps: JobDeps, *, stale_after: float) -> dict[str, int]:
    """The periodic recovery pass: dead workers' messages back to the queue, then
    :func:`resend_stale`. Returns ``{"resent": n}``; raises ``redis.RedisError`` when
    the broker is unreachable (the next pass tries again)."""
    broker = deps.broker or dramatiq.get_broker()
    requeue_dead_workers(broker, QUEUE_NAME)
    return {"resent": resend_stale(deps, older_than=stale_after)}


def resend_stale(deps: JobDeps, *, older_than: float = 60.0) -> int:
    """Queue again (then send) processing jobs whose heartbeat is older than
    ``older_than`` s, or fail those already tried ``MAX_WORKER_LOSSES`` times; send again
    queued jobs last sent longer ago than that whose message the broker does not hold.
    Each job is locked and checked again before it is changed. Returns how many were sent
    (0 while the broker is unreachable: nothing could be sent)."""
    age = timedelta(seconds=older_than)
    with deps.db.session(readonly=True) as session:
        jobs = UnitOfWork(session, Actor.system("cleanup")).jobs
        stale = [
            _Seen(
                job.job_id,
                job.kind,
                job.status,
                job.attempts,
                job.heartbeat_at,
                job.enqueued_at,
                job.project_id,
                (job.payload or {}).get("request_id"),
            )
            for job in jobs.find_stale(heartbeat_older_than=age, queued_older_than=age, limit=500)
            if job.kind in KIND_ACTORS and not is_waiting_run(job)
        ]
    if not stale:
        return 0
    held: set[str] = set()
    if any(seen.status == JobStatus.QUEUED.value for seen in stale):
        try:
            held = message_job_ids(deps.broker or dramatiq.get_broker(), QUEUE_NAME) or set()
        except redis.RedisError as exc:
            log.info("broker unreachable: nothing resent", extra={"error": str(exc)})
            return 0
    sent = 0
    for seen in stale:
        if seen.status == JobStatus.QUEUED.value and seen.job_id in held:
            continue  # waiting, delayed or held by a worker: not lost
        action = _reclaim(deps, seen)
        if action == "fail":
            error = JobTimeoutError(f"the worker was lost {seen.attempts} times").body()
            fail_job(deps, seen.job_id, seen.kind, error)
        elif action == "send":
            sent += send_job(deps, seen.job_id, seen.kind, request_id=seen.request_id)
    return sent


def _reclaim(deps: JobDeps, seen: _Seen) -> str | None:
    """Requeue (processing) or restart the queued clock of ``seen`` if it is unchanged:
    ``"send"``; ``"fail"`` for a job out of attempts; None when it moved meanwhile."""
    with deps.db.unit(Actor.system("cleanup")) as uow:
        job = uow.jobs.require(seen.job_id, lock=True)
        unchanged = (job.status, job.attempts, job.heartbeat_at, job.enqueued_at) == (
            seen.status,
            seen.attempts,
            seen.heartbeat_at,
            seen.enqueued_at,
        )
        if not unchanged:
            return None
        if seen.kind == JobKind.NOTIFICATION.value and job.project_id is None:
            uow.jobs.fail(job.job_id, JobNotFoundError("the project is gone").body())
            return None
        if job.status == JobStatus.PROCESSING.value:
            if job.attempts >= MAX_WORKER_LOSSES:
                return "fail"
            uow.jobs.requeue(job.job_id, message="Queued again (worker lost)")
        else:
            uow.jobs.mark_enqueued(job.job_id)
    return "send"


def run_cleanup(
    deps: JobDeps, *, stuck_after: float = STUCK_AFTER, stale_after: float = 60.0
) -> dict[str, int]:
    """Fail jobs unfinished for ``stuck_after`` s, resend stale ones, delete blobs no row
    refers to and temporary files of writes that never finished (an hour old). Returns the
    counts (``failed``, ``resent``, ``blobs_deleted``, ``temporaries_deleted``)."""
    age = timedelta(seconds=stuck_after)
    with deps.db.unit(Actor.system("cleanup")) as uow:
        stuck = [
            (job.job_id, job.kind)
            for job in uow.jobs.find_stale(heartbeat_older_than=age, queued_older_than=age)
            if not is_waiting_run(job)  # its own jobs have their own clocks
        ]
    for job_id, kind in stuck:
        message = f"the job did not finish within {stuck_after:g} s"
        fail_job(deps, job_id, kind, JobTimeoutError(message).body())
    resent = resend_stale(deps, older_than=stale_after)
    deleted = 0
    uploads: dict[int, set[str]] = {}
    for key in deps.blobs.list_keys("projects/"):
        if _orphan(deps, key, uploads):
            deps.blobs.delete(key)
            deleted += 1
    sweep = getattr(deps.blobs, "remove_stale_temporaries", None)
    temporaries = int(sweep(ORPHAN_UPLOAD_AGE)) if callable(sweep) else 0
    return {
        "failed": len(stuck),
        "resent": resent,
        "blobs_deleted": deleted,
        "temporaries_deleted": temporaries,
    }


def _orphan(deps: JobDeps, key: str, uploads: dict[int, set[str]]) -> bool:
    """A layer image whose layer row is gone, or an upload no row records that is older
    than :data:`ORPHAN_UPLOAD_AGE` (its time is in its key)."""
    layer_key = LAYER_KEY.match(key)
    upload_key = UPLOAD_KEY.match(key)
    if layer_key is None and upload_key is None:
        return False
    with deps.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.system("cleanup"))
        if layer_key is not None:
            layer = uow.layers.get(int(layer_key[2]))
            return layer is None or layer.image_key != key
        assert upload_key is not None
        if time.time() - int(upload_key[2]) < ORPHAN_UPLOAD_AGE:
            return False  # maybe being recorded right now
        project_id = int(upload_key[1])
        if project_id not in uploads:
            uploads[project_id] = {u.blob_key for u in uow.uploads.list_for_project(project_id)}
        return key not in uploads[project_id]


def add_recovery(broker: dramatiq.Broker, deps: JobDeps, settings: ServiceSettings) -> None:
    """Make every worker process of ``broker`` take part in the recovery pass (every
    ``cleanup_interval`` s) and the full Cleanup (hourly), each run by one process at a
    time (a lock in the settings' Redis)."""
    prefix = settings.key_prefix
    tasks = [
        Task(
            "spinelift-recovery",
            lambda: recover(deps, stale_after=settings.job_stale_after),
            f"{prefix}:web:recovery:lock",
            settings.cleanup_interval,
        ),
        Task(
            "spinelift-cleanup",
            lambda: run_cleanup(deps, stale_after=settings.job_stale_after),
            f"{prefix}:web:cleanup:lock",
            FULL_CLEANUP_INTERVAL,
        ),
    ]
    broker.add_middleware(Periodic(tasks, client=redis_client(str(settings.redis_url))))
