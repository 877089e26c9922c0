"""The Dramatiq actor: one message per job, carrying only the job id (and request id).

Failure policy (:mod:`spinelift.jobs.failure`): a
:class:`~spinelift.errors.SpineLiftError` (bad image, unsafe URL, nothing to mesh) is
final, never retried; a time-limit hit is final as ``JOB_TIMEOUT``; any other exception
is a crash, retried by Dramatiq with exponential backoff until ``job_retries`` is spent,
then final as ``INTERNAL_ERROR``.
Attempts are counted in the job store, so a worker killed mid-job counts too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage, TimeLimitExceeded

from spinelift.config import ServiceSettings
from spinelift.errors import JobNotFoundError, JobTimeoutError, SpineLiftError
from spinelift.jobs.declare import declare_actor as declare
from spinelift.jobs.failure import crash_error, given_up
from spinelift.jobs.mesh.context import JobContext, get_context
from spinelift.jobs.mesh.layers_task import run_extract_job
from spinelift.jobs.mesh.mesh_task import run_mesh_job
from spinelift.jobs.mesh.progress import ProgressReporter
from spinelift.logs import log_context
from spinelift.storage.job_status import FINAL, JobStatus
from spinelift.storage.job_store import JobRecord

log = logging.getLogger(__name__)

ACTOR_NAME = "spinelift_job"
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0)

Task = Callable[[JobContext, JobRecord, ProgressReporter], None]
TASKS: dict[str, Task] = {"mesh": run_mesh_job, "extract_layers": run_extract_job}


def process_job(job_id: str) -> None:
    """The actor body: run the job ``job_id`` in this process's context."""
    message = CurrentMessage.get_current_message()
    request_id = str(message.options.get("request_id", "")) if message else ""
    with log_context(request_id=request_id, job_id=job_id):
        execute(get_context(), job_id)


def execute(ctx: JobContext, job_id: str) -> None:
    """Run one attempt of ``job_id``; raises only to ask Dramatiq for a retry."""
    try:
        record = ctx.store.get(job_id)
    except JobNotFoundError:
        log.warning("job vanished before it ran")
        return
    if record.status in FINAL:  # a redelivered message of a finished job
        return
    reporter = ProgressReporter(record, ctx.store, ctx.notifier)
    attempts = record.attempts + 1
    max_attempts = ctx.settings.job_retries + 1
    if attempts > max_attempts:
        _fail(ctx, reporter, given_up(record.attempts).body())
        return
    reporter.started(attempts)
    started = time.perf_counter()
    try:
        TASKS[record.kind](ctx, record, reporter)
    except SpineLiftError as exc:
        log.info("job failed", extra={"code": exc.code, "error": exc.message})
        _fail(ctx, reporter, exc.body())
    except TimeLimitExceeded:
        timeout = JobTimeoutError(
            f"the job ran longer than {ctx.settings.job_timeout:g} s",
            details={"timeout_seconds": ctx.settings.job_timeout},
        )
        _fail(ctx, reporter, timeout.body())
    except Exception:
        log.exception("job crashed", extra={"attempt": attempts})
        # the exception's text stays in the log: it may name files, keys or hosts
        error = crash_error(record.job_id, attempts, "service").body()
        if attempts >= max_attempts:
            _fail(ctx, reporter, error)
            return
        reporter.retrying(error)
        ctx.store.count_many({"jobs_retried": 1})
        raise
    else:
        _observe(ctx, JobStatus.COMPLETED, time.perf_counter() - started)


def declare_actor(broker: dramatiq.Broker, settings: ServiceSettings) -> dramatiq.Actor[Any, Any]:
    """Declare the job actor on ``broker`` with the settings' retries and time limit."""
    return declare(
        broker,
        ACTOR_NAME,
        process_job,
        queue=settings.queue_name,
        max_retries=settings.job_retries,
        min_backoff=500,
        max_backoff=30_000,
        time_limit=int(settings.job_timeout * 1000),
    )


def _fail(ctx: JobContext, reporter: ProgressReporter, error: dict[str, Any]) -> None:
    reporter.failed(error)
    _observe(ctx, JobStatus.FAILED, 0.0)


def _observe(ctx: JobContext, status: JobStatus, seconds: float) -> None:
    counts: dict[str, float] = {f"jobs_{status.value}": 1}
    if status is JobStatus.COMPLETED:
        counts["job_seconds_sum"] = seconds
        counts["job_seconds_count"] = 1
        for bound in DURATION_BUCKETS:
            if seconds <= bound:
                counts[f"job_seconds_bucket:{bound:g}"] = 1
    ctx.store.count_many(counts)
