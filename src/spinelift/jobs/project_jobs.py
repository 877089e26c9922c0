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

A run (:mod:`spinelift.jobs.project_runs`): ProcessPsd reads the upload
(:mod:`spinelift.jobs.project_upload`, within the document budget) and stores the
layers, GenerateMesh meshes each layer, BuildExport stores the export of the new version
(:mod:`spinelift.jobs.project_export`); the project is completed, and the ProcessPsd job
the upload answered with too, once the export is stored.

Meshing: each layer's mesh is made from the image its export writes (padding included,
:mod:`spinelift.jobs.project_layers`) and stored whole; the export ships it. In the
worker (:func:`~spinelift.core.pipeline.build_mesh`) by default; with
``MESH_SERVICE_URL`` (+ ``MESH_SERVICE_TOKEN``) set, GenerateMesh sends that image as a
PNG to the mesh service (:mod:`spinelift.jobs.mesh_client`) and stores the mesh its
attachment describes (``overdraw`` against the alpha-threshold mask, before island/hole
policies). The service's engine errors are final like local ones; the
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
from dataclasses import dataclass, field
from typing import Any

import dramatiq

from spinelift.config import ServiceSettings
from spinelift.core.pipeline import build_mesh
from spinelift.core.settings import MeshSettings
from spinelift.errors import (
    DocumentError,
    EmptyDocumentError,
    InternalError,
    JobNotFoundError,
    MeshServiceUnavailableError,
    SpineLiftError,
)
from spinelift.io.image import read_image
from spinelift.io.layer_rig import document_record
from spinelift.io.psd.limits import DocumentBudget
from spinelift.jobs import project_export, project_runs
from spinelift.jobs.broker import make_broker, redis_client, require_redis_url
from spinelift.jobs.events import EventBus, layer_event
from spinelift.jobs.export_version import ExportVersion, canvas_of
from spinelift.jobs.lease import JobLease, heartbeat_every
from spinelift.jobs.mesh_client import MeshServiceClient, client_for
from spinelift.jobs.project_layers import (
    StoredLayer,
    document_layer,
    export_image,
    export_options,
    mesh_data,
)
from spinelift.jobs.project_runs import RunEnd
from spinelift.jobs.project_upload import StoredUpload, read_upload_document, store_layers
from spinelift.jobs.remote_mesh import MeshServiceDownError, remote_mesh
from spinelift.logs import configure_logging, log_context
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.blob_keys import export_key, player_files_key
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database, database_url_from_env
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, LayerStatus, ProjectStatus
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
ACTOR_BUILD_EXPORT = "spinelift_build_export"
KIND_ACTORS = {
    JobKind.PROCESS_PSD.value: ACTOR_PROCESS_PSD,
    JobKind.GENERATE_MESH.value: ACTOR_GENERATE_MESH,
    JobKind.BUILD_EXPORT.value: ACTOR_BUILD_EXPORT,
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
    budget: DocumentBudget = field(default_factory=DocumentBudget)
    """what one uploaded document may hold (checked before it is decoded)"""


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
        budget=DocumentBudget(
            settings.max_document_layers,
            settings.max_document_pixels,
            settings.max_layer_pixels,
        ),
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
    configure_logging(settings.log_level, settings.log_format)
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    deps = deps_from_settings(settings, broker)
    configure(deps)
    add_recovery(broker, deps, settings)


def declare_actors(broker: dramatiq.Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """The five actors on ``broker`` (declared once per broker), by actor name."""
    functions: dict[str, Callable[..., None]] = {
        ACTOR_PROCESS_PSD: process_psd,
        ACTOR_GENERATE_MESH: generate_mesh,
        ACTOR_BUILD_EXPORT: build_export,
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
        _project_event(deps, project_id, ProjectStatus.PROCESSING)
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


def build_export(job_id: str) -> None:
    """Actor body: store the export of the project's current version, end the run."""
    deps = current_deps()
    with log_context(job_id=job_id), _lease(deps, job_id):
        run_build_export(deps, job_id)


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
        uow.jobs.claim(job_id, message="Reading the document")
        project_id, attempts = job.project_id, job.attempts
        upload_id = int(job.payload.get("upload_id", 0))
        upload_ids = [int(i) for i in job.payload.get("upload_ids") or [upload_id]]
        owner_id = job.user_id
        uow.projects.set_status(project_id, ProjectStatus.PROCESSING)
        uploads = []
        for one in upload_ids:
            upload = uow.uploads.get(one)
            if upload is not None:
                uploads.append(StoredUpload(one, upload.blob_key, upload.filename))
    _project_event(deps, project_id, ProjectStatus.PROCESSING)
    try:
        if len(uploads) != len(upload_ids):
            raise DocumentError(f"upload {upload_id} is gone", details={"upload_id": upload_id})
        document = read_upload_document(deps.blobs, uploads, deps.budget)
        if not document.layers:
            raise EmptyDocumentError(f"{document.source_name}: no layer to mesh")
        mesh_jobs = store_layers(
            deps.db, deps.blobs, job_id, (project_id, upload_id, owner_id), document
        )
    except SpineLiftError as exc:
        _fail_job(deps, job_id, JobKind.PROCESS_PSD.value, exc.body())
        return
    except Exception as exc:
        _retry_or_fail(deps, job_id, JobKind.PROCESS_PSD.value, attempts, exc)
        return
    result = {**document_record(document), "layers": len(document.layers)}
    del document  # the layers' pixels are stored: free them before the run goes on
    with deps.db.unit(Actor.job(job_id)) as uow:
        # the job now waits for its run: completed with the project (project_runs)
        project_runs.mark_extracted(uow, job_id, result)
    for mesh_job_id, layer_id in mesh_jobs:
        _layer_event(deps, project_id, layer_id, LayerStatus.PENDING, 0, "Queued")
        _send(deps, ACTOR_GENERATE_MESH, mesh_job_id)


# --------------------------------------------------------------------------- GenerateMesh


def run_generate_mesh(deps: JobDeps, job_id: str) -> None:
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = uow.jobs.get(job_id)
        if job is None or job.status != JobStatus.QUEUED.value or job.layer_id is None:
            log.info("generate_mesh: nothing to do", extra={"status": job and job.status})
            return
        layer = uow.layers.get(job.layer_id)
        if layer is None:
            uow.jobs.fail(job_id, JobNotFoundError(f"layer {job.layer_id} is gone").body())
            return
        uow.jobs.claim(job_id, message="Meshing")
        attempts, layer_id, project_id = job.attempts, layer.id, layer.project_id
        uow.layers.set_status(layer_id, LayerStatus.PROCESSING)
        tuned = job.payload.get("parameters")  # a re-tune's, else the layer's own
        if tuned is None:
            tuned = dict(layer.parameters)
        defaults = dict(layer.project.parameters)
        stored = StoredLayer.of(layer)
        jobs = uow.jobs.list_for_project(project_id, limit=10_000)
        canvas = canvas_of(jobs) or (layer.x + layer.width, layer.y + layer.height)
    _layer_event(deps, project_id, layer_id, LayerStatus.PROCESSING, 0, "Meshing")
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
        return
    except SpineLiftError as exc:
        _fail_job(deps, job_id, JobKind.GENERATE_MESH.value, exc.body())
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
        project_runs.note_layer_done(uow, job_id)
        finished = _finish_project(deps, uow, project_id)
    figures = {k: data[k] for k in ("vertices", "hull", "triangles", "overdraw")}
    _layer_event(deps, project_id, layer_id, LayerStatus.COMPLETED, 100, "Done", mesh=figures)
    _project_finished(deps, project_id, finished)


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
        _fail_job(deps, job_id, JobKind.GENERATE_MESH.value, error.body())
        return
    retry_in = deps.mesh_client.breaker.retry_in() if deps.mesh_client is not None else 0.0
    delay = min(30.0, max(1.0, retry_in)) * random.uniform(1.0, 1.2)
    log.warning(
        "mesh service unavailable; job deferred",
        extra={"code": exc.details["cause"], "error": exc.message, "delay": round(delay, 2)},
    )
    if project_id is not None and layer_id is not None:
        _layer_event(
            deps, project_id, layer_id, LayerStatus.PENDING, 0, "Waiting for the mesh service"
        )
    _send(deps, ACTOR_GENERATE_MESH, job_id, delay=delay)


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


def _retry_or_fail(deps: JobDeps, job_id: str, kind: str, attempts: int, exc: Exception) -> None:
    """A crash: requeue and re-raise (Dramatiq retries), or fail for good at the limit."""
    log.exception("job crashed", extra={"attempt": attempts})
    # the exception's text stays in the log: it may name files, keys or hosts
    error = InternalError(
        f"the job failed unexpectedly (attempt {attempts}); the details are in the "
        f"server's log under job id {job_id}",
        details={"attempts": attempts},
    ).body()
    if attempts >= MAX_ATTEMPTS:
        _fail_job(deps, job_id, kind, error)
        return
    with deps.db.unit(Actor.job(job_id)) as uow:
        if uow.jobs.require(job_id).status == JobStatus.PROCESSING.value:
            uow.jobs.requeue(job_id, message=f"Retrying after: {error['message']}"[:500])
    raise exc


def _fail_job(deps: JobDeps, job_id: str, kind: str, error: Mapping[str, Any]) -> None:
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
            finished = project_runs.fail_run(uow, project_id, text, error)
        elif layer_id is not None:
            uow.layers.set_status(layer_id, LayerStatus.FAILED, error=text)
            project_runs.note_layer_done(uow, job_id)
            finished = _finish_project(deps, uow, project_id)
    log.info("job failed", extra={"code": error.get("code"), "error": error.get("message")})
    if kind == JobKind.PROCESS_PSD.value:
        _project_event(deps, project_id, ProjectStatus.FAILED, error=text)
        return
    if layer_id is not None:
        _layer_event(deps, project_id, layer_id, LayerStatus.FAILED, 0, "Failed", error=text)
    _project_finished(deps, project_id, finished)


def _finish_project(deps: JobDeps, uow: UnitOfWork, project_id: int) -> RunEnd | None:
    """:func:`project_runs.finish_project`, knowing which exports are stored."""
    return project_runs.finish_project(uow, project_id, lambda fp: _stored(deps, project_id, fp))


def _stored(deps: JobDeps, project_id: int, fingerprint: str) -> bool:
    """Whether the export of that version is stored (zip and player files)."""
    keys = (export_key(project_id, fingerprint), player_files_key(project_id, fingerprint))
    return all(deps.blobs.exists(key) for key in keys)


def _project_finished(deps: JobDeps, project_id: int, finished: RunEnd | None) -> None:
    """After the commit: send the run's BuildExport job, or announce its end."""
    if finished is None:
        return
    if finished.send_export is not None:
        send_job(deps, finished.send_export, JobKind.BUILD_EXPORT.value)
    if finished.status is not None:
        _project_event(deps, project_id, ProjectStatus(finished.status), error=finished.error)
    if finished.notify_id is not None:
        _send(deps, ACTOR_NOTIFY_PROJECT, finished.notify_id)


# --------------------------------------------------------------------------- BuildExport


def run_build_export(deps: JobDeps, job_id: str) -> None:
    """Store the export of the project's current version (once: a stored one is reused),
    then end the run if that is still the project's version."""
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = uow.jobs.get(job_id)
        if job is None or job.status != JobStatus.QUEUED.value or job.project_id is None:
            log.info("build_export: nothing to do", extra={"status": job and job.status})
            return
        uow.jobs.claim(job_id, message="Building the export")
        attempts, project_id, owner_id = job.attempts, job.project_id, job.user_id
    try:
        if owner_id is None:
            raise DocumentError(f"project {project_id} has no owner")
        version, stored = project_export.build_and_store(deps.db, deps.blobs, owner_id, project_id)
    except SpineLiftError as exc:
        _fail_job(deps, job_id, JobKind.BUILD_EXPORT.value, exc.body())
        return
    except Exception as exc:
        _retry_or_fail(deps, job_id, JobKind.BUILD_EXPORT.value, attempts, exc)
        return
    finished = _export_stored(deps, job_id, attempts, project_id, version, stored)
    _project_finished(deps, project_id, finished)


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
        return project_runs.complete_run(uow, project_id, version)


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
        current = project_runs.notify_job_id(project_id, started) if project else ""
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


# --------------------------------------------------------------------------- Cleanup

# Cleanup and the recovery pass live in their own module, which builds on this one; they
# are re-exported here, where the actors and the callers have always found them.
from spinelift.jobs.project_cleanup import resend_stale as resend_stale  # noqa: E402
from spinelift.jobs.project_cleanup import run_cleanup as run_cleanup  # noqa: E402
