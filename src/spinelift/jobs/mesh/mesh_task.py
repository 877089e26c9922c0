"""The mesh job: image bytes -> mesh attachment JSON in the blob store, state in Redis."""

from __future__ import annotations

import logging
import time

from spinelift.core.settings import MeshSettings
from spinelift.io.image import read_image
from spinelift.jobs.mesh.context import JobContext, url_policy
from spinelift.jobs.mesh.keys import image_sha256, settings_sha256
from spinelift.jobs.mesh.progress import ProgressReporter
from spinelift.net.fetch import fetch_bytes
from spinelift.spine.attachment import mesh_attachment
from spinelift.spine.json_format import dumps
from spinelift.storage.blob_keys import mesh_result_key
from spinelift.storage.job_store import JobRecord

log = logging.getLogger(__name__)


def run_mesh_job(ctx: JobContext, record: JobRecord, reporter: ProgressReporter) -> None:
    """Mesh the job's image (uploaded or fetched) unless the cache has the result.

    Raises a :class:`~spinelift.errors.SpineLiftError` for a final failure (bad image,
    unsafe or unreachable URL, nothing to mesh); any other exception is a crash.
    """
    data = (
        ctx.blobs.get(record.input_key)
        if record.input_key
        else fetch_bytes(
            record.image_url, url_policy(ctx.settings), max_bytes=ctx.settings.max_request_size
        )
    )
    settings = MeshSettings.from_mapping(record.parameters)
    image_hash, settings_hash = image_sha256(data), settings_sha256(settings)
    cached = ctx.store.cached_result(image_hash, settings_hash)
    if cached and ctx.blobs.exists(cached):
        reporter.completed(cached, cached=True, image_sha256=image_hash)
        ctx.store.count_many({"cache_hits": 1})
        return
    reporter(10, "Loading image...")
    rgba = read_image(
        data,
        max_dimension=ctx.settings.max_image_dimension,
        max_pixels=ctx.settings.max_image_pixels,
    )
    started = time.perf_counter()
    ctx.store.count_many({"mesh_runs": 1})
    mesh = ctx.build(rgba, settings, reporter)
    attachment = dumps(mesh_attachment(mesh)).encode()
    key = mesh_result_key(image_hash, settings_hash)
    ctx.blobs.put(key, attachment)
    ctx.store.cache_result(image_hash, settings_hash, key)
    reporter.completed(key, cached=False, image_sha256=image_hash)
    log.info(
        "mesh built",
        extra={
            "job_id": record.job_id,
            "vertices": mesh.vertex_count,
            "seconds": round(time.perf_counter() - started, 4),
        },
    )
