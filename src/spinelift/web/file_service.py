"""What the browser UI reads besides the core API: a project's scene (canvas size, layers
with their figures and meshing time), the Spine export's files for the in-page Spine
player, the mesh parameters' schema, and several PNGs uploaded as one layered document.

Everything here is owner-scoped like the rest of the API: another user's project is
:class:`~spinelift.web.errors.NotFoundError` (404), never a 403.
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Sequence
from dataclasses import fields
from enum import Enum
from pathlib import PurePosixPath
from typing import Any

from PIL import Image
from psd_tools import PSDImage
from pydantic import BaseModel

from spinelift.core.settings import MeshSettings, parameter_ranges
from spinelift.errors import InvalidParametersError
from spinelift.io.export import ExportOptions
from spinelift.io.png_document import PNG_SIGNATURE, read_png_bytes
from spinelift.storage.models import Job, JobKind, JobStatus
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web import project_service, upload_service
from spinelift.web.layer_service import layer_out
from spinelift.web.project_service import require_project
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import Accepted, LayerOut, ProjectOut

MAX_PNG_FILES = 200
"""most PNG files one layered upload may hold"""


class SceneLayer(LayerOut):
    mesh_ms: float | None
    """wall time of the job that made the latest mesh (claim to completion), ms"""


class SceneOut(BaseModel):
    """A project as the UI draws it: the canvas and every layer on it, back to front."""

    project: ProjectOut
    width: int
    height: int
    layers: list[SceneLayer]


class Viewport(BaseModel):
    """The document canvas in skeleton coordinates (y up), for the Spine player."""

    x: float
    y: float
    width: float
    height: float


class ExportFiles(BaseModel):
    """The Spine export's files as ``data:`` URIs (the player's ``rawDataURIs``)."""

    skeleton: str
    atlas: str
    files: dict[str, str]
    viewport: Viewport
    width: int
    height: int


class ParameterOut(BaseModel):
    name: str
    type: str
    """``int``, ``float``, ``bool`` or ``choice``"""
    default: Any
    min: int | float | None = None
    max: int | float | None = None
    choices: list[str] | None = None


# --------------------------------------------------------------------------- scene


def _canvas(jobs: Sequence[Job], layers: Sequence[LayerOut]) -> tuple[int, int]:
    """The document size from the newest completed ProcessPsd job (as the export does),
    else the box of the layers."""
    for job in jobs:  # newest first
        if job.kind == JobKind.PROCESS_PSD.value and job.status == JobStatus.COMPLETED.value:
            result = job.result or {}
            if result.get("width") and result.get("height"):
                return int(result["width"]), int(result["height"])
    width = max((layer.bounds["x"] + layer.bounds["width"] for layer in layers), default=0)
    height = max((layer.bounds["y"] + layer.bounds["height"] for layer in layers), default=0)
    return int(width), int(height)


def _milliseconds(job: Job | None) -> float | None:
    if job is None or job.started_at is None or job.finished_at is None:
        return None
    return round((job.finished_at - job.started_at).total_seconds() * 1000.0, 1)


def scene(runtime: WebRuntime, owner_id: int, project_id: int) -> SceneOut:
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
        width, height = _canvas(jobs, layers)
        return SceneOut(
            project=ProjectOut.model_validate(project), width=width, height=height, layers=layers
        )


# --------------------------------------------------------------------------- export files

_TYPES = {".json": "application/json", ".atlas": "text/plain", ".png": "image/png"}


def export_files(runtime: WebRuntime, owner_id: int, project_id: int) -> ExportFiles:
    """The export zip's skeleton, atlas and pages as data URIs, and the document's canvas
    in skeleton space (the export's origin), so the player frames it like the PSD.
    409 ``CONFLICT`` until the project is completed, like the zip itself."""
    data = project_service.export_zip(runtime, owner_id, project_id)
    files: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            path = PurePosixPath(name)
            kind = _TYPES.get(path.suffix.lower())
            if kind is None or name == "preview.png" or name.endswith("/"):
                continue
            encoded = base64.b64encode(archive.read(name)).decode("ascii")
            files[name] = f"data:{kind};base64,{encoded}"
    skeleton = _only(files, ".json")
    atlas = _only(files, ".atlas")
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        jobs = uow.jobs.list_for_project(project_id, limit=10_000)
        layers = [layer_out(i.layer, i.mesh) for i in uow.layers.list_with_meshes(project_id)]
        width, height = _canvas(jobs, layers)
    ox, oy = ExportOptions().origin.point(width, height)
    viewport = Viewport(x=-ox, y=oy - height, width=width, height=height)
    return ExportFiles(
        skeleton=skeleton, atlas=atlas, files=files, viewport=viewport, width=width, height=height
    )


def _only(files: dict[str, str], suffix: str) -> str:
    found = sorted(name for name in files if name.lower().endswith(suffix))
    if len(found) != 1:
        raise RuntimeError(f"the export holds {len(found)} {suffix} files: {found}")
    return found[0]


# --------------------------------------------------------------------------- parameters


def parameter_schema() -> list[ParameterOut]:
    """Every mesh setting: type, default, inclusive range or choices (MeshSettings')."""
    ranges = parameter_ranges()
    settings = MeshSettings()
    defaults = settings.to_dict()
    out: list[ParameterOut] = []
    for f in fields(MeshSettings):
        default, value = defaults[f.name], getattr(settings, f.name)
        if f.name in ranges:
            low, high = ranges[f.name]
            if isinstance(value, int) and not isinstance(value, bool):
                out.append(
                    ParameterOut(
                        name=f.name, type="int", default=default, min=int(low), max=int(high)
                    )
                )
            else:
                out.append(
                    ParameterOut(name=f.name, type="float", default=default, min=low, max=high)
                )
        elif isinstance(value, Enum):
            choices = [str(member.value) for member in type(value)]
            out.append(ParameterOut(name=f.name, type="choice", default=default, choices=choices))
        else:
            out.append(ParameterOut(name=f.name, type="bool", default=default))
    return out


# --------------------------------------------------------------------------- PNG layers


def upload_pngs(
    runtime: WebRuntime,
    owner_id: int,
    project_id: int,
    files: Sequence[tuple[str, bytes]],
    request_id: str,
) -> Accepted:
    """Several PNGs as one layered upload: a PSD with one pixel layer per PNG, stacked in
    file-name order (the first at the bottom), each trimmed to its visible pixels with its
    place on the canvas kept (PNGs of the canvas size keep their position; the canvas is
    the largest image), exactly as ``spinelift convert`` reads a folder of PNGs. Then it
    is processed like any PSD upload."""
    if not files:
        raise InvalidParametersError("no PNG file", details={"fields": {"files": "required"}})
    if len(files) > MAX_PNG_FILES:
        raise InvalidParametersError(
            f"at most {MAX_PNG_FILES} PNG files per upload",
            details={"fields": {"files": f"{len(files)} files"}},
        )
    with runtime.db.session(readonly=True) as session:
        require_project(UnitOfWork(session, Actor.user(owner_id)), owner_id, project_id)
    placed = []
    for name, data in sorted(files, key=lambda item: item[0]):
        if not data.startswith(PNG_SIGNATURE):
            upload_service.sniff(data[:32])  # says what it is instead (422)
            raise InvalidParametersError(
                f"{name!r} is not a PNG: send a PSD on its own",
                details={"fields": {"files": "PNG files only"}},
            )
        document = read_png_bytes(data, name=name or "layer.png")
        placed.append(document)
    width = max(document.width for document in placed)
    height = max(document.height for document in placed)
    psd = PSDImage.new("RGBA", (width, height), color=(0, 0, 0, 0))
    for document in placed:
        for layer in document.layers:
            image = Image.fromarray(layer.rgba, "RGBA")
            psd.create_pixel_layer(image, name=layer.raw_name, top=layer.top, left=layer.left)
    if not any(document.layers for document in placed):
        raise InvalidParametersError(
            "the PNG files have no visible pixel", details={"fields": {"files": "empty"}}
        )
    buffer = io.BytesIO()
    psd.save(buffer)
    buffer.seek(0)
    return upload_service.upload(runtime, owner_id, project_id, buffer, "layers.psd", request_id)
