"""One mesh per layer: the image a layer's mesh is made from is the image its export
writes, and the stored mesh is what the export ships.

A stored layer (its row and its PNG) becomes an :class:`~spinelift.io.document.Layer`
again (:func:`document_layer`); :func:`export_image` is
:func:`~spinelift.io.export_image.layer_export_image` of it under the project's
settings (tags in the layer's name applied, padding included), so GenerateMesh meshes
exactly the pixels ``spinelift convert`` would mesh for that layer. The mesh is stored
whole (:func:`mesh_record`: full-precision vertices, triangles, hull, edges, image
size) next to its Spine attachment, and the export hands it back to
:func:`~spinelift.io.export.export_document` (:func:`stored_mesh`) instead of meshing
again: the UI, the API and the downloaded zip show one mesh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinelift.core.mesh import Mesh
from spinelift.core.settings import MeshSettings
from spinelift.io.document import Layer
from spinelift.io.export_image import ExportImage, layer_export_image, layer_mesh_settings
from spinelift.io.export_options import ExportOptions
from spinelift.io.layer_rig import rig_fields
from spinelift.io.mesh_record import mesh_from_record, mesh_record
from spinelift.spine.attachment import mesh_attachment
from spinelift.storage.models import Layer as LayerRow

MESH_KEY = "mesh"
"""where :func:`mesh_record` is kept in a mesh row's data"""


@dataclass(frozen=True)
class StoredLayer:
    """What the jobs need of a layer row (read inside the session)."""

    id: int
    name: str
    x: int
    y: int
    opacity: float
    blend_mode: str
    visible: bool
    has_mask: bool
    image_key: str
    parameters: dict[str, Any]
    rig: dict[str, Any]

    @classmethod
    def of(cls, row: LayerRow) -> StoredLayer:
        return cls(
            row.id,
            row.name or f"layer_{row.id}",
            row.x,
            row.y,
            row.opacity,
            row.blend_mode,
            row.visible,
            row.has_mask,
            row.image_key or "",
            dict(row.parameters),
            dict(row.rig or {}),
        )


def document_layer(row: StoredLayer, rgba: npt.NDArray[np.uint8], index: int) -> Layer:
    """The document layer a stored layer and its pixels stand for."""
    name = row.name
    return Layer(
        name=name,
        rgba=rgba,
        left=row.x,
        top=row.y,
        opacity=row.opacity,
        blend_mode=row.blend_mode,
        psd_blend_mode=row.blend_mode,
        visible=row.visible,
        has_mask=row.has_mask,
        index=index,
        **rig_fields(row.rig, name),
    )


def export_options(layer_settings: dict[str, MeshSettings] | None = None) -> ExportOptions:
    """The options of the web app's export (one worker process: the job is the unit)."""
    return ExportOptions(layer_settings=dict(layer_settings or {}), workers=1)


def export_image(
    layer: Layer,
    settings: MeshSettings,
    canvas: tuple[int, int],
    tuned: Mapping[str, Any] | None = None,
) -> tuple[ExportImage, MeshSettings]:
    """The image the export writes for ``layer`` of a ``canvas`` (width, height) document
    and the settings to mesh it with: ``settings`` (the project's), the layer's name tags
    over them (as ``spinelift convert`` does), then ``tuned``, what the user set for this
    layer (a re-tune wins over the tags: it is the user's last word)."""
    options = export_options({layer.name: settings})
    effective = layer_mesh_settings(layer, options)
    if tuned:
        effective = MeshSettings.from_mapping({**effective.to_dict(), **dict(tuned)})
    return layer_export_image(layer, options, effective, canvas=canvas), effective


def mesh_data(
    mesh: Mesh, image: ExportImage, attachment: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A mesh row's data: the Spine attachment (what the API shows; ``attachment`` when
    the mesh service wrote it), the figures, the whole mesh (what the export ships) and
    where its image lies on the canvas."""
    return {
        "attachment": attachment if attachment is not None else mesh_attachment(mesh),
        "vertices": mesh.vertex_count,
        "hull": mesh.hull_count,
        "triangles": mesh.triangle_count,
        "overdraw": round(mesh.overdraw(), 6),
        "width": mesh.width,
        "height": mesh.height,
        "placement": {"left": image.left, "top": image.top, "pad": image.pad},
        MESH_KEY: mesh_record(mesh),
    }


def stored_mesh(data: Any) -> Mesh | None:
    """The mesh kept in a mesh row's ``data``; None for rows stored before meshes were
    kept whole (the export meshes those layers again)."""
    record = data.get(MESH_KEY) if isinstance(data, dict) else None
    if not isinstance(record, dict):
        return None
    return mesh_from_record(record)
