"""The web app's background jobs: ProcessPsd, GenerateMesh, Cleanup, Notification.

The database is the source of truth (``jobs`` rows: status, progress, attempts, error);
a Dramatiq message carries only a job id. Every actor starts by reading the row and
does nothing unless the job is ``queued``, so a duplicated or redelivered message is
harmless; the work's results are written in the same transaction that completes the
job, so running a job twice never duplicates layers or meshes. While a job runs, its
row's heartbeat is kept fresh (:class:`~spinelift.jobs.lease.JobLease`). Nothing is lost
when a worker dies or a message is lost: the workers' periodic recovery pass
(:mod:`spinelift.jobs.project_cleanup`, every ``SPINELIFT_CLEANUP_INTERVAL`` s) gives a
dead worker's messages back to the queue, queues again the jobs whose heartbeat is older
than ``SPINELIFT_JOB_STALE_AFTER`` and re-sends queued jobs whose message the broker no
longer holds (a Redis that restarted empty, a send that failed).

Failure policy (as the mesh service's): a :class:`~spinelift.errors.SpineLiftError` is
final; any other exception requeues the row and is re-raised for Dramatiq to retry
(with backoff) until :data:`MAX_ATTEMPTS`, then it is final as ``INTERNAL_ERROR``. A job
whose worker was lost is queued again until it has been tried :data:`MAX_WORKER_LOSSES`
times (then ``JOB_TIMEOUT``: a job that keeps killing its worker is a poison pill).

Meshing: in the worker (:func:`~spinelift.core.pipeline.build_mesh`) by default; with
``MESH_SERVICE_URL`` (+ ``MESH_SERVICE_TOKEN``) set, GenerateMesh sends the layer's PNG
to that mesh service (:mod:`spinelift.jobs.mesh_client`) and stores the same keys
(figures recomputed from the attachment; ``overdraw`` against the alpha-threshold mask,
before island/hole policies). The service's engine errors are final like local ones; the
service unreachable (retries spent, or its circuit breaker open) is not the job's fault:
the job is queued again without counting the attempt, its message delayed (1-30 s, or
until the breaker lets a trial through), until it is :data:`MESH_SERVICE_WAIT` s old
(then ``MESH_SERVICE_UNAVAILABLE``).

Workers: ``dramatiq spinelift.jobs.project_jobs:setup_worker --queues spinelift-projects``
builds the broker and :class:`JobDeps` from the environment and starts the periodic
recovery pass in every worker process (see :func:`setup_worker`).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dramatiq
import numpy as np

from spinelift.config import ServiceSettings
from spinelift.core.mask import alpha_mask
from spinelift.core.metrics import mesh_area
from spinelift.core.pipeline import build_mesh
from spinelift.core.settings import MeshSettings
from spinelift.errors import DocumentError, EmptyDocumentError, SpineLiftError
from spinelift.io.document import Document
from spinelift.io.image import encode_png, read_image
from spinelift.io.layer_rig import rig_record
from spinelift.io.png_document import PNG_SIGNATURE, read_png_bytes
from spinelift.io.psd import read_psd
from spinelift.jobs.broker import make_broker, redis_client, require_redis_url
from spinelift.jobs.events import EventBus, layer_event
from spinelift.jobs.jsonlog import configure_logging, log_context
from spinelift.jobs.lease import JobLease, heartbeat_every
from spinelift.jobs.mesh_client import MeshServiceClient, client_for
from spinelift.spine.attachment import mesh_attachment
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database, database_url_from_env
from spinelift.storage.models import JobKind, JobStatus, LayerStatus, ProjectStatus
from spinelift.storage.repositories import Actor, UnitOfWork

log = logging.getLogger(__name__)

QUEUE_NAME = "spinelift-projects"
MAX_ATTEMPTS = 3
"""attempts of a job that crashes (not a SpineLiftError) before it fails for good"""
MAX_WORKER_LOSSES = 5
"""attempts of a job whose worker keeps being lost before it fails (``JOB_TIMEOUT``)"""
MESH_SERVICE_WAIT = 3600.0
"""seconds a GenerateMesh job waits for an unreachable mesh service before it fails"""
PROGRESS_INTERVAL = 0.5
"""seconds between two progress events (and job-row writes) of one mesh job"""
STUCK_AFTER = 3600.0
"""seconds after which Cleanup fails a job that still has not finished"""

ACTOR_PROCESS_PSD = "spinelift_process_psd"
ACTOR_GENERATE_MESH = "spinelift_generate_mesh"
ACTOR_CLEANUP = "spinelift_cleanup"
ACTOR_NOTIFY_PROJECT = "spinelift_notify_project"
KIND_ACTORS = {
    JobKind.PROCESS_PSD.value: ACTOR_PROCESS_PSD,
    JobKind.GENERATE_MESH.value: ACTOR_GENERATE_MESH,
    JobKind.NOTIFICATION.value: ACTOR_NOTIFY_PROJECT,
}
"""the actor that runs each kind of job row (its message: the job id)"""


@dataclass(frozen=True)
class JobDeps:
    """What the jobs use. ``broker``: where messages go (default: Dramatiq's global one)."""

    db: Database
    blobs: BlobStore
    events: EventBus
    broker: dramatiq.Broker | None = None
    mesh_client: MeshServiceClient | None = None
    """set: GenerateMesh is delegated to this mesh service instead of run here"""
    stale_after: float = 30.0
    """seconds without a heartbeat after which a running job is presumed lost"""


def layer_image_key(project_id: int, layer_id: int) -> str:
    """Blob key of a layer's PNG: ids only, never the layer's (user-chosen) name."""
    return f"projects/{project_id}/layers/{layer_id}.png"


# --------------------------------------------------------------------------- set-up

_deps: JobDeps | None = None


def configure(deps: JobDeps) -> None:
    """Use ``deps`` for the actors run in this process (and declare them on its broker)."""
    global _deps
    _deps = deps
    if deps.broker is not None:
        declare_actors(deps.broker)


def current_deps() -> JobDeps:
    if _deps is None:
        raise RuntimeError("spinelift.jobs.project_jobs.configure() was not called")
    return _deps


def deps_from_settings(settings: ServiceSettings, broker: dramatiq.Broker | None = None) -> JobDeps:
    """Deps from the environment: ``SPINELIFT_DATABASE_URL`` / ``DATABASE_URL`` (else SQLite
    in the data dir), blobs in ``<data_dir>/blobs``, events on the settings' Redis."""
    return JobDeps(
        db=Database(database_url_from_env(settings.data_dir)),
        blobs=blob_store_for(settings),
        events=EventBus(redis_client(require_redis_url(settings)), prefix=settings.key_prefix),
        broker=broker,
        stale_after=settings.job_stale_after,
        mesh_client=client_for(
            settings.mesh_service_url,
            settings.mesh_service_token,
            callback_url=settings.mesh_callback_url(),
            failure_threshold=settings.mesh_breaker_threshold,
            reset_after=settings.mesh_breaker_reset,
        ),
    )


def setup_worker() -> None:
    """Dramatiq's entry (``dramatiq spinelift.jobs.project_jobs:setup_worker``): the Redis
    broker of the settings becomes the global one, the actors are declared on it, and
    every worker process takes part in the periodic recovery pass and hourly Cleanup
    (:func:`spinelift.jobs.project_cleanup.add_recovery`)."""
    from spinelift.jobs.project_cleanup import add_recovery  # it builds on this module

    settings = ServiceSettings()
    configure_logging(settings.log_level)
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    deps = deps_from_settings(settings, broker)
    configure(deps)
    add_recovery(broker, deps, settings)


def declare_actors(broker: dramatiq.Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """The four actors on ``broker`` (declared once per broker), by actor name."""
    functions: dict[str, Callable[..., None]] = {
        ACTOR_PROCESS_PSD: process_psd,
        ACTOR_GENERATE_MESH: generate_mesh,
        ACTOR_CLEANUP: cleanup,
        ACTOR_NOTIFY_PROJECT: notify_project,
    }
    actors: dict[str, dramatiq.Actor[Any, Any]] = {}
    for name, fn in functions.items():
        try:
            actors[name] = broker.get_actor(name)
        except dramatiq.errors.ActorNotFound:
            decorate = dramatiq.actor(
                actor_name=name,
                queue_name=QUEUE_NAME,
                broker=broker,
                max_retries=MAX_ATTEMPTS - 1,
                min_backoff=200,
                max_backoff=5_000,
            )
            actors[name] = decorate(fn)
    return actors


def _send(
    deps: JobDeps,
    actor_name: str,
    *args: Any,
    request_id: str | None = None,
    delay: float | None = None,
) -> bool:
    """Hand a message to the broker (``delay``: seconds before it is delivered); ``False``
    (logged) when it is unreachable: the job row stays queued and the recovery pass
    sends it again later."""
    broker = deps.broker or dramatiq.get_broker()
    try:
        actor = declare_actors(broker)[actor_name]
        options: dict[str, Any] = {"request_id": request_id or ""}
        if delay is not None:
            options["delay"] = int(delay * 1000)
        actor.send_with_options(args=args, **options)
    except Exception as exc:  # the broker is transport: the DB row is what counts
        log.warning("message not sent", extra={"actor": actor_name, "error": str(exc)})
        return False
    return True


# --------------------------------------------------------------------------- enqueue


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
    request_id: str | None = None,
) -> str:
    """The ProcessPsd job row of an upload, in the caller's transaction (the upload row
    and its job then exist together or not at all); send it with :func:`send_job` after
    the commit. Returns the job id."""
    job_id = f"psd-{project_id}-{uuid.uuid4().hex[:16]}"
    uow.jobs.create(
        job_id,
        JobKind.PROCESS_PSD,
        payload={"upload_id": upload_id, "request_id": request_id},
        user_id=owner_id,
        project_id=project_id,
    )
    return job_id


def send_job(deps: JobDeps, job_id: str, kind: str, *, request_id: str | None = None) -> bool:
    """Send the message of the committed job row ``job_id`` (of ``kind``); False when the
    broker is unreachable (the recovery pass sends it later)."""
    return _send(deps, KIND_ACTORS[kind], job_id, request_id=request_id)


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
    parameters, else the layer's over the project's), mark the layer pending, send."""
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
    _layer_event(deps, project_id, layer_id, LayerStatus.PENDING, 0, "Queued")
    _send(deps, ACTOR_GENERATE_MESH, job_id, request_id=request_id)
    return job_id


# --------------------------------------------------------------------------- actors


def process_psd(job_id: str) -> None:
    """Actor body: extract the upload's layers and queue a mesh job per layer."""
    deps = current_deps()
    with log_context(job_id=job_id), _lease(deps, job_id):
        run_process_psd(deps, job_id)


def generate_mesh(job_id: str) -> None:
    """Actor body: mesh one layer and store a new mesh version."""
    deps = current_deps()
    with log_context(job_id=job_id), _lease(deps, job_id):
        run_generate_mesh(deps, job_id)


def cleanup() -> None:
    """Actor body: fail stuck jobs, resend lost messages, delete orphan blobs."""
    run_cleanup(current_deps())


def notify_project(ref: int | str) -> None:
    """Actor body: tell the owner that the project finished (once per processing run).
    ``ref``: the Notification job's id (or, from older senders, the project's id)."""
    run_notify_project(current_deps(), ref)


def _lease(deps: JobDeps, job_id: str) -> JobLease:
    return JobLease(deps.db, job_id, every=heartbeat_every(deps.stale_after))


# --------------------------------------------------------------------------- ProcessPsd


def run_process_psd(deps: JobDeps, job_id: str) -> None:
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = uow.jobs.get(job_id)
        if job is None or job.status != JobStatus.QUEUED.value or job.project_id is None:
            log.info("process_psd: nothing to do", extra={"status": job and job.status})
            return
        uow.jobs.claim(job_id, message="Reading PSD")
        project_id, attempts = job.project_id, job.attempts
        upload_id = int(job.payload.get("upload_id", 0))
        owner_id = job.user_id
        uow.projects.set_status(project_id, ProjectStatus.PROCESSING)
        upload = uow.uploads.get(upload_id)
        blob_key = upload.blob_key if upload is not None else None
        filename = upload.filename if upload is not None else "upload.psd"
    _project_event(deps, project_id, ProjectStatus.PROCESSING)
    try:
        if blob_key is None or not deps.blobs.exists(blob_key):
            raise DocumentError(f"upload {upload_id} is gone", details={"upload_id": upload_id})
        data = deps.blobs.get(blob_key)
        if data.startswith(PNG_SIGNATURE):  # a single PNG upload is a one-layer document
            document = read_png_bytes(data, name=filename)
        else:
            document = read_psd(data, name=filename)
        if not document.layers:
            raise EmptyDocumentError(f"{filename}: no layer to mesh")
        mesh_jobs = _store_layers(deps, job_id, project_id, upload_id, owner_id, document)
    except SpineLiftError as exc:
        _fail_job(deps, job_id, JobKind.PROCESS_PSD.value, exc.to_dict()["error"])
        return
    except Exception as exc:
        _retry_or_fail(deps, job_id, JobKind.PROCESS_PSD.value, attempts, exc)
        return
    for mesh_job_id, layer_id in mesh_jobs:
        _layer_event(deps, project_id, layer_id, LayerStatus.PENDING, 0, "Queued")
        _send(deps, ACTOR_GENERATE_MESH, mesh_job_id)
    with deps.db.unit(Actor.job(job_id)) as uow:
        if uow.jobs.require(job_id).status == JobStatus.PROCESSING.value:
            uow.jobs.complete(
                job_id,
                {
                    "layers": len(document.layers),
                    "width": document.width,
                    "height": document.height,
                },
            )


def _store_layers(
    deps: JobDeps,
    job_id: str,
    project_id: int,
    upload_id: int,
    owner_id: int | None,
    document: Document,
) -> list[tuple[str, int]]:
    """Layer rows (made once per upload), their PNGs, one queued mesh job per layer.

    Rows are committed before their blobs are written, so Cleanup never sees a layer
    blob without its row; a re-run writes the (identical) blobs again. Returns the
    (mesh job id, layer id) pairs still queued.
    """
    old_keys: list[str] = []
    with deps.db.unit(Actor.job(job_id, owner_id)) as uow:
        layers = [r for r in uow.layers.list_for_project(project_id) if r.upload_id == upload_id]
        if not layers:
            old_keys = uow.layers.delete_for_project(project_id)  # an earlier upload's
            layers = uow.layers.bulk_create(
                project_id,
                [
                    {
                        "name": layer.name[:255],
                        "position": position,
                        "bounds": {
                            "x": layer.left,
                            "y": layer.top,
                            "width": layer.width,
                            "height": layer.height,
                        },
                        "opacity": round(float(layer.opacity), 4),
                        "blend_mode": layer.blend_mode,
                        "visible": layer.visible,
                        "has_mask": layer.has_mask,
                        "rig": rig_record(layer),
                        "upload_id": upload_id,
                    }
                    for position, layer in enumerate(document.layers)
                ],
            )
            for row in layers:
                row.image_key = layer_image_key(project_id, row.id)
            uow.session.flush()
        keys = [(row.position, row.id, row.image_key or "") for row in layers]
        queued: list[tuple[str, int]] = []
        for row in layers:
            mesh_job, _ = uow.jobs.create(
                f"{job_id}-layer-{row.id}",
                JobKind.GENERATE_MESH,
                user_id=owner_id,
                project_id=project_id,
                layer_id=row.id,
            )
            if mesh_job.status == JobStatus.QUEUED.value:
                queued.append((mesh_job.job_id, row.id))
    for key in old_keys:
        deps.blobs.delete(key)
    for position, _layer_id, key in keys:
        deps.blobs.put(key, encode_png(document.layers[position].rgba, compress_level=1))
    return queued


# --------------------------------------------------------------------------- GenerateMesh


def run_generate_mesh(deps: JobDeps, job_id: str) -> None:
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = uow.jobs.get(job_id)
        if job is None or job.status != JobStatus.QUEUED.value or job.layer_id is None:
            log.info("generate_mesh: nothing to do", extra={"status": job and job.status})
            return
        layer = uow.layers.get(job.layer_id)
        if layer is None:
            uow.jobs.fail(job_id, _error("JOB_NOT_FOUND", f"layer {job.layer_id} is gone"))
            return
        uow.jobs.claim(job_id, message="Meshing")
        attempts, layer_id, project_id = job.attempts, layer.id, layer.project_id
        uow.layers.set_status(layer_id, LayerStatus.PROCESSING)
        parameters = job.payload.get("parameters")
        if parameters is None:
            parameters = {**layer.project.parameters, **layer.parameters}
        image_key = layer.image_key
    _layer_event(deps, project_id, layer_id, LayerStatus.PROCESSING, 0, "Meshing")
    try:
        settings = MeshSettings.from_mapping(dict(parameters))
        if image_key is None:
            raise DocumentError(f"layer {layer_id} has no image")
        png = deps.blobs.get(image_key)
        rgba = read_image(png)
        if deps.mesh_client is not None:
            data = _remote_mesh(deps.mesh_client, png, rgba, settings, f"{job_id}.{attempts}")
        else:
            reporter = _MeshProgress(deps, job_id, project_id, layer_id)
            mesh = build_mesh(rgba, settings, reporter)
            data = {
                "attachment": mesh_attachment(mesh),
                "vertices": mesh.vertex_count,
                "hull": mesh.hull_count,
                "triangles": mesh.triangle_count,
                "overdraw": round(mesh.overdraw(), 6),
                "width": mesh.width,
                "height": mesh.height,
            }
    except MeshServiceDownError as exc:
        _wait_for_mesh_service(deps, job_id, attempts, exc)
        return
    except SpineLiftError as exc:
        _fail_job(deps, job_id, JobKind.GENERATE_MESH.value, exc.to_dict()["error"])
        return
    except Exception as exc:
        _retry_or_fail(deps, job_id, JobKind.GENERATE_MESH.value, attempts, exc)
        return
    with deps.db.unit(Actor.job(job_id)) as uow:
        current = uow.jobs.require(job_id, lock=True)
        if current.status != JobStatus.PROCESSING.value or current.attempts != attempts:
            log.info("generate_mesh: superseded by another attempt")
            return
        mesh_row = uow.meshes.add_version(layer_id, data, settings.to_dict(), job_id=job_id)
        uow.jobs.complete(job_id, {"mesh_version": mesh_row.version})
        uow.layers.set_status(layer_id, LayerStatus.COMPLETED)
        finished = _finish_project(uow, project_id)
    figures = {k: data[k] for k in ("vertices", "hull", "triangles", "overdraw")}
    _layer_event(deps, project_id, layer_id, LayerStatus.COMPLETED, 100, "Done", mesh=figures)
    _project_finished(deps, project_id, finished)


class MeshServiceDownError(RuntimeError):
    """The mesh service could not be reached: not final, the job waits for it."""

    def __init__(self, message: str, *, code: str = "MESH_SERVICE_UNAVAILABLE") -> None:
        super().__init__(message)
        self.code = code


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
            message = f"Waiting for the mesh service: {exc}"[:500]
            # back to queued, this attempt not counted (the audit keeps it)
            uow.jobs.transition(job_id, JobStatus.QUEUED, message=message, attempts=attempts - 1)
            if layer_id is not None:
                uow.layers.set_status(layer_id, LayerStatus.PENDING)
    if waited >= MESH_SERVICE_WAIT:
        error = _error(
            "MESH_SERVICE_UNAVAILABLE",
            f"the mesh service was unreachable for {waited:.0f} s: {exc}",
            cause=exc.code,
        )
        _fail_job(deps, job_id, JobKind.GENERATE_MESH.value, error)
        return
    retry_in = deps.mesh_client.breaker.retry_in() if deps.mesh_client is not None else 0.0
    delay = min(30.0, max(1.0, retry_in)) * random.uniform(1.0, 1.2)
    log.warning(
        "mesh service unavailable; job deferred",
        extra={"code": exc.code, "error": str(exc), "delay": round(delay, 2)},
    )
    if project_id is not None and layer_id is not None:
        _layer_event(
            deps, project_id, layer_id, LayerStatus.PENDING, 0, "Waiting for the mesh service"
        )
    _send(deps, ACTOR_GENERATE_MESH, job_id, delay=delay)


def _remote_mesh(
    client: MeshServiceClient,
    png: bytes,
    rgba: Any,
    settings: MeshSettings,
    remote_job_id: str,
) -> dict[str, Any]:
    """The mesh data (local mode's keys) of the mesh service's attachment."""
    try:
        attachment = client.mesh(png, settings.to_dict(), remote_job_id)
    except SpineLiftError as exc:
        if exc.details.get("retryable"):
            raise MeshServiceDownError(str(exc), code=exc.code) from exc
        if exc.details.get("remote_code") == "JOB_NOT_FOUND":
            # the service forgot the job (its Redis restarted empty): submit it again
            raise MeshServiceDownError(str(exc), code="JOB_NOT_FOUND") from exc
        raise
    width, height = attachment.get("width", 0), attachment.get("height", 0)
    flat = attachment.get("vertices") or []
    local = [(float(flat[i]), float(flat[i + 1])) for i in range(0, len(flat) - 1, 2)]
    points = [(x + width / 2.0, height / 2.0 - y) for x, y in local]
    triangles = [int(i) for i in attachment.get("triangles") or []]
    kept = int(alpha_mask(rgba, settings.alpha_threshold).sum())
    area = mesh_area(
        np.asarray(points, dtype=np.float64).reshape(-1, 2),
        np.asarray(triangles, dtype=np.int64).reshape(-1, 3),
    )
    overdraw = max(0.0, area - kept) / kept if kept > 0 else 0.0
    return {
        "attachment": attachment,
        "vertices": len(points),
        "hull": int(attachment.get("hull", 0)),
        "triangles": len(triangles) // 3,
        "overdraw": round(overdraw, 6),
        "width": width,
        "height": height,
    }


class _MeshProgress:
    """build_mesh's progress callback: at most one event and job-row write per interval."""

    def __init__(self, deps: JobDeps, job_id: str, project_id: int, layer_id: int) -> None:
        self.deps, self.job_id = deps, job_id
        self.project_id, self.layer_id = project_id, layer_id
        self.last = 0.0

    def __call__(self, percent: int, message: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and percent < 100:
            return
        self.last = now
        with self.deps.db.unit(Actor.job(self.job_id)) as uow:
            uow.jobs.heartbeat(self.job_id, progress=percent, message=message)
        _layer_event(
            self.deps, self.project_id, self.layer_id, LayerStatus.PROCESSING, percent, message
        )


# --------------------------------------------------------------------------- failures


def _error(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details}


def _retry_or_fail(deps: JobDeps, job_id: str, kind: str, attempts: int, exc: Exception) -> None:
    """A crash: requeue and re-raise (Dramatiq retries), or fail for good at the limit."""
    log.exception("job crashed", extra={"attempt": attempts})
    error = _error("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}", attempts=attempts)
    if attempts >= MAX_ATTEMPTS:
        _fail_job(deps, job_id, kind, error)
        return
    with deps.db.unit(Actor.job(job_id)) as uow:
        if uow.jobs.require(job_id).status == JobStatus.PROCESSING.value:
            uow.jobs.requeue(job_id, message=f"Retrying after: {error['message']}"[:500])
    raise exc


def _fail_job(deps: JobDeps, job_id: str, kind: str, error: Mapping[str, Any]) -> None:
    """Fail the job and what it was working on (the project, or the layer)."""
    text = f"{error.get('code', 'INTERNAL_ERROR')}: {error.get('message', '')}"
    finished: tuple[str, str] | None = None
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
        elif layer_id is not None:
            uow.layers.set_status(layer_id, LayerStatus.FAILED, error=text)
            finished = _finish_project(uow, project_id)
    log.info("job failed", extra={"code": error.get("code"), "error": error.get("message")})
    if kind == JobKind.PROCESS_PSD.value:
        _project_event(deps, project_id, ProjectStatus.FAILED, error=text)
    elif layer_id is not None:
        _layer_event(deps, project_id, layer_id, LayerStatus.FAILED, 0, "Failed", error=text)
        _project_finished(deps, project_id, finished)


def _finish_project(uow: UnitOfWork, project_id: int) -> tuple[str, str] | None:
    """When every layer is done, the processing project becomes completed (failed if no
    layer made it) and its Notification job row is made: (the status, that job's id).
    The project row is locked so two last layers never both miss it."""
    project = uow.projects.get_for_update(project_id)
    if project is None or project.status != ProjectStatus.PROCESSING.value:
        return None
    layers = uow.layers.list_for_project(project_id)
    done = (LayerStatus.COMPLETED.value, LayerStatus.FAILED.value)
    if not layers or any(layer.status not in done for layer in layers):
        return None
    failed = sum(layer.status == LayerStatus.FAILED.value for layer in layers)
    if failed == len(layers):
        uow.projects.set_status(
            project_id, ProjectStatus.FAILED, error=f"all {failed} layers failed to mesh"
        )
        status = ProjectStatus.FAILED.value
    else:
        uow.projects.set_status(project_id, ProjectStatus.COMPLETED)
        status = ProjectStatus.COMPLETED.value
    # the Notification job row is made in this transaction: a lost message cannot lose it
    notify_id = _notify_job_id(project_id, project.processing_started_at)
    uow.jobs.create(
        notify_id, JobKind.NOTIFICATION, user_id=project.owner_id, project_id=project_id
    )
    return status, notify_id


def _notify_job_id(project_id: int, started: datetime | None) -> str:
    """The Notification job of a processing run (derived from the run's start)."""
    run = int(started.timestamp() * 1000) if started is not None else 0
    return f"notify-{project_id}-{run}"


def _project_finished(deps: JobDeps, project_id: int, finished: tuple[str, str] | None) -> None:
    if finished is None:
        return
    status, notify_id = finished
    error = None
    if status == ProjectStatus.FAILED.value:
        error = "all layers failed to mesh"
    _project_event(deps, project_id, ProjectStatus(status), error=error)
    _send(deps, ACTOR_NOTIFY_PROJECT, notify_id)


# --------------------------------------------------------------------------- events


def _project_event(
    deps: JobDeps, project_id: int, status: ProjectStatus, *, error: str | None = None
) -> None:
    event: dict[str, Any] = {"type": "project", "project_id": project_id, "status": status.value}
    if error is not None:
        event["error"] = error
    deps.events.publish(project_id, event)


def _layer_event(
    deps: JobDeps,
    project_id: int,
    layer_id: int,
    status: LayerStatus,
    progress: int,
    message: str,
    *,
    error: str | None = None,
    mesh: Mapping[str, Any] | None = None,
) -> None:
    event = layer_event(project_id, layer_id, status, progress, message, error=error, mesh=mesh)
    deps.events.publish(project_id, event)


# --------------------------------------------------------------------------- Notification


def run_notify_project(deps: JobDeps, ref: int | str) -> None:
    """One in-app notification per processing run: its job id is derived from the run's
    start (the job row is made when the project finishes), so a repeated message finds
    the completed job and does nothing. ``ref``: the job id, or the project id (older
    messages). A job of a run that is no longer the project's latest completes without
    a notification (a new upload started another run)."""
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
        current = _notify_job_id(project_id, project.processing_started_at) if project else ""
        if project is None or project.status not in finished or job_id not in ("", current):
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


# --------------------------------------------------------------------------- Cleanup

# Cleanup and the recovery pass live in their own module, which builds on this one; they
# are re-exported here, where the actors and the callers have always found them.
from spinelift.jobs.project_cleanup import resend_stale as resend_stale  # noqa: E402
from spinelift.jobs.project_cleanup import run_cleanup as run_cleanup  # noqa: E402
