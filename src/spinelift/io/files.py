"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

Write failures raise ``OSError`` (with the path); adapters map it to their own
answer (the CLI: ``OUTPUT_WRITE_FAILED``, exit code 3).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from spinelift.errors import SpineLiftError
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


@contextlib.contextmanager
def open_path(
    path: str | os.PathLike[str], error: type[SpineLiftError], what: str
) -> Iterator[IO[bytes]]:
    """Open ``path`` for reading bytes; a missing file, a folder or an unreadable file
    raises ``error`` with a message naming ``what`` was expected ("an image", "a PSD")."""
    target = Path(path)
    details = {"source": str(target)}
    try:
        handle = target.open("rb")
    except FileNotFoundError as exc:
        raise error(f"{target} does not exist", details=details) from exc
    except IsADirectoryError as exc:
        raise error(f"{target} is a folder, not {what}", details=details) from exc
    except OSError as exc:
        message = f"{target} cannot be opened: {exc.strerror or exc}"
        raise error(message, details=details) from exc
    with handle:
        yield handle
