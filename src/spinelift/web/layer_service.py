"""Layers of a project: list them with their latest mesh, read a mesh, tune and
regenerate one layer (only that layer: one GenerateMesh job), and the scene the UI
draws (canvas and layers with their figures and meshing time).

A layer's mesh is the one its export ships (made from the exported image, padding
included: :mod:`spinelift.jobs.projects.layers`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO

from pydantic import BaseModel

from spinelift.errors import NotFoundError
from spinelift.jobs.projects.enqueue import enqueue_generate_mesh
from spinelift.jobs.projects.events import mesh_figures
from spinelift.jobs.projects.export_version import canvas_of
from spinelift.storage.models import Job, Layer, Mesh
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web.project_service import require_project, validated_parameters
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import Accepted, LayerOut, MeshFigures, ProjectOut


class SceneLayer(LayerOut):
    mesh_ms: float | None
    """wall time of the job that made the latest mesh (claim to completion), ms"""


class SceneOut(BaseModel):
    """A project as the UI draws it: the canvas and every layer on it, back to front."""

    project: ProjectOut
    width: int
    height: int
    layers: list[SceneLayer]


def _figures(mesh: Mesh | None) -> MeshFigures | None:
    if mesh is None:
        return None
    return MeshFigures(
        version=mesh.version,
        job_id=mesh.job_id,
        parameters=mesh.parameters,
        figures=mesh_figures(mesh),
        created_at=mesh.created_at,
    )


def _layer_out(layer: Layer, mesh: Mesh | None) -> LayerOut:
    return LayerOut(
        id=layer.id,
        name=layer.name,
        position=layer.position,
        bounds=layer.bounds,
        opacity=layer.opacity,
        blend_mode=layer.blend_mode,
        visible=layer.visible,
        status=layer.status,
        error=layer.error,
        parameters=layer.parameters,
        mesh=_figures(mesh),
    )


def layer_out(layer: Layer, mesh: Mesh | None) -> LayerOut:
    """The API form of a layer row and its latest mesh."""
    return _layer_out(layer, mesh)


def require_layer(uow: UnitOfWork, owner_id: int, project_id: int, layer_id: int) -> Layer:
    layer = uow.layers.get_for_owner(owner_id, layer_id)
    if layer is None or layer.project_id != project_id:
        raise NotFoundError("no such layer", details={"layer_id": layer_id})
    return layer


def list_layers(runtime: WebRuntime, owner_id: int, project_id: int) -> list[LayerOut]:
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        require_project(uow, owner_id, project_id)
        return [_layer_out(i.layer, i.mesh) for i in uow.layers.list_with_meshes(project_id)]


def latest_mesh(runtime: WebRuntime, owner_id: int, project_id: int, layer_id: int) -> Any:
    """The latest mesh of the layer as Spine attachment JSON; 404 before the first."""
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        require_layer(uow, owner_id, project_id, layer_id)
        mesh = uow.meshes.latest(layer_id)
        if mesh is None:
            raise NotFoundError("the layer has no mesh yet", details={"layer_id": layer_id})
        return attachment_of(mesh)


def attachment_of(mesh: Mesh) -> Any:
    """The Spine attachment stored with the mesh (``data["attachment"]``, else the data)."""
    data = mesh.data
    return data.get("attachment", data)


def regenerate(
    runtime: WebRuntime,
    owner_id: int,
    project_id: int,
    layer_id: int,
    parameters: dict[str, Any],
    request_id: str,
) -> Accepted:
    """Store the layer's new parameters (validated) and queue its mesh job."""
    checked = validated_parameters(parameters)
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        project = require_project(uow, owner_id, project_id)
        require_layer(uow, owner_id, project_id, layer_id)
        validated_parameters({**project.parameters, **checked})
        uow.layers.set_parameters(layer_id, checked)
        uow.audit.record(None, "layer.regenerate", ("layer", layer_id), after=checked)
    job_id = enqueue_generate_mesh(
        runtime.jobs,
        owner_id=owner_id,
        project_id=project_id,
        layer_id=layer_id,
        parameters=checked,
        request_id=request_id,
    )
    return Accepted(job_id=job_id, layer_id=layer_id)


def layer_image(runtime: WebRuntime, owner_id: int, project_id: int, layer_id: int) -> BinaryIO:
    """A stream of the layer's PNG as extracted from the upload (its own pixels, before
    meshing): the route streams it, never holding it whole."""
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        key = require_layer(uow, owner_id, project_id, layer_id).image_key
    try:
        if key:
            return runtime.blobs.open(key)
    except KeyError:
        pass
    raise NotFoundError("the layer has no image", details={"layer_id": layer_id})


def _milliseconds(job: Job | None) -> float | None:
    if job is None or job.started_at is None or job.finished_at is None:
        return None
    return round((job.finished_at - job.started_at).total_seconds() * 1000.0, 1)


def _layers_box(layers: Sequence[LayerOut]) -> tuple[int, int]:
    width = max((layer.bounds["x"] + layer.bounds["width"] for layer in layers), default=0)
    height = max((layer.bounds["y"] + layer.bounds["height"] for layer in layers), default=0)
    return int(width), int(height)


def scene(runtime: WebRuntime, owner_id: int, project_id: int) -> SceneOut:
    """The canvas (the document's size as read, else the layers' box) and the layers."""
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        project = require_project(uow, owner_id, project_id)
        jobs = uow.jobs.list_for_project(project_id, limit=10_000)
        by_id = {job.job_id: job for job in jobs}
        layers = [
            SceneLayer(
                **layer_out(item.layer, item.mesh).model_dump(),
                mesh_ms=_milliseconds(by_id.get(item.mesh.job_id or "") if item.mesh else None),
            )
            for item in uow.layers.list_with_meshes(project_id)
        ]
        width, height = canvas_of(jobs) or _layers_box(layers)
        return SceneOut(
            project=ProjectOut.model_validate(project), width=width, height=height, layers=layers
        )
