"""GenerateMesh: mesh one layer from the image its export writes (padding included,
:mod:`.layers`) and store a new mesh version.

In the worker (:func:`~spinelift.core.pipeline.build_mesh`) by default; with
``MESH_SERVICE_URL`` (+ ``MESH_SERVICE_TOKEN``) set, the image goes as a PNG to the mesh
service (:mod:`.remote_mesh`) and the mesh its attachment describes is stored. The
service's engine errors are final like local ones; the service unreachable (retries
spent, or its circuit breaker open) is not the job's fault: the job is queued again
without counting the attempt, its message delayed (1-30 s, or until the breaker lets a
trial through), until it is :data:`MESH_SERVICE_WAIT` s old (then
``MESH_SERVICE_UNAVAILABLE``)."""

from __future__ import annotations

import logging
import random
import time

from spinelift.core.pipeline import build_mesh
from spinelift.core.settings import MeshSettings
from spinelift.errors import (
    DocumentError,
    JobNotFoundError,
    MeshServiceUnavailableError,
    SpineLiftError,
)
from spinelift.io.image import read_image
from spinelift.jobs.projects import runs
from spinelift.jobs.projects.claim import queued_job
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.events import announce_layer
from spinelift.jobs.projects.export_version import canvas_of
from spinelift.jobs.projects.failure import after_run, fail_job, finish_project, retry_or_fail
from spinelift.jobs.projects.layers import (
    StoredLayer,
    document_layer,
    export_image,
    export_options,
    mesh_data,
)
from spinelift.jobs.projects.messages import (
    ACTOR_GENERATE_MESH,
    send,
)
from spinelift.jobs.projects.remote_mesh import MeshServiceDownError, remote_mesh
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, LayerStatus
from spinelift.storage.repositories import Actor

log = logging.getLogger(__name__)

MESH_SERVICE_WAIT = 3600.0
"""seconds a GenerateMesh job waits for an unreachable mesh service before it fails"""
PROGRESS_INTERVAL = 0.5
"""seconds between two progress events (and job-row writes) of one mesh job"""


def run_generate_mesh(deps: JobDeps, job_id: str) -> str | None:
    """Mesh the job's layer and store the mesh; the id of the BuildExport job this sent
    (the run's last layer) or None."""
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = queued_job(uow, job_id, "generate_mesh", "layer_id")
        if job is None or job.layer_id is None:
            return None
        layer = uow.layers.get(job.layer_id)
        if layer is None:
            uow.jobs.fail(job_id, JobNotFoundError(f"layer {job.layer_id} is gone").body())
            return None
        uow.jobs.claim(job_id, message="Meshing")
        attempts, layer_id, project_id = job.attempts, layer.id, layer.project_id
        uow.layers.set_status(layer_id, LayerStatus.PROCESSING)
        tuned = job.payload.get("parameters")  # a re-tune's, else the layer's own
        if tuned is None:
            tuned = dict(layer.parameters)
        defaults = dict(layer.project.parameters)
        stored = StoredLayer.of(layer)
        jobs = uow.jobs.list_for_project(project_id, limit=10_000, kind=JobKind.PROCESS_PSD)
        canvas = canvas_of(jobs) or (layer.x + layer.width, layer.y + layer.height)
    announce_layer(deps.events, project_id, layer_id, LayerStatus.PROCESSING, 0, "Meshing")
    try:
        if not stored.image_key:
            raise DocumentError(f"layer {layer_id} has no image")
        pixels = read_image(deps.blobs.get(stored.image_key))
        # the image the export writes for this layer: project settings, name tags, tuning
        image, settings = export_image(
            document_layer(stored, pixels, 0),
            MeshSettings.from_mapping(defaults),
            canvas,
            tuned,
        )
        del pixels
        attachment = None
        if deps.mesh_client is not None:
            remote_id = f"{job_id}.{attempts}"
            mesh, attachment = remote_mesh(deps.mesh_client, image.rgba, settings, remote_id)
        else:
            progress = _MeshProgress(deps, job_id, project_id, layer_id)
            # the export's size limit on the layer; its padding never makes it too large
            limit = export_options().max_dimension + 2 * image.pad
            mesh = build_mesh(image.rgba, settings, progress, max_dimension=limit)
        data = mesh_data(mesh, image, attachment)
    except MeshServiceDownError as exc:
        _wait_for_mesh_service(deps, job_id, attempts, exc)
        return None
    except SpineLiftError as exc:
        fail_job(deps, job_id, JobKind.GENERATE_MESH.value, exc.body())
        return None
    except Exception as exc:
        retry_or_fail(deps, job_id, JobKind.GENERATE_MESH.value, attempts, exc)
        return None
    with deps.db.unit(Actor.job(job_id)) as uow:
        current = uow.jobs.require(job_id, lock=True)
        if current.status != JobStatus.PROCESSING.value or current.attempts != attempts:
            log.info("generate_mesh: superseded by another attempt")
            return None
        mesh_row = uow.meshes.add_version(layer_id, data, settings.to_dict(), job_id=job_id)
        uow.jobs.complete(job_id, {"mesh_version": mesh_row.version})
        uow.layers.set_status(layer_id, LayerStatus.COMPLETED)
        runs.note_layer_done(uow, job_id)
        finished = finish_project(deps, uow, project_id)
    figures = {k: data[k] for k in ("vertices", "hull", "triangles", "overdraw")}
    announce_layer(
        deps.events, project_id, layer_id, LayerStatus.COMPLETED, 100, "Done", mesh=figures
    )
    return after_run(deps, project_id, finished)


def _wait_for_mesh_service(
    deps: JobDeps, job_id: str, attempts: int, exc: MeshServiceDownError
) -> None:
    """Queue the job again without counting this attempt and send its message delayed:
    until the breaker lets a trial through (at least 1 s, at most 30 s, with jitter).
    A job older than :data:`MESH_SERVICE_WAIT` fails as ``MESH_SERVICE_UNAVAILABLE``."""
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = uow.jobs.require(job_id, lock=True)
        if job.status != JobStatus.PROCESSING.value or job.attempts != attempts:
            return  # superseded meanwhile
        waited = (uow.jobs.clock() - job.created_at).total_seconds()
        project_id, layer_id = job.project_id, job.layer_id
        if waited < MESH_SERVICE_WAIT:
            message = f"Waiting for the mesh service: {exc.message}"[:500]
            # back to queued, this attempt not counted (the audit keeps it)
            uow.jobs.transition(job_id, JobStatus.QUEUED, message=message, attempts=attempts - 1)
            if layer_id is not None:
                uow.layers.set_status(layer_id, LayerStatus.PENDING)
    if waited >= MESH_SERVICE_WAIT:
        error = MeshServiceUnavailableError(
            f"the mesh service was unreachable for {waited:.0f} s: {exc.message}",
            details={"cause": exc.details["cause"]},
        )
        fail_job(deps, job_id, JobKind.GENERATE_MESH.value, error.body())
        return
    retry_in = deps.mesh_client.breaker.retry_in() if deps.mesh_client is not None else 0.0
    delay = min(30.0, max(1.0, retry_in)) * random.uniform(1.0, 1.2)
    log.warning(
        "mesh service unavailable; job deferred",
        extra={"code": exc.details["cause"], "error": exc.message, "delay": round(delay, 2)},
    )
    if project_id is not None and layer_id is not None:
        announce_layer(
            deps.events,
            project_id,
            layer_id,
            LayerStatus.PENDING,
            0,
            "Waiting for the mesh service",
        )
    send(deps, ACTOR_GENERATE_MESH, job_id, delay=delay)


class _MeshProgress:
    """build_mesh's progress callback: at most one event and job-row write per interval,
    the first one interval after the start (a layer meshed sooner goes from "Meshing"
    to done: its completion writes the row and announces it once)."""

    def __init__(self, deps: JobDeps, job_id: str, project_id: int, layer_id: int) -> None:
        self.deps, self.job_id = deps, job_id
        self.project_id, self.layer_id = project_id, layer_id
        self.last = time.monotonic()

    def __call__(self, percent: int, message: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL or percent >= 100:
            return
        self.last = now
        with self.deps.db.unit(Actor.job(self.job_id)) as uow:
            uow.jobs.heartbeat(self.job_id, progress=percent, message=message)
        announce_layer(
            self.deps.events,
            self.project_id,
            self.layer_id,
            LayerStatus.PROCESSING,
            percent,
            message,
        )
