"""Content addresses: the cache key of a result is (image sha256, settings sha256); the
blob keys built from them are in :mod:`spinelift.storage.blob_keys`."""

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
