"""Seed 000's ``POST /api/extract_layers``: a PSD's layers, always extracted by a worker.

Decoding a PSD and encoding its layers takes memory in proportion to the document (a
PSD of 8 full-canvas 4096 px layers: over a gigabyte), so the API process never does
it: every extraction is a job, under the document budget (``max_document_layers``,
``max_document_pixels``, checked before any layer is decoded). A PSD up to
``psd_sync_max_bytes`` sent without a ``job_id`` is still answered synchronously: the
route waits for its job (up to ``SYNC_WAIT`` seconds) and answers 200 with the layers,
or the job's error; a larger PSD, a request with a ``job_id``, or a job still running
after the wait gets 202 with the job's ``status_url``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from spinelift.http.deps import RequestIdDep
from spinelift.http.errors import error_response
from spinelift.jobs.mesh.submission import validate_job_id
from spinelift.service.deps import Authenticated, RuntimeDep
from spinelift.service.errors import error_from_job
from spinelift.service.mesh_routes import job_url
from spinelift.service.schemas import ERROR_RESPONSES, Accepted, LayersResponse
from spinelift.storage.job_status import FINAL, JobStatus
from spinelift.storage.job_store import JobRecord

router = APIRouter(prefix="/api", tags=["layers"], dependencies=[Authenticated])

SYNC_WAIT = 60.0
"""seconds a synchronous extraction waits for its job before answering 202"""


@router.post(
    "/extract_layers",
    response_model=LayersResponse,
    responses={
        202: {"model": Accepted, "description": "a large PSD: queued as a job"},
        **ERROR_RESPONSES,
    },
    summary="Extract a PSD's layers as base64 PNGs with their bounds",
)
async def extract(
    request: Request,
    runtime: RuntimeDep,
    request_id: RequestIdDep,
    psd_file: Annotated[UploadFile, File(description="the PSD or PSB")],
    project_id: Annotated[str | None, Form()] = None,
    callback_url: Annotated[str | None, Form()] = None,
    job_id: Annotated[str | None, Form()] = None,
) -> Any:
    """PSDs up to ``psd_sync_max_bytes`` are answered at once (200) once a worker has
    extracted them; larger ones, or requests with a ``job_id``, are queued (202 + job
    id; result at ``/api/v1/mesh/{job_id}/result``)."""
    if job_id:
        validate_job_id(job_id)
    settings = runtime.settings
    sync = not job_id and (psd_file.size or 0) <= settings.psd_sync_max_bytes
    data = await psd_file.read()
    sync = sync and len(data) <= settings.psd_sync_max_bytes
    submitted = await run_in_threadpool(
        runtime.submitter.submit_extract,
        data,
        callback_url=callback_url or None,
        job_id=job_id or None,
        request_id=request_id,
    )
    del data
    record = submitted.record
    if sync:
        record = await _wait(runtime, record, SYNC_WAIT)
        if record.status is JobStatus.COMPLETED:
            body = await run_in_threadpool(runtime.blobs.get, record.result_key)
            return Response(content=body, media_type="application/json")
        if record.status is JobStatus.FAILED:
            error = error_from_job(record.error)
            if error is not None:
                raise error
            failure = record.error or {}
            return error_response(
                500,
                str(failure.get("code", "INTERNAL_ERROR")),
                str(failure.get("message", "the extraction failed")),
                {"job_id": record.job_id, "request_id": request_id},
            )
    accepted = Accepted(
        job_id=record.job_id,
        status=record.status.value,
        estimated_time=submitted.estimated_time,
        status_url=job_url(request, "status", record.job_id),
    )
    return JSONResponse(accepted.model_dump(), status_code=202)


async def _wait(runtime: RuntimeDep, record: JobRecord, timeout: float) -> JobRecord:
    """The job's record once final, or as it stands after ``timeout`` seconds."""
    current = record

    async def finished() -> bool:
        nonlocal current
        current = await run_in_threadpool(runtime.store.get, record.job_id)
        return current.status in FINAL

    await runtime.waiter.wait(record.job_id, timeout, finished)
    return current
