"""Errors become HTTP answers here: seed 004's ``{"error": {"code","message","details"}}``.

Another user's project, layer or job is :class:`NotFoundError` (404), exactly like a
missing one: nothing about it is revealed, never a 403.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from spinelift.errors import (
    AuthenticationError,
    ConflictError,
    JobNotFoundError,
    RequestTooLargeError,
    SpineLiftError,
    StorageError,
)
from spinelift.jobs.jsonlog import request_id_var

log = logging.getLogger(__name__)


class NotFoundError(SpineLiftError):
    """The resource does not exist, or belongs to someone else (the same answer)."""

    code: ClassVar[str] = "NOT_FOUND"


class ServiceUnavailableError(SpineLiftError):
    """A dependency (Redis, the database) cannot be reached right now."""

    code: ClassVar[str] = "SERVICE_UNAVAILABLE"


# most specific first: the first isinstance match wins
STATUS: tuple[tuple[type[SpineLiftError], int], ...] = (
    (AuthenticationError, 401),
    (NotFoundError, 404),
    (JobNotFoundError, 404),
    (ConflictError, 409),
    (RequestTooLargeError, 413),
    (ServiceUnavailableError, 503),
    (StorageError, 503),
    (SpineLiftError, 422),
)


def status_for(exc: SpineLiftError) -> int:
    return next(status for kind, status in STATUS if isinstance(exc, kind))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None, **headers: str
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details), status_code=status, headers=headers or None
    )


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
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else {}
        return error_response(status_for(exc), exc.code, exc.message, exc.details, **headers)

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
        log.error("redis unavailable: %s", exc)
        return error_response(
            503,
            "SERVICE_UNAVAILABLE",
            "the broker is unreachable; try again later",
            {"request_id": request_id_var.get()},
            **{"Retry-After": "5"},
        )


def _invalid(errors: list[Any]) -> JSONResponse:
    return error_response(
        422, "INVALID_PARAMETERS", "the request is invalid", {"fields": field_errors(errors)}
    )
