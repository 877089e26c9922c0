"""What the browser UI reads besides the core API (owner-scoped: 404 for others):

* ``GET /api/v1/mesh-parameters``: every mesh setting with its type, default and range;
* ``GET /api/v1/projects/{id}/scene``: canvas size and layers (figures, meshing time);
* ``GET /api/v1/projects/{id}/export/files``: the Spine export's skeleton, atlas and
  pages as ``data:`` URIs plus the document's viewport, for the in-page Spine player
  (stored by the export job with the zip, streamed as stored);
* ``POST /api/v1/projects/{id}/uploads/layers``: several PNGs as one layered upload.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from spinelift.http.deps import RequestIdDep
from spinelift.storage.blobs import CHUNK
from spinelift.web import layer_service, project_service, upload_service
from spinelift.web.deps import IdPath, RuntimeDep, UserIdDep
from spinelift.web.layer_service import SceneOut
from spinelift.web.project_service import ExportFiles, ParameterOut
from spinelift.web.ratelimit import DownloadLimit, UploadLimit
from spinelift.web.schemas import Accepted

router = APIRouter(prefix="/api/v1", tags=["ui"])


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """A stored blob, :data:`~spinelift.storage.blobs.CHUNK` bytes at a time, closed at
    the end (Starlette iterates it in its thread pool)."""
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


@router.get("/mesh-parameters", summary="Every mesh setting: type, default, range or choices")
async def mesh_parameters(user_id: UserIdDep) -> list[ParameterOut]:
    del user_id  # the same for everyone, but only signed-in users need it
    return project_service.parameter_schema()


@router.get(
    "/projects/{project_id}/scene",
    summary="The project's canvas size and layers (with mesh figures and meshing time)",
)
async def scene(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> SceneOut:
    return await run_in_threadpool(layer_service.scene, runtime, user_id, project_id)


@router.get(
    "/projects/{project_id}/export/files",
    summary="The Spine export's files as data URIs and the document viewport; 409 until completed",
    response_class=StreamingResponse,
    responses={200: {"model": ExportFiles, "content": {"application/json": {}}}},
    dependencies=[DownloadLimit],
)
async def export_files(
    runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath
) -> StreamingResponse:
    stream = await run_in_threadpool(
        project_service.open_export, runtime, user_id, project_id, player_files=True
    )
    return StreamingResponse(chunks(stream), media_type="application/json")


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
    named = [
        (upload.filename or f"layer_{k}.png", upload.file) for k, upload in enumerate(files, 1)
    ]
    return await run_in_threadpool(
        upload_service.upload_pngs, runtime, user_id, project_id, named, request_id
    )
