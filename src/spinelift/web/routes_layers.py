"""``/api/v1/projects/{id}/layers``: list, read a mesh, tune and regenerate one layer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from spinelift.http.deps import RequestIdDep
from spinelift.web import layer_service
from spinelift.web.deps import IdPath, RuntimeDep, UserIdDep
from spinelift.web.routes_files import chunks
from spinelift.web.schemas import Accepted, LayerOut, LayerPatch

router = APIRouter(prefix="/api/v1/projects/{project_id}/layers", tags=["layers"])


@router.get("", summary="The project's layers with their latest mesh figures")
async def list_layers(
    runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath
) -> list[LayerOut]:
    return await run_in_threadpool(layer_service.list_layers, runtime, user_id, project_id)


@router.get("/{layer_id}/mesh", summary="The layer's latest mesh as a Spine attachment")
async def mesh(
    runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath, layer_id: IdPath
) -> Any:
    return await run_in_threadpool(
        layer_service.latest_mesh, runtime, user_id, project_id, layer_id
    )


@router.get(
    "/{layer_id}/image",
    summary="The layer's PNG (its own pixels, placed at its bounds on the canvas)",
    response_class=StreamingResponse,
    responses={200: {"content": {"image/png": {}}}},
)
async def image(
    runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath, layer_id: IdPath
) -> Response:
    stream = await run_in_threadpool(
        layer_service.layer_image, runtime, user_id, project_id, layer_id
    )
    # a layer id always names the same pixels (a new upload makes new layers)
    return StreamingResponse(
        chunks(stream), media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.patch(
    "/{layer_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Set the layer's mesh parameters and regenerate that layer only",
)
async def regenerate(
    runtime: RuntimeDep,
    user_id: UserIdDep,
    request_id: RequestIdDep,
    project_id: IdPath,
    layer_id: IdPath,
    body: LayerPatch,
) -> Accepted:
    return await run_in_threadpool(
        layer_service.regenerate,
        runtime,
        user_id,
        project_id,
        layer_id,
        body.parameters,
        request_id,
    )
