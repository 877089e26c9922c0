"""Seed 000's ``POST /api/extract_layers``: a PSD's layers; big PSDs become a job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from spinelift.http.deps import RequestIdDep
from spinelift.jobs.layers_task import extract_layers
from spinelift.service.deps import Authenticated, RuntimeDep
from spinelift.service.schemas import ERROR_RESPONSES, Accepted, LayersResponse

router = APIRouter(prefix="/api", tags=["layers"], dependencies=[Authenticated])


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
    """PSDs up to ``psd_sync_max_bytes`` are answered at once (200); larger ones are
    queued (202 + job id; result at ``/api/v1/mesh/{job_id}/result``)."""
    data = await psd_file.read()
    settings = runtime.settings
    if len(data) <= settings.psd_sync_max_bytes and not job_id:
        name = psd_file.filename or "upload.psd"
        return await run_in_threadpool(extract_layers, data, settings, name)
    submitted = await run_in_threadpool(
        runtime.submitter.submit_extract,
        data,
        callback_url=callback_url or None,
        job_id=job_id or None,
        request_id=request_id,
    )
    record = submitted.record
    body = Accepted(
        job_id=record.job_id,
        status=record.status.value,
        estimated_time=submitted.estimated_time,
        status_url=str(request.url_for("status", job_id=record.job_id)),
    )
    return JSONResponse(body.model_dump(), status_code=202)
