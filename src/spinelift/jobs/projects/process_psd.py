"""ProcessPsd: read an upload (within the document budget), store its layers, queue a
GenerateMesh job per layer; the job then waits for its run (:mod:`.runs`) while its
worker meshes the layers too (:mod:`.inline`)."""

from __future__ import annotations

import logging

from spinelift.errors import (
    DocumentError,
    EmptyDocumentError,
    SpineLiftError,
)
from spinelift.io.layer_rig import document_record
from spinelift.jobs.projects import runs
from spinelift.jobs.projects.claim import queued_job
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.events import announce_layer, announce_project
from spinelift.jobs.projects.failure import fail_job, retry_or_fail
from spinelift.jobs.projects.messages import (
    ACTOR_GENERATE_MESH,
    send,
)
from spinelift.jobs.projects.upload import StoredUpload, read_upload_document, store_layers
from spinelift.storage.models import JobKind, LayerStatus, ProjectStatus
from spinelift.storage.repositories import Actor

log = logging.getLogger(__name__)


def run_process_psd(deps: JobDeps, job_id: str) -> list[str]:
    """Read the upload, store its layers, queue and send their GenerateMesh jobs; the ids
    of the jobs sent (the actor meshes them in-line: :mod:`.inline`)."""
    with deps.db.unit(Actor.job(job_id)) as uow:
        job = queued_job(uow, job_id, "process_psd", "project_id")
        if job is None or job.project_id is None:
            return []
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
    announce_project(deps.events, project_id, ProjectStatus.PROCESSING)
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
        fail_job(deps, job_id, JobKind.PROCESS_PSD.value, exc.body())
        return []
    except Exception as exc:
        retry_or_fail(deps, job_id, JobKind.PROCESS_PSD.value, attempts, exc)
        return []
    result = {**document_record(document), "layers": len(document.layers)}
    del document  # the layers' pixels are stored: free them before the run goes on
    with deps.db.unit(Actor.job(job_id)) as uow:
        # the job now waits for its run: completed with the project (runs)
        runs.mark_extracted(uow, job_id, result)
    for mesh_job_id, layer_id in mesh_jobs:
        announce_layer(deps.events, project_id, layer_id, LayerStatus.PENDING, 0, "Queued")
        send(deps, ACTOR_GENERATE_MESH, mesh_job_id)
    return [mesh_job_id for mesh_job_id, _ in mesh_jobs]
