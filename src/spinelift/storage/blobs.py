"""Blob stores: bytes by key (uploads, layer images, results). Local directory or S3.

Keys are relative, slash-separated paths of ``[A-Za-z0-9._-]`` segments that do not
start with a dot (``results/<sha>.json``, ``projects/12/layers/40.png``); anything
else (``..``, absolute paths, spaces, a layer's own name) is refused with
``ValueError``, so a key never escapes the root and callers build keys from ids.
A blob is either whole or absent: readers never see a half-written value. Big values
go in and out as streams (:meth:`BlobStore.put_stream`, :meth:`BlobStore.open`) in
chunks of :data:`CHUNK` bytes, so memory stays bounded whatever their size. A process
killed while writing can leave a hidden temporary file (the local store's writes go to
``.<name>.<hex>.tmp`` first): never a key, never listed or served, and removed by
:meth:`LocalBlobStore.remove_stale_temporaries` (the Cleanup job calls it).
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import BinaryIO, Protocol

from spinelift.atomic import TEMPORARY_GLOB, atomic_writer, write_atomic

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$")
MAX_KEY_LENGTH = 1024
CHUNK = 1024 * 1024
"""bytes copied at a time by the streaming methods"""


def validate_key(key: str) -> str:
    """``key`` if it is a valid blob key; ``ValueError`` otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH or not all(map(_SEGMENT.match, key.split("/"))):
        raise ValueError(f"invalid blob key: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """``prefix`` if it can begin a key (``""``, ``"projects/"``, ``"projects/1"``)."""
    if prefix:
        validate_key(prefix.removesuffix("/"))
    return prefix


class Readable(Protocol):
    """What :meth:`BlobStore.put_stream` reads from (a file, a request body, a meter)."""

    def read(self, size: int = -1, /) -> bytes: ...


class BlobStore(Protocol):
    """The whole interface the service, the web app and the workers need."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (replacing any previous value, atomically)."""

    def put_stream(self, key: str, stream: Readable) -> None:
        """Store everything ``stream`` yields under ``key``, :data:`CHUNK` bytes at a
        time (atomically: an exception from ``stream`` leaves the key as it was)."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises ``KeyError`` when there are none."""

    def open(self, key: str) -> BinaryIO:
        """A binary stream of the value under ``key`` (close it); ``KeyError`` when
        there is none."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value."""

    def delete(self, key: str) -> None:
        """Remove ``key``'s value (nothing happens when there is none)."""

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key that starts with ``prefix`` (plain string prefix), sorted."""


class LocalBlobStore:
    """Blobs as files under ``root`` (created on first use); writes are atomic
    (a temporary file in the same folder, then ``os.replace``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)

    def put_stream(self, key: str, stream: Readable) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path) as handle:
            while chunk := stream.read(CHUNK):
                handle.write(chunk)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise KeyError(key) from None

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def list_keys(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        # walk only the deepest folder the prefix names; the rest is a string filter
        folder = self.root.joinpath(*prefix.split("/")[:-1])
        if not folder.is_dir():
            return []
        keys = []
        for path in folder.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            # temporary files of atomic writes start with a dot: never keys
            if path.is_file() and not path.name.startswith(".") and relative.startswith(prefix):
                keys.append(relative)
        return sorted(keys)

    def remove_stale_temporaries(self, older_than: float = 3600.0) -> int:
        """Delete the temporary files of writes that never finished (their process was
        killed), once ``older_than`` seconds old; returns how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for path in self.root.rglob(TEMPORARY_GLOB):
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))
