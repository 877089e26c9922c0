"""Which version of a project an export is: its fingerprint, read from the database.

An export is made from the project's name (it names the files), its canvas (the
newest ProcessPsd job's result) and, for every layer that is not failed and has an
image, the layer's id and its latest mesh version. Layer rows never change their pixels
(a new upload makes new rows) and every new mesh is a new version, so two reads with the
same fingerprint describe the same export: it is built once per fingerprint
(``export-<project>-<fingerprint>`` jobs), stored under
:func:`~spinelift.storage.blob_keys.export_key` and streamed to every download.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spinelift.io.layer_rig import document_origin
from spinelift.storage.models import Job, JobKind, LayerStatus
from spinelift.storage.repositories import UnitOfWork
from spinelift.storage.repositories.layers import LayerWithMesh

EXPORT_FORMAT = 1
"""bumped when the export's content changes for the same inputs (old exports rebuilt)"""


@dataclass(frozen=True)
class ExportVersion:
    """One version of a project's export."""

    project_id: int
    fingerprint: str
    name: str
    width: int
    height: int
    layer_ids: tuple[int, ...]
    origin: tuple[float | None, float | None] = (None, None)
    """canvas point of the skeleton's 0,0 the document asks for (per axis; None: the
    export's default)"""

    @property
    def job_id(self) -> str:
        """The BuildExport job of this version."""
        return export_job_id(self.project_id, self.fingerprint)


def export_job_id(project_id: int, fingerprint: str) -> str:
    return f"export-{project_id}-{fingerprint}"


def document_of(jobs: Sequence[Job]) -> dict[str, Any] | None:
    """The document record (:func:`~spinelift.io.layer_rig.document_record`: width,
    height, origin) of the newest ProcessPsd job that has read its document (its result
    is set once the layers are stored, before the run completes)."""
    for job in jobs:  # newest first
        result = job.result or {}
        if job.kind == JobKind.PROCESS_PSD.value and result.get("width") and result.get("height"):
            return dict(result)
    return None


def canvas_of(jobs: Sequence[Job]) -> tuple[int, int] | None:
    """The document size (see :func:`document_of`)."""
    record = document_of(jobs)
    return None if record is None else (int(record["width"]), int(record["height"]))


def exported_items(items: Sequence[LayerWithMesh]) -> list[LayerWithMesh]:
    """The layers an export holds: not failed, with an image."""
    return [
        item
        for item in items
        if item.layer.status != LayerStatus.FAILED.value and item.layer.image_key
    ]


def bounds_canvas(items: Sequence[LayerWithMesh]) -> tuple[int, int]:
    """The box of the layers (a project whose ProcessPsd result is gone)."""
    width = max((i.layer.x + i.layer.width for i in items), default=0)
    height = max((i.layer.y + i.layer.height for i in items), default=0)
    return int(width), int(height)


def current_version(uow: UnitOfWork, project_id: int, name: str) -> ExportVersion:
    """The version of the project as stored now (``name``: the project's name)."""
    items = uow.layers.list_with_meshes(project_id)
    kept = exported_items(items)
    jobs = uow.jobs.list_for_project(project_id, limit=10_000, kind=JobKind.PROCESS_PSD)
    record = document_of(jobs) or {}
    width, height = canvas_of(jobs) or bounds_canvas(kept)
    origin = document_origin(record)
    layers: list[list[Any]] = [
        [item.layer.id, item.mesh.version if item.mesh is not None else None] for item in kept
    ]
    text = json.dumps(
        {
            "format": EXPORT_FORMAT,
            "name": name,
            "size": [width, height],
            "origin": list(origin),
            "layers": layers,
        },
        sort_keys=True,
    )
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return ExportVersion(
        project_id,
        fingerprint,
        name,
        width,
        height,
        tuple(item.layer.id for item in kept),
        origin,
    )
