"""Seed 004's mesh API: generate (202 + job id), status, result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from spinelift.errors import JobNotReadyError
from spinelift.http.deps import RequestIdDep
from spinelift.jobs.mesh.submission import Submitted, validate_job_id
from spinelift.service.deps import Authenticated, RuntimeDep
from spinelift.service.generate_input import read_generate_request
from spinelift.service.schemas import (
    ERROR_RESPONSES,
    Accepted,
    GenerateJson,
    JobStatusResponse,
)
from spinelift.storage.job_status import FINAL, JobStatus
from spinelift.storage.job_store import JobRecord

router = APIRouter(prefix="/api/v1/mesh", tags=["mesh"], dependencies=[Authenticated])

_MULTIPART = {
    "type": "object",
    "properties": {
        "image": {"type": "string", "format": "binary"},
        "parameters": {"type": "string", "description": "MeshParameters as JSON text"},
        "callback_url": {"type": "string"},
        "job_id": {"type": "string"},
    },
    "required": ["image"],
}
_GENERATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/GenerateJson"}},
            "multipart/form-data": {"schema": _MULTIPART},
        },
    }
}


@router.post(
    "/generate",
    status_code=202,
    response_model=Accepted,
    responses=ERROR_RESPONSES,
    openapi_extra=_GENERATE_BODY,
    summary="Queue a mesh job for an uploaded image or an image URL",
)
async def generate(request: Request, runtime: RuntimeDep, request_id: RequestIdDep) -> Accepted:
    """Answers 202 at once; the same ``job_id`` twice is one job; a result already made
    for the same pixels and parameters answers ``completed`` with ``cached: true``."""
    mesh_request = await read_generate_request(
        request, request_id, runtime.settings.max_request_size
    )
    submitted = await run_in_threadpool(runtime.submitter.submit_mesh, mesh_request)
    _count(runtime, submitted)
    return _accepted(request, submitted)


@router.get(
    "/{job_id}/status",
    response_model=JobStatusResponse,
    responses=ERROR_RESPONSES,
    summary="A job's status, progress and error",
)
async def status(
    job_id: str,
    request: Request,
    runtime: RuntimeDep,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=60,
            description="long poll: answer when the job finishes or after this many seconds",
        ),
    ] = 0,
) -> JobStatusResponse:
    validate_job_id(job_id)
    record = await run_in_threadpool(runtime.store.get, job_id)
    if wait and record.status not in FINAL:

        async def finished() -> bool:
            nonlocal record
            record = await run_in_threadpool(runtime.store.get, job_id)
            return record.status in FINAL

        await runtime.waiter.wait(job_id, wait, finished)
    return status_body(request, record)


@router.get(
    "/{job_id}/result",
    responses={
        200: {"description": "the Spine mesh attachment (or extracted layers) JSON"},
        **ERROR_RESPONSES,
    },
    summary="A completed job's result: the Spine mesh attachment JSON",
)
async def result(job_id: str, runtime: RuntimeDep) -> Response:
    validate_job_id(job_id)
    record = await run_in_threadpool(runtime.store.get, job_id)
    if record.status is not JobStatus.COMPLETED:
        details: dict[str, Any] = {"job_id": job_id, "status": record.status.value}
        if record.error:
            details["error"] = record.error
        raise JobNotReadyError(f"job {job_id} is {record.status.value}", details=details)
    data = await run_in_threadpool(runtime.blobs.get, record.result_key)
    return Response(content=data, media_type="application/json")


def job_url(request: Request, route: str, job_id: str) -> str:
    """The absolute URL of a job's ``status`` or ``result`` route: the configured
    ``service_url`` (else ``http://<host>:<port>`` the service listens on), never the
    request's Host header, which the client chooses."""
    settings = request.app.state.runtime.settings
    base = settings.service_url
    if not base:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        host = f"[{host}]" if ":" in host else host
        base = f"http://{host}:{settings.port}"
    return str(base).rstrip("/") + str(request.app.url_path_for(route, job_id=job_id))


def status_body(request: Request, record: JobRecord) -> JobStatusResponse:
    completed = record.status is JobStatus.COMPLETED
    return JobStatusResponse(
        job_id=record.job_id,
        kind=record.kind,
        status=record.status.value,
        progress=record.progress,
        message=record.message,
        error=record.error,  # type: ignore[arg-type]  # validated into ErrorBody
        result_url=job_url(request, "result", record.job_id) if completed else None,
        cached=record.cached,
        attempts=record.attempts,
        created_at=record.created_at,
        started_at=record.started_at or None,
        finished_at=record.finished_at or None,
    )


def _accepted(request: Request, submitted: Submitted) -> Accepted:
    record = submitted.record
    return Accepted(
        job_id=record.job_id,
        status=record.status.value,
        estimated_time=submitted.estimated_time,
        cached=record.cached,
        status_url=job_url(request, "status", record.job_id),
    )


def _count(runtime: RuntimeDep, submitted: Submitted) -> None:
    outcome = (
        "existing" if not submitted.created else "cached" if submitted.record.cached else "created"
    )
    runtime.metrics.submitted.labels(submitted.record.kind, outcome).inc()


__all__ = ["GenerateJson", "router", "status_body"]
