"""The one place errors become HTTP answers: ``{"error": {"code","message","details"}}``.

Never a traceback: anything unexpected is logged with the request id and answered
500 ``INTERNAL_ERROR`` carrying that id (by :class:`~.middleware.RequestContext`,
so the answer still carries ``X-Request-ID``).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from spinelift.errors import (
    AuthenticationError,
    DocumentError,
    ImageTooLargeError,
    JobNotFoundError,
    JobNotReadyError,
    JobTimeoutError,
    NetworkError,
    QueueFullError,
    SpineLiftError,
    UnsafeUrlError,
)
from spinelift.jobs.jsonlog import request_id_var

log = logging.getLogger(__name__)

# most specific first: the first isinstance match wins
STATUS: tuple[tuple[type[SpineLiftError], int], ...] = (
    (AuthenticationError, 401),
    (JobNotFoundError, 404),
    (JobNotReadyError, 409),
    (QueueFullError, 429),
    (JobTimeoutError, 504),
    (ImageTooLargeError, 413),
    (UnsafeUrlError, 422),
    (NetworkError, 502),
    (DocumentError, 422),
    (SpineLiftError, 422),
)


def status_for(exc: SpineLiftError) -> int:
    return next(status for kind, status in STATUS if isinstance(exc, kind))


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None, **headers: str
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def field_errors(errors: list[Any]) -> dict[str, str]:
    """pydantic's error list as ``{"parameters.alpha_threshold": "Input should be ..."}``."""
    out: dict[str, str] = {}
    for error in errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query")]
        out[".".join(location) or "body"] = str(error.get("msg", "invalid"))
    return out


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(SpineLiftError)
    async def spinelift_error(request: Request, exc: SpineLiftError) -> JSONResponse:
        status = status_for(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, QueueFullError):
            headers["Retry-After"] = str(exc.details.get("retry_after", 5))
        if isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "X-Service-Token"
        return error_response(status, exc.code, exc.message, exc.details, **headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid(list(exc.errors()))

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        return _invalid(list(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}
        return error_response(
            exc.status_code, code.get(exc.status_code, "HTTP_ERROR"), str(exc.detail)
        )

    @app.exception_handler(redis.RedisError)
    async def redis_down(request: Request, exc: redis.RedisError) -> JSONResponse:
        log.error("job store unavailable: %s", exc)
        return error_response(
            503,
            "SERVICE_UNAVAILABLE",
            "the job store is unreachable; try again later",
            {"request_id": request_id_var.get()},
            **{"Retry-After": "5"},
        )

    # anything else: RequestContext (middleware) logs it and answers 500 INTERNAL_ERROR


def _invalid(errors: list[Any]) -> JSONResponse:
    return error_response(
        422, "INVALID_PARAMETERS", "the request is invalid", {"fields": field_errors(errors)}
    )
