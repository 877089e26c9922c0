"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

Write failures raise ``OSError`` (with the path); adapters map it to their own
answer (the CLI: ``OUTPUT_WRITE_FAILED``, exit code 3).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

from spinelift.spine.json_format import dumps


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    The bytes go to a hidden temporary file in the same folder (so ``os.replace`` is a
    rename on one file system), are flushed to disk, then replace ``path``. The new
    file gets the usual permissions (0o666 less the umask). On any failure the
    temporary file is removed and ``path`` is left as it was. The folder must exist.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return target


def write_json(path: str | os.PathLike[str], value: Any, *, indent: int | None = None) -> Path:
    """Write ``value`` as deterministic JSON (:func:`spinelift.spine.dumps`) plus a newline,
    atomically; return the path."""
    text = dumps(value, indent=indent) + "\n"
    return write_atomic(path, text.encode("utf-8"))
