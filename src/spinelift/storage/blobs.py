"""Blob stores: bytes by key (uploads, results). Local directory now, S3 later.

Keys are relative, slash-separated paths of ``[A-Za-z0-9._-]`` segments
(``results/<sha>.json``); anything else is refused, so a key never escapes the root.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from spinelift.io.files import write_atomic

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$")


class BlobStore(Protocol):
    """The whole interface the service and the workers need."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (replacing any previous value, atomically)."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises ``KeyError`` when there are none."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value."""


class LocalBlobStore:
    """Blobs as files under ``root`` (created on first use); writes are atomic."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not all(_SEGMENT.match(part) for part in parts):
            raise ValueError(f"invalid blob key: {key!r}")
        return self.root.joinpath(*parts)
