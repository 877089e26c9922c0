"""What a failed job of the web app changes, and what comes after a run's step.

The policy is the shared one (:mod:`spinelift.jobs.failure`): a
:class:`~spinelift.errors.SpineLiftError` is final (:func:`fail_job`); a crash requeues
the row and is re-raised for Dramatiq to retry until
:data:`~spinelift.jobs.projects.messages.MAX_ATTEMPTS` (:func:`retry_or_fail`). Failing a
job fails what it worked on: the project (ProcessPsd), the run (BuildExport) or the
layer (GenerateMesh), then :func:`after_run` sends what the run needs next."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from spinelift.jobs.failure import crash_error
from spinelift.jobs.projects import runs
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.events import announce_layer, announce_project
from spinelift.jobs.projects.messages import (
    ACTOR_NOTIFY_PROJECT,
    MAX_ATTEMPTS,
    send,
    send_job,
)
from spinelift.jobs.projects.runs import RunEnd
from spinelift.storage.blob_keys import export_key, player_files_key
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, LayerStatus, ProjectStatus
from spinelift.storage.repositories import Actor, UnitOfWork

log = logging.getLogger(__name__)


def retry_or_fail(deps: JobDeps, job_id: str, kind: str, attempts: int, exc: Exception) -> None:
    """A crash: requeue and re-raise (Dramatiq retries), or fail for good at the limit."""
    log.exception("job crashed", extra={"attempt": attempts})
    # the exception's text stays in the log: it may name files, keys or hosts
    error = crash_error(job_id, attempts, "server").body()
    if attempts >= MAX_ATTEMPTS:
        fail_job(deps, job_id, kind, error)
        return
    with deps.db.unit(Actor.job(job_id)) as uow:
        if uow.jobs.require(job_id).status == JobStatus.PROCESSING.value:
            uow.jobs.requeue(job_id, message=f"Retrying after: {error['message']}"[:500])
    raise exc


def fail_job(deps: JobDeps, job_id: str, kind: str, error: Mapping[str, Any]) -> None:
    """Fail the job and what it was working on (the project, the layer, or the run)."""
    text = f"{error.get('code', 'INTERNAL_ERROR')}: {error.get('message', '')}"
    finished: RunEnd | None = None
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = uow.jobs.require(job_id, lock=True)
        if job.status not in (JobStatus.QUEUED.value, JobStatus.PROCESSING.value):
            return
        uow.jobs.fail(job_id, error)
        project_id, layer_id = job.project_id, job.layer_id
        if project_id is None:
            return
        if kind == JobKind.PROCESS_PSD.value:
            uow.projects.set_status(project_id, ProjectStatus.FAILED, error=text)
        elif kind == JobKind.BUILD_EXPORT.value:
            finished = runs.fail_run(uow, project_id, text, error)
        elif layer_id is not None:
            uow.layers.set_status(layer_id, LayerStatus.FAILED, error=text)
            runs.note_layer_done(uow, job_id)
            finished = finish_project(deps, uow, project_id)
    log.info("job failed", extra={"code": error.get("code"), "error": error.get("message")})
    if kind == JobKind.PROCESS_PSD.value:
        announce_project(deps.events, project_id, ProjectStatus.FAILED, error=text)
        return
    if layer_id is not None:
        announce_layer(
            deps.events, project_id, layer_id, LayerStatus.FAILED, 0, "Failed", error=text
        )
    after_run(deps, project_id, finished)


def finish_project(deps: JobDeps, uow: UnitOfWork, project_id: int) -> RunEnd | None:
    """:func:`runs.finish_project`, knowing which exports are stored."""
    return runs.finish_project(uow, project_id, lambda fp: _stored(deps, project_id, fp))


def _stored(deps: JobDeps, project_id: int, fingerprint: str) -> bool:
    """Whether the export of that version is stored (zip and player files)."""
    keys = (export_key(project_id, fingerprint), player_files_key(project_id, fingerprint))
    return all(deps.blobs.exists(key) for key in keys)


def after_run(deps: JobDeps, project_id: int, finished: RunEnd | None) -> str | None:
    """After the commit: send the run's BuildExport job (its id is returned: the caller
    may run it at once, see :mod:`spinelift.jobs.projects.inline`), or announce its end."""
    if finished is None:
        return None
    if finished.send_export is not None:
        send_job(deps, finished.send_export, JobKind.BUILD_EXPORT.value)
    if finished.status is not None:
        announce_project(
            deps.events, project_id, ProjectStatus(finished.status), error=finished.error
        )
    if finished.notify_id is not None:
        send(deps, ACTOR_NOTIFY_PROJECT, finished.notify_id)
    return finished.send_export
