"""Content addresses: the cache key of a result is (image sha256, settings sha256)."""

from __future__ import annotations

import hashlib
import json

from spinelift.core.settings import MeshSettings


def image_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def settings_json(settings: MeshSettings) -> str:
    """Canonical JSON of validated settings (sorted keys, compact)."""
    return json.dumps(settings.to_dict(), sort_keys=True, separators=(",", ":"))


def settings_sha256(settings: MeshSettings) -> str:
    return hashlib.sha256(settings_json(settings).encode()).hexdigest()


def result_key(image_hash: str, settings_hash: str) -> str:
    """Blob key of the mesh attachment JSON for this image and settings."""
    return f"results/{image_hash}-{settings_hash}.json"


def upload_key(image_hash: str) -> str:
    """Blob key of uploaded bytes (content-addressed: the same upload is stored once)."""
    return f"uploads/{image_hash}.bin"
