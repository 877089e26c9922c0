"""Atomic writes (:mod:`spinelift.atomic`) as the local blob store uses them: a write
that fails half-way leaves the old value and no temporary file behind."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from spinelift.atomic import TEMPORARY_GLOB, atomic_writer, write_atomic
from spinelift.storage.blobs import LocalBlobStore


class _Broken(io.RawIOBase):
    """A stream that yields ``good`` bytes, then fails like a dropped upload."""

    def __init__(self, good: bytes) -> None:
        self.good = good

    def read(self, size: int = -1, /) -> bytes:
        if self.good:
            chunk, self.good = self.good, b""
            return chunk
        raise ConnectionResetError("the client went away")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "a.bin", b"old")
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"new, half")
        raise RuntimeError("stop")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.glob(TEMPORARY_GLOB)) == []
    with atomic_writer(target) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new"


def test_a_stream_that_fails_leaves_the_blob_as_it_was(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("uploads/1.psd", b"first")
    with pytest.raises(ConnectionResetError):
        store.put_stream("uploads/1.psd", _Broken(b"x" * 1000))
    assert store.get("uploads/1.psd") == b"first"
    assert list(tmp_path.rglob(TEMPORARY_GLOB)) == []
    store.put_stream("uploads/1.psd", io.BytesIO(b"second"))
    assert store.get("uploads/1.psd") == b"second"


def test_stale_temporaries_are_removed_and_never_listed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("layers/1.png", b"png")
    stale = tmp_path / "layers" / ".2.png.0123456789ab.tmp"  # a killed writer's
    stale.write_bytes(b"half")
    fresh = tmp_path / "layers" / ".3.png.0123456789ab.tmp"  # a writer still at work
    fresh.write_bytes(b"half")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    assert store.list_keys("layers/") == ["layers/1.png"]
    assert store.remove_stale_temporaries(older_than=600) == 1
    assert not stale.exists() and fresh.exists()
