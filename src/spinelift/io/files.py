"""Files the readers and writers of :mod:`spinelift.io` share: JSON written atomically
(:func:`spinelift.atomic.write_atomic`), and opening a file to read with an error that
says what was expected.

Write failures raise ``OSError`` (with the path); adapters map it to their own
answer (the CLI: ``OUTPUT_WRITE_FAILED``, exit code 3).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from spinelift.atomic import write_atomic
from spinelift.errors import SpineLiftError
from spinelift.spine.json_format import dumps


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
