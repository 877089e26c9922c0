"""What the browser UI reads besides the core API (owner-scoped: 404 for others):

* ``GET /api/v1/mesh-parameters``: every mesh setting with its type, default and range;
* ``GET /api/v1/projects/{id}/scene``: canvas size and layers (figures, meshing time);
* ``GET /api/v1/projects/{id}/export/files``: the Spine export's skeleton, atlas and
  pages as ``data:`` URIs plus the document's viewport, for the in-page Spine player;
* ``POST /api/v1/projects/{id}/uploads/layers``: several PNGs as one layered upload.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from spinelift.http.deps import RequestIdDep
from spinelift.web import file_service, upload_service
from spinelift.web.deps import IdPath, RuntimeDep, UserIdDep
from spinelift.web.file_service import ExportFiles, ParameterOut, SceneOut
from spinelift.web.ratelimit import UploadLimit
from spinelift.web.schemas import Accepted

router = APIRouter(prefix="/api/v1", tags=["ui"])


@router.get("/mesh-parameters", summary="Every mesh setting: type, default, range or choices")
async def mesh_parameters(user_id: UserIdDep) -> list[ParameterOut]:
    del user_id  # the same for everyone, but only signed-in users need it
    return file_service.parameter_schema()


@router.get(
    "/projects/{project_id}/scene",
    summary="The project's canvas size and layers (with mesh figures and meshing time)",
)
async def scene(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> SceneOut:
    return await run_in_threadpool(file_service.scene, runtime, user_id, project_id)


@router.get(
    "/projects/{project_id}/export/files",
    summary="The Spine export's files as data URIs and the document viewport; 409 until completed",
)
async def export_files(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> ExportFiles:
    return await run_in_threadpool(file_service.export_files, runtime, user_id, project_id)


@router.post(
    "/projects/{project_id}/uploads/layers",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload several PNGs (multipart `files`) as one layered document",
    dependencies=[UploadLimit],  # the same per-user upload limit as /uploads
)
async def upload_layers(
    runtime: RuntimeDep,
    user_id: UserIdDep,
    request_id: RequestIdDep,
    project_id: IdPath,
    files: Annotated[list[UploadFile], File(description="PNG files, one layer each")],
) -> Accepted:
    limit = runtime.settings.max_upload_size
    read: list[tuple[str, bytes]] = []
    total = 0
    for upload in files:
        data = await run_in_threadpool(upload_service.read_limited, upload.file, limit - total)
        total += len(data)
        read.append((upload.filename or f"layer_{len(read) + 1}.png", data))
    return await run_in_threadpool(
        file_service.upload_pngs, runtime, user_id, project_id, read, request_id
    )
