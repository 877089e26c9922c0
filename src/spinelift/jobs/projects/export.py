"""A project's Spine export, built once per version in a worker and stored as blobs.

The layers' PNGs, positions, opacity, blend modes and rig records (groups and
``[tags]``: bones, slots, skins, folders) become a
:class:`~spinelift.io.document.Document` again, and
:func:`spinelift.io.export.export_document` writes the Spine project with each layer's
STORED mesh (``meshes=``: made by GenerateMesh from the very image the export writes,
see :mod:`spinelift.jobs.projects.layers`); a layer is meshed again only when its mesh
row predates whole stored meshes. Failed layers are left out.

Two blobs per version (:mod:`spinelift.storage.blob_keys`): the zip, streamed to every
download, and the player files (skeleton, atlas and pages as ``data:`` URIs plus the
document's viewport, one JSON document) streamed to the UI's Spine player, so the API
never builds, unzips or encodes anything. Older versions' blobs are deleted once a
newer one is stored.
"""

from __future__ import annotations

import base64
import json
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from spinelift.core.mesh import Mesh
from spinelift.core.settings import MeshSettings
from spinelift.errors import EmptyDocumentError, JobNotFoundError
from spinelift.io.document import Document, Layer
from spinelift.io.export import export_document
from spinelift.io.image import read_image
from spinelift.io.rig import origin_point
from spinelift.jobs.projects.export_version import ExportVersion, current_version, exported_items
from spinelift.jobs.projects.layers import (
    StoredLayer,
    document_layer,
    export_image,
    export_options,
    stored_mesh,
)
from spinelift.spine.paths import safe_path
from spinelift.storage.blob_keys import export_key, export_prefix, player_files_key
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database
from spinelift.storage.repositories import Actor, UnitOfWork

_TYPES = {".json": "application/json", ".atlas": "text/plain", ".png": "image/png"}


def export_stem(name: str) -> str:
    """The export's file stem from the project's name (safe, one path segment)."""
    return safe_path(name, fallback="project").replace("/", "_")


def build_and_store(
    db: Database, blobs: BlobStore, owner_id: int, project_id: int
) -> tuple[ExportVersion, dict[str, Any]]:
    """Store the export of the project's current version (unless it is stored already);
    returns the version and what was stored (``key``, ``files_key``, ``size``).

    Raises :class:`JobNotFoundError` when the project is gone, :class:`EmptyDocumentError`
    (``NO_LAYERS``) when it has no layer to export, and any export error.
    """
    with db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        project = uow.projects.get(owner_id, project_id)
        if project is None:
            raise JobNotFoundError(f"no project {project_id}", details={"project_id": project_id})
        defaults = dict(project.parameters)
        version = current_version(uow, project_id, project.name)
        records = [
            (
                StoredLayer.of(item.layer),
                dict(item.mesh.parameters) if item.mesh else None,
                item.mesh.data if item.mesh else None,
            )
            for item in exported_items(uow.layers.list_with_meshes(project_id))
        ]
    key, files_key = (
        export_key(project_id, version.fingerprint),
        player_files_key(project_id, version.fingerprint),
    )
    if blobs.exists(key) and blobs.exists(files_key):
        return version, {"key": key, "files_key": files_key, "reused": True}
    if not records:
        raise EmptyDocumentError(f"project {version.name!r}: no layer to export")
    layers: list[Layer] = []
    settings: dict[str, MeshSettings] = {}
    meshes: dict[int, Mesh] = {}
    for index, (row, parameters, data) in enumerate(records):
        layer = document_layer(row, read_image(blobs.get(row.image_key)), index)
        layers.append(layer)
        # a stored mesh's own settings; a layer without one is meshed by the export
        chosen = MeshSettings.from_mapping(parameters or {**defaults, **row.parameters})
        settings[layer.name] = chosen
        mesh = stored_mesh(data)
        # the image export_document will compute for this layer (settings, then tags)
        image, _ = export_image(layer, chosen, (version.width, version.height))
        if mesh is not None and (mesh.width, mesh.height) == (image.width, image.height):
            meshes[index] = mesh
    stem = export_stem(version.name)
    document = Document(
        version.width,
        version.height,
        tuple(layers),
        source_name=f"{stem}.psd",
        origin=version.origin,
    )
    options = export_options(settings)
    with tempfile.TemporaryDirectory(prefix="spinelift-export-") as folder:
        output = Path(folder) / f"{stem}.zip"
        export_document(document, output, options, meshes=meshes)
        files = player_files(output, version, origin_point(document, options.origin))
        with output.open("rb") as stream:
            blobs.put_stream(key, stream)
        size = output.stat().st_size
    blobs.put(files_key, files)
    for old in blobs.list_keys(export_prefix(project_id)):
        if old not in (key, files_key):
            blobs.delete(old)
    return version, {"key": key, "files_key": files_key, "size": size}


def player_files(zip_path: Path, version: ExportVersion, origin: tuple[float, float]) -> bytes:
    """The export's skeleton, atlas and pages as ``data:`` URIs and the document canvas
    in skeleton space (the export's origin), as the UI's Spine player takes them (JSON)."""
    files: dict[str, str] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            kind = _TYPES.get(PurePosixPath(name).suffix.lower())
            if kind is None or name == "preview.png" or name.endswith("/"):
                continue
            encoded = base64.b64encode(archive.read(name)).decode("ascii")
            files[name] = f"data:{kind};base64,{encoded}"
    ox, oy = origin
    width, height = version.width, version.height
    document = {
        "skeleton": _only(files, ".json"),
        "atlas": _only(files, ".atlas"),
        "files": files,
        "viewport": {"x": -ox, "y": oy - height, "width": width, "height": height},
        "width": width,
        "height": height,
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _only(files: dict[str, str], suffix: str) -> str:
    found = sorted(name for name in files if name.lower().endswith(suffix))
    if len(found) != 1:
        raise RuntimeError(f"the export holds {len(found)} {suffix} files: {found}")
    return found[0]
