"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

The one home of the rule, on the ground floor so that every wing can use it (``io``
writes exports with it, ``storage`` its local blobs). The bytes go to a hidden
temporary file in the same folder, ``.<name>.<hex>.tmp`` (so ``os.replace`` is a rename
on one file system), are flushed to disk, then replace the target; on any failure the
temporary file is removed and the target is left as it was. A process killed mid-write
can leave a temporary file behind: its name starts with a dot and ends in ``.tmp``
(:data:`TEMPORARY_GLOB`), so it is never taken for the target. Write failures raise
``OSError`` (with the path); adapters map it to their own answer.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMPORARY_GLOB = ".*.tmp"
"""what the temporary files of unfinished writes match (``Path.glob``)"""


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file to write; when the ``with`` block ends without an exception its
    bytes replace ``path`` at once, else they are thrown away and ``path`` is left as it
    was. The new file gets the usual permissions (0o666 less the umask); the folder
    must exist."""
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`atomic_writer`) and return the path."""
    with atomic_writer(path) as handle:
        handle.write(data)
    return Path(path)
