"""Queueing the web app's jobs: a job row (in the caller's transaction or its own), then
its message (:mod:`spinelift.jobs.projects.messages`) after the commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.events import announce_layer, announce_project
from spinelift.jobs.projects.messages import (
    ACTOR_GENERATE_MESH,
    send,
    send_job,
)
from spinelift.storage.models import JobKind, LayerStatus, ProjectStatus
from spinelift.storage.repositories import Actor, UnitOfWork

log = logging.getLogger(__name__)


def enqueue_process_psd(
    deps: JobDeps,
    *,
    owner_id: int,
    project_id: int,
    upload_id: int,
    request_id: str | None = None,
) -> str:
    """Create a ProcessPsd job row for the upload and send its message; the job id."""
    with deps.db.unit(Actor.user(owner_id)) as uow:
        job_id = create_process_psd(
            uow,
            owner_id=owner_id,
            project_id=project_id,
            upload_id=upload_id,
            request_id=request_id,
        )
    send_job(deps, job_id, JobKind.PROCESS_PSD.value, request_id=request_id)
    return job_id


def create_process_psd(
    uow: UnitOfWork,
    *,
    owner_id: int,
    project_id: int,
    upload_id: int,
    upload_ids: list[int] | None = None,
    request_id: str | None = None,
) -> str:
    """The ProcessPsd job row of an upload, in the caller's transaction (the upload row
    and its job then exist together or not at all); send it with :func:`send_job` after
    the commit. ``upload_ids``: several PNG uploads read as one document (in file-name
    order). Returns the job id."""
    job_id = f"psd-{project_id}-{uuid.uuid4().hex[:16]}"
    payload: dict[str, Any] = {"upload_id": upload_id, "request_id": request_id}
    if upload_ids:
        payload["upload_ids"] = list(upload_ids)
    uow.jobs.create(
        job_id,
        JobKind.PROCESS_PSD,
        payload=payload,
        user_id=owner_id,
        project_id=project_id,
    )
    return job_id


def enqueue_generate_mesh(
    deps: JobDeps,
    *,
    owner_id: int,
    project_id: int,
    layer_id: int,
    parameters: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> str:
    """Create a GenerateMesh job row for the layer (``parameters``: this run's mesh
    parameters, else the layer's over the project's), mark the layer pending, send.
    A finished project is processing again until its export is rebuilt (the same run:
    no new notification)."""
    job_id = f"mesh-{layer_id}-{uuid.uuid4().hex[:16]}"
    payload: dict[str, Any] = {"request_id": request_id}
    if parameters is not None:
        payload["parameters"] = dict(parameters)
    with deps.db.unit(Actor.user(owner_id)) as uow:
        uow.jobs.create(
            job_id,
            JobKind.GENERATE_MESH,
            payload=payload,
            user_id=owner_id,
            project_id=project_id,
            layer_id=layer_id,
        )
        uow.layers.set_status(layer_id, LayerStatus.PENDING)
        project = uow.projects.get_for_update(project_id)
        restarted = project is not None and project.status != ProjectStatus.PROCESSING.value
        if project is not None and restarted:
            started = project.processing_started_at
            uow.projects.set_status(project_id, ProjectStatus.PROCESSING)
            # the same run goes on (its export is rebuilt): no second notification
            project.processing_started_at = started
    if restarted:
        announce_project(deps.events, project_id, ProjectStatus.PROCESSING)
    announce_layer(deps.events, project_id, layer_id, LayerStatus.PENDING, 0, "Queued")
    send(deps, ACTOR_GENERATE_MESH, job_id, request_id=request_id)
    return job_id
