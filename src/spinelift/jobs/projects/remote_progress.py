"""Progress of a GenerateMesh job delegated to the mesh service, relayed live.

The mesh service posts each stage of a job to the web app's signed
``POST /api/v1/mesh/progress`` (:mod:`spinelift.net.callbacks` format). The remote job id
is ``<our job id>.<attempt>`` (see :func:`spinelift.jobs.projects.generate_mesh.run_generate_mesh`),
so a callback finds its job, and one from an attempt that is no longer current (a worker
that died, a retried submission) changes nothing. Only ``processing`` stages are relayed:
the worker's long poll stays the one source of a job's result, and a lost callback loses
nothing but a progress tick.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from spinelift.jobs.projects.events import EventBus, layer_event
from spinelift.storage.db import Database
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, LayerStatus
from spinelift.storage.repositories import Actor

log = logging.getLogger(__name__)

MAX_MESSAGE = 200


def split_remote_id(remote_job_id: str) -> tuple[str, int] | None:
    """``("<job id>", attempt)`` of a remote job id, or None when it is not one of ours."""
    job_id, dot, attempt = remote_job_id.rpartition(".")
    if not dot or not job_id or not attempt.isdecimal() or len(attempt) > 6:
        return None
    return job_id, int(attempt)


def relay_progress(db: Database, events: EventBus, body: Mapping[str, Any]) -> bool:
    """Record a callback's progress on its job and publish it to the project's events.

    ``body`` is the callback payload (``job_id``, ``status``, ``progress``, ``message``).
    True when it was relayed; False when it is not for a current attempt of a running
    GenerateMesh job (ignored: late, duplicate or foreign callbacks are normal).
    """
    if body.get("status") != JobStatus.PROCESSING.value:
        return False
    parsed = split_remote_id(str(body.get("job_id", "")))
    if parsed is None:
        return False
    job_id, attempt = parsed
    try:
        percent = max(0, min(99, int(body.get("progress", 0))))
    except (TypeError, ValueError):
        return False
    message = str(body.get("message", ""))[:MAX_MESSAGE]
    with db.unit(Actor.system("mesh-service")) as uow:
        job = uow.jobs.get(job_id)
        if (
            job is None
            or job.kind != JobKind.GENERATE_MESH.value
            or job.attempts != attempt
            or job.layer_id is None
        ):
            return False
        layer = uow.layers.get(job.layer_id)
        if layer is None or not uow.jobs.heartbeat(job_id, progress=percent, message=message):
            return False
        project_id, layer_id = layer.project_id, layer.id
    events.publish(
        project_id, layer_event(project_id, layer_id, LayerStatus.PROCESSING, percent, message)
    )
    log.debug("relayed mesh service progress", extra={"job_id": job_id, "progress": percent})
    return True
