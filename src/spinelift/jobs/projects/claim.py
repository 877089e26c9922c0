"""A job's start: only a ``queued`` job is run.

Every actor body begins here, so a duplicated or redelivered message (the job already
running, finished or failed) and a job whose project or layer is gone do nothing. The
row is read locked (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions hold the
database), so of two workers reaching one queued job at once (its message and a worker
running it in-line, :mod:`.inline`) the second waits for the first's claim and then
finds nothing to do.
"""

from __future__ import annotations

import logging

from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import Job
from spinelift.storage.repositories import UnitOfWork

log = logging.getLogger(__name__)


def queued_job(uow: UnitOfWork, job_id: str, kind: str, needs: str) -> Job | None:
    """The row of ``job_id`` if it is queued and its ``needs`` field (``"project_id"``,
    ``"layer_id"``) is set; else ``None`` (logged as "``kind``: nothing to do", at debug
    level: the message of a layer meshed in-line finds it done on every upload)."""
    job = uow.jobs.get(job_id, lock=True)
    if job is None or job.status != JobStatus.QUEUED.value or getattr(job, needs) is None:
        log.debug("%s: nothing to do", kind, extra={"status": job and job.status})
        return None
    return job
