"""Jobs: the database is the source of truth; the broker only carries messages.

Statuses move along these edges only (anything else raises :class:`JobStateError`)::

    queued ──claim──> processing ──complete──> completed
      │                 │  │
      └──fail──> failed <┘  └──requeue (stale worker)──> queued
                   └──requeue (retry)──> queued

Every status change writes an audit row (before/after) in the same transaction.
Heartbeats and progress are not status changes and are not audited. Rows are read
``FOR UPDATE`` before a change, so two workers never both claim one job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from spinelift.errors import JobNotFoundError, JobStateError
from spinelift.storage.job_status import FINAL, JobStatus
from spinelift.storage.models import Job, JobKind
from spinelift.storage.repositories.base import Repository, snapshot

TRANSITIONS: Mapping[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.PROCESSING, JobStatus.FAILED}),
    JobStatus.PROCESSING: frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.QUEUED}),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED}),
    JobStatus.COMPLETED: frozenset(),
}
_AUDITED = ("status", "attempts", "progress", "error")


class JobRepository(Repository):
    def create(
        self,
        job_id: str,
        kind: JobKind,
        *,
        payload: Mapping[str, Any] | None = None,
        user_id: int | None = None,
        project_id: int | None = None,
        layer_id: int | None = None,
    ) -> tuple[Job, bool]:
        """Create the job unless ``job_id`` exists; return (the stored job, created?).

        Idempotent under concurrency: when another session inserts the same id first,
        the unique constraint refuses ours (inside a savepoint) and the winner's row is
        returned.
        """
        existing = self.get(job_id)
        if existing is not None:
            return existing, False
        now = self.clock()
        job = Job(
            job_id=job_id,
            kind=JobKind(kind).value,
            status=JobStatus.QUEUED.value,
            progress=0,
            message="Queued",
            attempts=0,
            payload=dict(payload or {}),
            user_id=user_id,
            project_id=project_id,
            layer_id=layer_id,
            enqueued_at=now,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(job)
        except IntegrityError:
            existing = self.get(job_id)
            if existing is None:  # the conflict was not the job id: a real error
                raise
            return existing, False
        self.audit("job.create", job, None, {"kind": job.kind, **snapshot(job, _AUDITED)})
        return job, True

    def get(self, job_id: str, *, lock: bool = False) -> Job | None:
        """The job or None (locked ``FOR UPDATE`` when asked)."""
        query = select(Job).where(Job.job_id == job_id).execution_options(populate_existing=True)
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def require(self, job_id: str, *, lock: bool = False) -> Job:
        """The job (locked ``FOR UPDATE`` when asked); raises :class:`JobNotFoundError`."""
        query = select(Job).where(Job.job_id == job_id).execution_options(populate_existing=True)
        if lock:
            query = query.with_for_update()
        job = self.session.scalars(query).one_or_none()
        if job is None:
            raise JobNotFoundError(f"no job {job_id!r}", details={"job_id": job_id})
        return job

    def transition(self, job_id: str, to: JobStatus, **changes: Any) -> Job:
        """Move the job to ``to`` if the edge exists, setting ``changes`` too.

        Sets the time stamps that go with each status (``started_at`` and a heartbeat
        on claim, ``finished_at`` when final, ``enqueued_at`` when queued again) and
        audits the change. Raises :class:`JobStateError` for a refused edge.
        """
        to = JobStatus(to)
        job = self.require(job_id, lock=True)
        current = JobStatus(job.status)
        if to not in TRANSITIONS[current]:
            raise JobStateError(
                f"job {job_id!r} cannot go from {current.value} to {to.value}",
                details={"job_id": job_id, "status": current.value, "requested": to.value},
            )
        before = snapshot(job, _AUDITED)
        now = self.clock()
        job.status = to.value
        if to is JobStatus.PROCESSING:
            job.attempts += 1
            job.started_at = now
            job.heartbeat_at = now
            job.error = None
        elif to is JobStatus.QUEUED:
            job.enqueued_at = now
            job.heartbeat_at = None
            job.progress = 0
        if to in FINAL:
            job.finished_at = now
        for name, value in changes.items():
            setattr(job, name, value)
        job.updated_at = now
        self.session.flush()
        self.audit(f"job.{_VERBS[to]}", job, before, snapshot(job, _AUDITED))
        return job

    def claim(self, job_id: str, *, message: str = "Processing") -> Job:
        """queued -> processing, ``attempts`` + 1 (a worker starts the job)."""
        return self.transition(job_id, JobStatus.PROCESSING, message=message)

    def complete(self, job_id: str, result: Mapping[str, Any] | None = None) -> Job:
        """processing -> completed (progress 100)."""
        return self.transition(
            job_id,
            JobStatus.COMPLETED,
            progress=100,
            message="Completed",
            result=dict(result) if result is not None else None,
        )

    def fail(self, job_id: str, error: Mapping[str, Any]) -> Job:
        """queued | processing -> failed with seed 004's ``{"code", "message", "details"}``."""
        message = str(error.get("message", "Failed"))[:500]
        return self.transition(job_id, JobStatus.FAILED, error=dict(error), message=message)

    def requeue(self, job_id: str, *, message: str = "Queued again") -> Job:
        """processing | failed -> queued (a stale worker's job, or a retry)."""
        return self.transition(job_id, JobStatus.QUEUED, message=message)

    def heartbeat(
        self, job_id: str, *, progress: int | None = None, message: str | None = None
    ) -> bool:
        """A worker is alive on the job; ``False`` unless the job is processing."""
        job = self.get(job_id)
        if job is None or job.status != JobStatus.PROCESSING.value:
            return False
        now = self.clock()
        job.heartbeat_at = now
        job.updated_at = now
        if progress is not None:
            job.progress = max(0, min(100, int(progress)))
        if message is not None:
            job.message = message[:500]
        self.session.flush()
        return True

    def mark_enqueued(self, job_id: str) -> Job:
        """The job's message was sent (again) to the broker: restart its queued clock."""
        job = self.require(job_id, lock=True)
        if job.status != JobStatus.QUEUED.value:
            raise JobStateError(
                f"job {job_id!r} is {job.status}, not queued",
                details={"job_id": job_id, "status": job.status},
            )
        before = {"enqueued_at": job.enqueued_at.isoformat()}
        job.enqueued_at = self.clock()
        job.updated_at = job.enqueued_at
        self.session.flush()
        self.audit("job.resend", job, before, {"enqueued_at": job.enqueued_at.isoformat()})
        return job

    def stale_processing(
        self, older_than: timedelta, *, now: datetime | None = None, limit: int = 100
    ) -> list[Job]:
        """Processing jobs whose last heartbeat (or start) is older than ``older_than``:
        their worker is most likely gone."""
        cutoff = (now or self.clock()) - older_than
        last_seen = func.coalesce(Job.heartbeat_at, Job.started_at, Job.updated_at)
        query = (
            select(Job)
            .where(Job.status == JobStatus.PROCESSING.value, last_seen < cutoff)
            .order_by(Job.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def stale_queued(
        self, older_than: timedelta, *, now: datetime | None = None, limit: int = 100
    ) -> list[Job]:
        """Queued jobs sent to the broker longer ago than ``older_than``: their message
        was probably lost and should be sent again."""
        cutoff = (now or self.clock()) - older_than
        query = (
            select(Job)
            .where(Job.status == JobStatus.QUEUED.value, Job.enqueued_at < cutoff)
            .order_by(Job.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def find_stale(
        self,
        *,
        heartbeat_older_than: timedelta,
        queued_older_than: timedelta,
        now: datetime | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """Both kinds of stale job (for the Cleanup job), oldest id first."""
        at = now or self.clock()
        last_seen = func.coalesce(Job.heartbeat_at, Job.started_at, Job.updated_at)
        query = (
            select(Job)
            .where(
                or_(
                    (Job.status == JobStatus.PROCESSING.value)
                    & (last_seen < at - heartbeat_older_than),
                    (Job.status == JobStatus.QUEUED.value)
                    & (Job.enqueued_at < at - queued_older_than),
                )
            )
            .order_by(Job.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def queued_among(self, job_ids: Iterable[str]) -> set[str]:
        """Which of ``job_ids`` are queued (read in chunks of 500 ids)."""
        ids, found = list(job_ids), set[str]()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(Job.job_id).where(
                Job.job_id.in_(chunk), Job.status == JobStatus.QUEUED.value
            )
            found.update(self.session.scalars(query))
        return found

    def list_for_project(
        self, project_id: int, *, limit: int = 100, kind: JobKind | None = None
    ) -> list[Job]:
        """Newest first (``kind``: only the jobs of that kind)."""
        query = select(Job).where(Job.project_id == project_id)
        if kind is not None:
            query = query.where(Job.kind == JobKind(kind).value)
        return list(self.session.scalars(query.order_by(Job.id.desc()).limit(limit)))


_VERBS = {
    JobStatus.PROCESSING: "claim",
    JobStatus.COMPLETED: "complete",
    JobStatus.FAILED: "fail",
    JobStatus.QUEUED: "requeue",
}
