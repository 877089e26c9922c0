"""The blob store a process's settings name: local files by default, S3 at scale.

Every process of a deployment (web app, project workers, mesh service and its workers)
builds its store here, so they all agree on where a key lives.
"""

from __future__ import annotations

from spinelift.config import AppSettings
from spinelift.storage.blobs import BlobStore, LocalBlobStore


def blob_store_for(settings: AppSettings) -> BlobStore:
    """``SPINELIFT_STORAGE_BACKEND=s3``: the bucket ``SPINELIFT_S3_BUCKET`` (under
    ``SPINELIFT_S3_PREFIX``, at ``SPINELIFT_S3_ENDPOINT_URL``); else ``<data_dir>/blobs``."""
    if settings.storage_backend == "s3":
        from spinelift.storage.s3 import S3BlobStore  # boto3 loads only when used

        assert settings.s3_bucket is not None  # checked by the settings' validator
        return S3BlobStore(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
        )
    return LocalBlobStore(settings.blob_dir)
