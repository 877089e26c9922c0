"""A processing run of a project, from its upload (or re-tune) to its stored export.

A run is: the ProcessPsd job reads the document and stores the layers, a GenerateMesh
job per layer, then one BuildExport job for the project's new version. The project is
``processing`` for the whole run and ``completed`` only once its export is stored, so
a completed project always downloads at once. The ProcessPsd job the upload answered
with tells the truth about the whole run: after reading the document it stays
``processing`` with its ``result`` (layers, canvas) set, ``progress`` follows the
layers as they are meshed, and it completes (or fails) with the run. Such a job is
waiting, not running: the recovery pass leaves it alone (:func:`is_waiting_run`).

Every step here runs in the caller's transaction, so a run's end (project status,
ProcessPsd job, Notification job row) is committed at once or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spinelift.errors import MeshGenerationError
from spinelift.jobs.projects.export_version import ExportVersion, current_version
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import Job, JobKind, LayerStatus, ProjectStatus
from spinelift.storage.repositories import UnitOfWork

MESHING_SHARE = 90
"""percent of a run's progress given to meshing (the rest: reading and the export)"""


@dataclass(frozen=True)
class RunEnd:
    """What a finished step asks the caller to do after its commit: send
    ``send_export`` (a BuildExport job), or announce ``status`` and send ``notify_id``."""

    status: str | None = None
    notify_id: str | None = None
    send_export: str | None = None
    error: str | None = None


def is_waiting_run(job: Job) -> bool:
    """A ProcessPsd job that has read its document and waits for its run to end."""
    return (
        job.kind == JobKind.PROCESS_PSD.value
        and job.status == JobStatus.PROCESSING.value
        and bool(job.result)
    )


def mark_extracted(uow: UnitOfWork, job_id: str, result: Mapping[str, Any]) -> None:
    """The ProcessPsd job has stored its layers: it waits for the run (``result`` set)."""
    job = uow.jobs.require(job_id, lock=True)
    if job.status != JobStatus.PROCESSING.value:
        return
    job.result = dict(result)
    job.progress = 10
    job.message = f"Meshing {result.get('layers', 0)} layers"
    job.heartbeat_at = uow.jobs.clock()
    uow.session.flush()


def note_layer_done(uow: UnitOfWork, mesh_job_id: str) -> None:
    """Move the run's progress on when one of its layers is done (mesh jobs of a run
    are ``<process job id>-layer-<layer id>``)."""
    if "-layer-" not in mesh_job_id:
        return
    parent = uow.jobs.get(mesh_job_id.rsplit("-layer-", 1)[0])
    if parent is None or not is_waiting_run(parent) or parent.project_id is None:
        return
    done, total = _layers_done(uow.layers.status_counts(parent.project_id))
    total = max(1, total)
    parent.progress = 10 + (MESHING_SHARE - 10) * done // total
    parent.message = f"Meshed {done} of {total} layers"
    uow.session.flush()


_DONE = (LayerStatus.COMPLETED.value, LayerStatus.FAILED.value)


def _layers_done(counts: Mapping[str, int]) -> tuple[int, int]:
    """(layers done: meshed or failed; all layers) of a project's status counts."""
    return sum(counts.get(status, 0) for status in _DONE), sum(counts.values())


def finish_project(
    uow: UnitOfWork, project_id: int, stored: Callable[[str], bool]
) -> RunEnd | None:
    """When every layer of the processing project is done: fail the run if no layer made
    it, else make (or reuse) the BuildExport job of the project's new version. ``stored``:
    whether a fingerprint's export is already stored (the run then ends at once). The
    project row is locked so two last layers never both miss it."""
    project = uow.projects.get_for_update(project_id)
    if project is None or project.status != ProjectStatus.PROCESSING.value:
        return None
    counts = uow.layers.status_counts(project_id)
    done, total = _layers_done(counts)
    if not total or done < total:
        return None
    failed = counts.get(LayerStatus.FAILED.value, 0)
    if failed == total:
        return fail_run(uow, project_id, f"all {failed} layers failed to mesh")
    version = current_version(uow, project_id, project.name)
    if stored(version.fingerprint):
        return complete_run(uow, project_id, version)
    job, _ = export_job(uow, version, project.owner_id, retry_failed=True)
    return RunEnd(send_export=job.job_id)


def export_job(
    uow: UnitOfWork, version: ExportVersion, owner_id: int, *, retry_failed: bool
) -> tuple[Job, bool]:
    """The BuildExport job of ``version`` whose export is NOT stored yet, made if need be:
    (the job, whether it was made or queued again here: send it). A completed job whose
    blobs are gone (the version came back, e.g. a rename undone, after its blobs were
    replaced) is followed by a new one (``<job id>-<n>``); a failed one is queued again
    with ``retry_failed``, else returned as it is."""
    for attempt in range(100):
        job_id = version.job_id if attempt == 0 else f"{version.job_id}-{attempt}"
        job, created = uow.jobs.create(
            job_id,
            JobKind.BUILD_EXPORT,
            payload={"fingerprint": version.fingerprint},
            user_id=owner_id,
            project_id=version.project_id,
        )
        if created or job.status in (JobStatus.QUEUED.value, JobStatus.PROCESSING.value):
            return job, created
        if job.status == JobStatus.FAILED.value:
            if not retry_failed:
                return job, False
            uow.jobs.requeue(job.job_id, message="Queued again (a new run)")
            return job, True
    raise RuntimeError(f"{version.job_id}: 100 builds of one version")


def complete_run(uow: UnitOfWork, project_id: int, version: ExportVersion) -> RunEnd | None:
    """The export of ``version`` is stored: if it is still the project's version and the
    project is processing, the project is completed, its waiting ProcessPsd jobs too,
    and the run's Notification job row is made."""
    project = uow.projects.get_for_update(project_id)
    if project is None or project.status != ProjectStatus.PROCESSING.value:
        return None
    done, total = _layers_done(uow.layers.status_counts(project_id))
    if done < total:
        return None  # a layer was queued again meanwhile: its end finishes the run
    if current_version(uow, project_id, project.name).fingerprint != version.fingerprint:
        return None
    uow.projects.set_status(project_id, ProjectStatus.COMPLETED)
    for job in _waiting_runs(uow, project_id):
        uow.jobs.complete(job.job_id, {**(job.result or {}), "export": version.fingerprint})
    return RunEnd(status=ProjectStatus.COMPLETED.value, notify_id=_notify(uow, project_id))


def fail_run(
    uow: UnitOfWork, project_id: int, message: str, error: Mapping[str, Any] | None = None
) -> RunEnd | None:
    """The run cannot end well (every layer failed, or the export failed): the project
    fails with ``message``, its waiting ProcessPsd jobs with ``error`` (an error body;
    default ``MESH_GENERATION_FAILED`` with ``message``)."""
    project = uow.projects.get_for_update(project_id)
    if project is None or project.status != ProjectStatus.PROCESSING.value:
        return None
    uow.projects.set_status(project_id, ProjectStatus.FAILED, error=message)
    body = dict(error) if error is not None else MeshGenerationError(message).body()
    for job in _waiting_runs(uow, project_id):
        uow.jobs.fail(job.job_id, body)
    return RunEnd(
        status=ProjectStatus.FAILED.value, notify_id=_notify(uow, project_id), error=message
    )


def _waiting_runs(uow: UnitOfWork, project_id: int) -> list[Job]:
    return [
        job
        for job in uow.jobs.list_for_project(project_id, limit=10_000, kind=JobKind.PROCESS_PSD)
        if is_waiting_run(job)
    ]


def _notify(uow: UnitOfWork, project_id: int) -> str:
    """The Notification job row of the run (made in this transaction: a lost message
    cannot lose it)."""
    project = uow.projects.get_for_update(project_id)
    assert project is not None
    notify_id = notify_job_id(project_id, project.processing_started_at)
    uow.jobs.create(
        notify_id, JobKind.NOTIFICATION, user_id=project.owner_id, project_id=project_id
    )
    return notify_id


def notify_job_id(project_id: int, started: datetime | None) -> str:
    """The Notification job of a processing run (derived from the run's start)."""
    run = int(started.timestamp() * 1000) if started is not None else 0
    return f"notify-{project_id}-{run}"
