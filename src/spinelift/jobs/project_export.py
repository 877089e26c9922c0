"""A project's Spine export (zip) rebuilt from the database and the blob store.

The layers' PNGs, positions, opacity, blend modes and rig records (groups and
``[tags]``: bones, slots, skins, folders) become a
:class:`~spinelift.io.document.Document` again, and :func:`spinelift.io.export.
export_document` writes the Spine project. Each layer is meshed again with the
parameters of its latest stored mesh (meshing is deterministic: same pixels and
settings, same mesh), so the export matches what the user inspected without a second
code path for placing precomputed meshes. Failed layers are left out.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spinelift.core.settings import MeshSettings
from spinelift.errors import EmptyDocumentError, JobNotFoundError
from spinelift.io.document import Document, Layer
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.image import read_image
from spinelift.io.layer_rig import rig_fields
from spinelift.spine.paths import safe_path
from spinelift.storage.models import JobKind, JobStatus, LayerStatus
from spinelift.storage.models import Layer as LayerRow
from spinelift.storage.repositories import Actor, UnitOfWork

if TYPE_CHECKING:
    from spinelift.jobs.project_jobs import JobDeps


@dataclass(frozen=True)
class _LayerRow:
    """What the export needs of a layer row (read inside the session)."""

    id: int
    name: str
    x: int
    y: int
    width: int
    height: int
    opacity: float
    blend_mode: str
    visible: bool
    has_mask: bool
    image_key: str
    parameters: dict[str, Any]
    rig: dict[str, Any]

    @classmethod
    def of(cls, layer: LayerRow) -> _LayerRow:
        return cls(
            layer.id,
            layer.name,
            layer.x,
            layer.y,
            layer.width,
            layer.height,
            layer.opacity,
            layer.blend_mode,
            layer.visible,
            layer.has_mask,
            layer.image_key or "",
            dict(layer.parameters),
            dict(layer.rig or {}),
        )


def build_export_zip(deps: JobDeps, owner_id: int, project_id: int) -> bytes:
    """The Spine project zip (skeleton JSON, atlas + pages, preview) of the owner's project.

    Raises :class:`JobNotFoundError` when the project is absent or another user's, and
    :class:`EmptyDocumentError` when it has no layer to export.
    """
    with deps.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        project = uow.projects.get(owner_id, project_id)
        if project is None:
            raise JobNotFoundError(f"no project {project_id}", details={"project_id": project_id})
        name, defaults = project.name, dict(project.parameters)
        canvas: dict[str, Any] = {}
        for job in uow.jobs.list_for_project(project_id, limit=10_000):  # newest first
            done = job.status == JobStatus.COMPLETED.value and job.result
            if job.kind == JobKind.PROCESS_PSD.value and done:
                canvas = dict(job.result or {})
                break
        rows = [
            (_LayerRow.of(item.layer), dict(item.mesh.parameters) if item.mesh else None)
            for item in uow.layers.list_with_meshes(project_id)
            if item.layer.status != LayerStatus.FAILED.value and item.layer.image_key
        ]
    layers: list[Layer] = []
    layer_settings: dict[str, MeshSettings] = {}
    for index, (row, mesh_parameters) in enumerate(rows):
        rgba = read_image(deps.blobs.get(row.image_key))
        layer_name = row.name or f"layer_{row.id}"
        layers.append(
            Layer(
                name=layer_name,
                rgba=rgba,
                left=row.x,
                top=row.y,
                opacity=row.opacity,
                blend_mode=row.blend_mode,
                psd_blend_mode=row.blend_mode,
                visible=row.visible,
                has_mask=row.has_mask,
                index=index,
                **rig_fields(row.rig, layer_name),
            )
        )
        parameters = mesh_parameters or {**defaults, **row.parameters}
        layer_settings[layer_name] = MeshSettings.from_mapping(parameters)
    if not layers:
        raise EmptyDocumentError(f"project {name!r}: no layer to export")
    width = int(canvas.get("width") or max(r.x + r.width for r, _ in rows))
    height = int(canvas.get("height") or max(r.y + r.height for r, _ in rows))
    stem = safe_path(name, fallback="project").replace("/", "_")
    document = Document(width, height, tuple(layers), source_name=f"{stem}.psd")
    options = ExportOptions(layer_settings=layer_settings, workers=1)
    with tempfile.TemporaryDirectory(prefix="spinelift-export-") as folder:
        output = Path(folder) / f"{stem}.zip"
        export_document(document, output, options)
        return output.read_bytes()
