"""What a ProcessPsd job reads (the upload's document, within the document budget) and
stores (the layers: rows, PNGs, one queued GenerateMesh job each).

One upload is a PSD/PSB or a PNG; a layered PNG upload (``POST .../uploads/layers``) is
several PNG uploads read as one document, exactly as ``spinelift convert`` reads a
folder of PNGs (one layer per file in file-name order, the first at the bottom, each
trimmed to its visible pixels with its place kept; the canvas is the largest image).
Decoding happens here, in the worker, never in the API. Before any pixel is decoded,
the document is checked against the :class:`~spinelift.io.psd.limits.DocumentBudget`
(layer count, pixels across the layers: from the PSD's layer records or the PNGs'
headers), so an accepted document's pixels fit the documented worker memory bound.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from spinelift.errors import DocumentError
from spinelift.io.document import Document, Layer
from spinelift.io.image import encode_png
from spinelift.io.layer_rig import rig_record
from spinelift.io.png_document import PNG_SIGNATURE, read_png_bytes
from spinelift.io.psd import read_psd
from spinelift.io.psd.limits import DocumentBudget, check_png_budget, png_size
from spinelift.storage.blob_keys import layer_image_key
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind
from spinelift.storage.repositories import Actor

MAX_PNG_SIDE = 8192
"""largest width or height of one PNG (as ``spinelift convert``)"""


@dataclass(frozen=True)
class StoredUpload:
    """One uploaded file as recorded: its blob and the name the user gave it."""

    upload_id: int
    blob_key: str
    filename: str


def read_upload_document(
    blobs: BlobStore, uploads: Sequence[StoredUpload], budget: DocumentBudget
) -> Document:
    """The document of the upload(s); raises a :class:`SpineLiftError` (never anything
    else for bad bytes): ``DOCUMENT_TOO_LARGE`` over the budget, ``DOCUMENT_INVALID`` for
    a vanished upload or bytes that are no document."""
    for upload in uploads:
        if not blobs.exists(upload.blob_key):
            raise DocumentError(
                f"upload {upload.upload_id} is gone", details={"upload_id": upload.upload_id}
            )
    if len(uploads) == 1:
        (upload,) = uploads
        with blobs.open(upload.blob_key) as stream:
            head = stream.read(32)
        if not head.startswith(PNG_SIGNATURE):
            return read_psd(blobs.get(upload.blob_key), name=upload.filename, budget=budget)
    return _png_document(blobs, uploads, budget)


def _png_document(
    blobs: BlobStore, uploads: Sequence[StoredUpload], budget: DocumentBudget
) -> Document:
    """PNG uploads as one document (see the module docstring)."""
    ordered = sorted(uploads, key=lambda u: (u.filename, u.upload_id))
    sizes = []
    for upload in ordered:
        with blobs.open(upload.blob_key) as stream:
            sizes.append(png_size(stream.read(24), upload.filename))
    label = ordered[0].filename if len(ordered) == 1 else "layers.png"
    check_png_budget(sizes, label, budget, MAX_PNG_SIDE)
    layers: list[Layer] = []
    skipped: list[tuple[str, str]] = []
    for upload in ordered:
        single = read_png_bytes(
            blobs.get(upload.blob_key), name=upload.filename, max_dimension=MAX_PNG_SIDE
        )
        skipped.extend(single.skipped)
        layers.extend(dataclasses.replace(layer, index=len(layers)) for layer in single.layers)
    width = max(w for w, _ in sizes)
    height = max(h for _, h in sizes)
    return Document(width, height, tuple(layers), label, skipped=tuple(skipped))


def store_layers(
    db: Database,
    blobs: BlobStore,
    job_id: str,
    upload: tuple[int, int, int | None],
    document: Document,
) -> list[tuple[str, int]]:
    """Layer rows (made once per upload), their PNGs, one queued mesh job per layer.

    Rows are committed before their blobs are written, so Cleanup never sees a layer
    blob without its row; a re-run writes the (identical) blobs again. Returns the
    (mesh job id, layer id) pairs still queued. ``upload``: (project id, upload id, owner
    id) of the ProcessPsd job ``job_id``.
    """
    project_id, upload_id, owner_id = upload
    old_keys: list[str] = []
    with db.unit(Actor.job(job_id, owner_id)) as uow:
        layers = [r for r in uow.layers.list_for_project(project_id) if r.upload_id == upload_id]
        if not layers:
            old_keys = uow.layers.delete_for_project(project_id)  # an earlier upload's
            layers = uow.layers.bulk_create(
                project_id,
                [
                    {
                        "name": layer.name[:255],
                        "position": position,
                        "bounds": {
                            "x": layer.left,
                            "y": layer.top,
                            "width": layer.width,
                            "height": layer.height,
                        },
                        "opacity": round(float(layer.opacity), 4),
                        "blend_mode": layer.blend_mode,
                        "visible": layer.visible,
                        "has_mask": layer.has_mask,
                        "rig": rig_record(layer),
                        "upload_id": upload_id,
                    }
                    for position, layer in enumerate(document.layers)
                ],
            )
            for row in layers:
                row.image_key = layer_image_key(project_id, row.id)
            uow.session.flush()
        keys = [(row.position, row.id, row.image_key or "") for row in layers]
        queued: list[tuple[str, int]] = []
        for row in layers:
            mesh_job, _ = uow.jobs.create(
                f"{job_id}-layer-{row.id}",
                JobKind.GENERATE_MESH,
                user_id=owner_id,
                project_id=project_id,
                layer_id=row.id,
            )
            if mesh_job.status == JobStatus.QUEUED.value:
                queued.append((mesh_job.job_id, row.id))
    for key in old_keys:
        blobs.delete(key)
    for position, _layer_id, key in keys:
        blobs.put(key, encode_png(document.layers[position].rgba, compress_level=1))
    return queued
