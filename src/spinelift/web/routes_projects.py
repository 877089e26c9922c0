"""``/api/v1/projects``: CRUD, uploads and the Spine export (owner-scoped: 404 for others)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from spinelift.http.deps import RequestIdDep
from spinelift.web import project_service, upload_service
from spinelift.web.deps import MAX_ID, IdPath, RuntimeDep, UserIdDep
from spinelift.web.ratelimit import DownloadLimit, UploadLimit
from spinelift.web.routes_files import chunks
from spinelift.web.schemas import Accepted, ProjectCreate, ProjectList, ProjectOut, ProjectUpdate

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a project")
async def create(runtime: RuntimeDep, user_id: UserIdDep, body: ProjectCreate) -> ProjectOut:
    return await run_in_threadpool(project_service.create, runtime, user_id, body)


@router.get("", summary="The user's projects, newest first")
async def list_projects(
    runtime: RuntimeDep,
    user_id: UserIdDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ProjectList:
    return await run_in_threadpool(project_service.list_projects, runtime, user_id, limit, offset)


@router.get("/{project_id}", summary="One project")
async def get(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> ProjectOut:
    return await run_in_threadpool(project_service.get, runtime, user_id, project_id)


@router.patch("/{project_id}", summary="Rename, describe or set default mesh parameters")
async def update(
    runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath, body: ProjectUpdate
) -> ProjectOut:
    return await run_in_threadpool(project_service.update, runtime, user_id, project_id, body)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a project")
async def delete(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> Response:
    await run_in_threadpool(project_service.delete, runtime, user_id, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{project_id}/uploads",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload a PSD/PSB or PNG (sniffed by content) and queue its processing",
    dependencies=[UploadLimit],
    responses={429: {"description": "too many uploads (RATE_LIMITED, Retry-After)"}},
)
async def upload(
    runtime: RuntimeDep,
    user_id: UserIdDep,
    request_id: RequestIdDep,
    project_id: IdPath,
    file: Annotated[UploadFile, File(description="a PSD, PSB or PNG file")],
) -> Accepted:
    return await run_in_threadpool(
        upload_service.upload,
        runtime,
        user_id,
        project_id,
        file.file,
        file.filename or "upload",
        request_id,
    )


@router.get(
    "/{project_id}/export",
    summary="The Spine export (skeleton JSON, atlas, pages) as a zip; 409 until completed",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
    dependencies=[DownloadLimit],
)
async def export(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> Response:
    # stored once per project version by a worker, streamed here (never built here)
    stream = await run_in_threadpool(project_service.open_export, runtime, user_id, project_id)
    return StreamingResponse(
        chunks(stream),
        media_type="application/zip",
        # the id, never the user's project name, names the file
        headers={"Content-Disposition": f'attachment; filename="project-{project_id}.zip"'},
    )
