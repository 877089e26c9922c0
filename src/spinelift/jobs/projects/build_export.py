"""BuildExport: store the export of the project's current version (once: a stored one
is reused), then end the run if that is still the project's version."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from spinelift.errors import (
    DocumentError,
    SpineLiftError,
)
from spinelift.jobs.projects import export, runs
from spinelift.jobs.projects.claim import queued_job
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.export_version import ExportVersion
from spinelift.jobs.projects.failure import after_run, fail_job, retry_or_fail
from spinelift.jobs.projects.runs import RunEnd
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind
from spinelift.storage.repositories import Actor

log = logging.getLogger(__name__)


def run_build_export(deps: JobDeps, job_id: str) -> None:
    """Store the export of the project's current version (once: a stored one is reused),
    then end the run if that is still the project's version."""
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = queued_job(uow, job_id, "build_export", "project_id")
        if job is None or job.project_id is None:
            return
        uow.jobs.claim(job_id, message="Building the export")
        attempts, project_id, owner_id = job.attempts, job.project_id, job.user_id
    try:
        if owner_id is None:
            raise DocumentError(f"project {project_id} has no owner")
        version, stored = export.build_and_store(deps.db, deps.blobs, owner_id, project_id)
    except SpineLiftError as exc:
        fail_job(deps, job_id, JobKind.BUILD_EXPORT.value, exc.body())
        return
    except Exception as exc:
        retry_or_fail(deps, job_id, JobKind.BUILD_EXPORT.value, attempts, exc)
        return
    finished = _export_stored(deps, job_id, attempts, project_id, version, stored)
    after_run(deps, project_id, finished)


def _export_stored(
    deps: JobDeps,
    job_id: str,
    attempts: int,
    project_id: int,
    version: ExportVersion,
    stored: Mapping[str, Any],
) -> RunEnd | None:
    with deps.db.unit(Actor.job(job_id)) as uow:
        current = uow.jobs.require(job_id, lock=True)
        if current.status != JobStatus.PROCESSING.value or current.attempts != attempts:
            log.info("build_export: superseded by another attempt")
            return None
        uow.jobs.complete(job_id, {"fingerprint": version.fingerprint, **stored})
        return runs.complete_run(uow, project_id, version)
