"""The mesh service's errors as HTTP answers (see :mod:`spinelift.http.errors`).

Never a traceback: anything unexpected is logged with the request id and answered
500 ``INTERNAL_ERROR`` carrying that id (by :class:`spinelift.http.middleware.RequestContext`,
so the answer still carries ``X-Request-ID``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from spinelift.errors import (
    DocumentError,
    DocumentTooLargeError,
    ImageTooLargeError,
    JobNotReadyError,
    JobTimeoutError,
    NetworkError,
    QueueFullError,
    SpineLiftError,
    UnsafeUrlError,
)
from spinelift.http import errors as http_errors

STATUS = http_errors.status_table(
    (JobNotReadyError, 409),
    (QueueFullError, 429),
    (JobTimeoutError, 504),
    (ImageTooLargeError, 413),
    (DocumentTooLargeError, 413),
    (UnsafeUrlError, 422),
    (NetworkError, 502),
    (DocumentError, 422),
)


def _error_classes(base: type[SpineLiftError]) -> dict[str, type[SpineLiftError]]:
    found = {base.code: base}
    for sub in base.__subclasses__():
        found.update(_error_classes(sub))
    return found


def error_from_job(error: dict[str, Any] | None) -> SpineLiftError | None:
    """The error a failed job recorded (seed 004's body), as the SpineLiftError of its
    code, so a synchronous answer gets the status a direct failure would; None for
    ``INTERNAL_ERROR`` and unknown codes (answered 500 by the caller)."""
    if not error:
        return None
    kind = _error_classes(SpineLiftError).get(str(error.get("code")))
    if kind is None or kind is SpineLiftError:
        return None
    return kind(str(error.get("message", "")), details=dict(error.get("details") or {}))


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``: 401s ask for ``X-Service-Token``, a full queue
    (429) says when to retry."""
    http_errors.install(
        app,
        table=STATUS,
        auth_scheme="X-Service-Token",
        redis_name="job store",
        retry_after=(QueueFullError,),
    )
