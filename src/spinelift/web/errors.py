"""The web app's errors as HTTP answers (see :mod:`spinelift.http.errors`).

Another user's project, layer or job is :class:`~spinelift.errors.NotFoundError` (404),
exactly like a missing one: nothing about it is revealed, never a 403.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from spinelift.errors import (
    ConflictError,
    NotFoundError,
    RequestTooLargeError,
    ServiceUnavailableError,
    StorageError,
)
from spinelift.http import errors as http_errors

STATUS = http_errors.status_table(
    (NotFoundError, 404),
    (ConflictError, 409),
    (RequestTooLargeError, 413),
    (ServiceUnavailableError, 503),
    (StorageError, 503),
)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``: 401s ask for a ``Bearer`` token."""
    http_errors.install(app, table=STATUS, auth_scheme="Bearer", redis_name="broker")

    @app.exception_handler(DataError)
    async def data_refused(request: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refuses a value it cannot store (a NUL character in text, a number
        # beyond its column): the request's data, not a fault of ours
        return http_errors.error_response(
            422,
            "INVALID_PARAMETERS",
            "the request holds a value that cannot be stored"
            " (a NUL character, or a number out of range)",
            {"fields": {}},
        )
