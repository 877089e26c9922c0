"""Notification: one in-app notification per processing run."""

from __future__ import annotations

import logging

from spinelift.jobs.projects import runs
from spinelift.jobs.projects.deps import JobDeps
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, LayerStatus, ProjectStatus
from spinelift.storage.repositories import Actor

log = logging.getLogger(__name__)


def run_notify_project(deps: JobDeps, ref: int | str) -> None:
    """One in-app notification per processing run: its job id is derived from the run's
    start (the job row is made when the project finishes), so a repeated message finds
    the completed job and does nothing. ``ref``: the job id, or the project id (older
    messages). A job of a run that is no longer the project's latest completes without
    a notification (a new upload started another run); a re-tune continues its run."""
    with deps.db.unit(Actor.system("notifier")) as uow:
        if isinstance(ref, str):
            pending = uow.jobs.get(ref)
            if pending is None or pending.project_id is None:
                return
            project_id, job_id = pending.project_id, ref
        else:
            project_id, job_id = ref, ""
        project = uow.projects.get_for_update(project_id)
        finished = (ProjectStatus.COMPLETED.value, ProjectStatus.FAILED.value)
        started = project.processing_started_at if project else None
        current = runs.notify_job_id(project_id, started) if project else ""
        # the run's own job notifies even when a re-tune made the project processing
        # again (the same run goes on); an older message (a project id) needs it finished
        ended = project is not None and (project.status in finished or job_id == current)
        if project is None or not ended or job_id not in ("", current):
            if job_id and uow.jobs.require(job_id).status == JobStatus.QUEUED.value:
                uow.jobs.claim(job_id, message="Superseded")
                uow.jobs.complete(job_id, {"skipped": "superseded by a later run"})
            return
        job_id = current
        job, _ = uow.jobs.create(
            job_id, JobKind.NOTIFICATION, user_id=project.owner_id, project_id=project_id
        )
        if job.status != JobStatus.QUEUED.value:
            return
        uow.jobs.claim(job_id, message="Notifying")
        layers = uow.layers.list_for_project(project_id)
        failed = sum(layer.status == LayerStatus.FAILED.value for layer in layers)
        title = f"Project {project.name} finished: {len(layers)} layers, {failed} failed"
        note = uow.notifications.create(
            project.owner_id,
            "project.finished",
            title[:200],
            body=project.error or "",
            data={
                "project_id": project_id,
                "status": project.status,
                "layers": len(layers),
                "failed": failed,
            },
        )
        uow.jobs.complete(job_id, {"notification_id": note.id})
