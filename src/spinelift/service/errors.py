"""The mesh service's errors as HTTP answers (see :mod:`spinelift.http.errors`).

Never a traceback: anything unexpected is logged with the request id and answered
500 ``INTERNAL_ERROR`` carrying that id (by :class:`spinelift.http.middleware.RequestContext`,
so the answer still carries ``X-Request-ID``).
"""

from __future__ import annotations

from fastapi import FastAPI

from spinelift.errors import (
    DocumentError,
    ImageTooLargeError,
    JobNotReadyError,
    JobTimeoutError,
    NetworkError,
    QueueFullError,
    UnsafeUrlError,
)
from spinelift.http import errors as http_errors

STATUS = http_errors.status_table(
    (JobNotReadyError, 409),
    (QueueFullError, 429),
    (JobTimeoutError, 504),
    (ImageTooLargeError, 413),
    (UnsafeUrlError, 422),
    (NetworkError, 502),
    (DocumentError, 422),
)


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
