"""Seed 000's extract_layers: a PSD's layers as base64 PNGs with their placement."""

from __future__ import annotations

import base64
import json
from typing import Any

from spinelift.config import ServiceSettings
from spinelift.io.document import Document
from spinelift.io.image import encode_png
from spinelift.io.psd.limits import DocumentBudget
from spinelift.io.psd.reader import read_psd
from spinelift.jobs.mesh.context import JobContext
from spinelift.jobs.mesh.progress import ProgressReporter
from spinelift.storage.job_store import JobRecord


def extract_layers(
    data: bytes, settings: ServiceSettings, name: str = "upload.psd"
) -> dict[str, Any]:
    """``{"layers": [...]}`` for the PSD ``data``; bottom-most layer first (``position`` 0).

    Canvases over the settings' limits are refused from the header, before decoding
    (:class:`~spinelift.errors.ImageTooLargeError`), documents over the budget
    (``max_document_layers``, ``max_document_pixels``) from the layer records, before
    any layer is drawn (:class:`~spinelift.errors.DocumentTooLargeError`); a damaged
    file raises :class:`~spinelift.errors.DocumentError`. Runs in workers only.
    """
    document = read_psd(
        data,
        max_canvas=settings.max_image_dimension,
        max_pixels=settings.max_image_pixels,
        name=name,
        budget=DocumentBudget(settings.max_document_layers, settings.max_document_pixels),
    )
    return layers_payload(document)


def layers_payload(document: Document) -> dict[str, Any]:
    layers = []
    for position, layer in enumerate(document.layers):
        layers.append(
            {
                "name": layer.name,
                "image_data": base64.b64encode(encode_png(layer.rgba, compress_level=1)).decode(),
                "position": position,
                "bounds": {
                    "x": layer.left,
                    "y": layer.top,
                    "width": layer.width,
                    "height": layer.height,
                },
                "opacity": round(float(layer.opacity), 4),
                "blend_mode": layer.blend_mode,
                "metadata": {"visible": layer.visible, "has_mask": layer.has_mask},
            }
        )
    return {
        "width": document.width,
        "height": document.height,
        "layers": layers,
        "skipped": [{"name": n, "reason": r} for n, r in document.skipped],
    }


def run_extract_job(ctx: JobContext, record: JobRecord, reporter: ProgressReporter) -> None:
    """Extract the uploaded PSD's layers into ``layers/<job_id>.json``."""
    data = ctx.blobs.get(record.input_key)
    reporter(10, "Reading PSD...")
    result = extract_layers(data, ctx.settings)
    reporter(90, "Encoding layers...")
    key = f"layers/{record.job_id}.json"
    ctx.blobs.put(key, json.dumps(result, separators=(",", ":")).encode())
    reporter.completed(key, cached=False, image_sha256=record.image_sha256)
