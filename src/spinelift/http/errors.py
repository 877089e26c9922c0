"""Errors become HTTP answers here: seed 004's ``{"error": {"code","message","details"}}``.

Contract of :func:`install`: a :class:`~spinelift.errors.SpineLiftError` is answered with
the status of the first matching row of the app's table (see :func:`status_table`), its
``code``, ``message`` and ``details``; invalid requests are 422 ``INVALID_PARAMETERS``
with ``details.fields``; Starlette's HTTP errors keep their status; a Redis error is 503
``SERVICE_UNAVAILABLE`` with ``Retry-After: 5``; a rate limit is 429 ``RATE_LIMITED`` with
``Retry-After`` (its ``details["retry_after"]``). Never a traceback: an
:class:`~spinelift.errors.InternalError` is logged and answered 500 ``INTERNAL_ERROR`` with
the request id, as :class:`~spinelift.http.middleware.RequestContext` answers anything else.
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
    InternalError,
    JobNotFoundError,
    RateLimitedError,
    SpineLiftError,
)
from spinelift.logs import request_id_var

log = logging.getLogger(__name__)

StatusTable = tuple[tuple[type[SpineLiftError], int], ...]
_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


def status_table(*extra: tuple[type[SpineLiftError], int]) -> StatusTable:
    """``AuthenticationError`` 401, ``JobNotFoundError`` 404, ``RateLimitedError`` 429, then
    ``extra`` (most specific first: the first ``isinstance`` match wins), then any other
    ``SpineLiftError`` 422."""
    return (
        (AuthenticationError, 401),
        (JobNotFoundError, 404),
        (RateLimitedError, 429),
        *extra,
        (SpineLiftError, 422),
    )


def status_for(exc: SpineLiftError, table: StatusTable) -> int:
    """The status of the first row of ``table`` that ``exc`` is an instance of."""
    return next(status for kind, status in table if isinstance(exc, kind))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Seed 004's error document; ``details`` is ``{}`` when not given."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None, **headers: str
) -> JSONResponse:
    """:func:`error_body` as a JSON answer with ``status`` and ``headers``."""
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


def install(
    app: FastAPI,
    *,
    table: StatusTable,
    auth_scheme: str,
    redis_name: str,
    retry_after: tuple[type[SpineLiftError], ...] = (),
) -> None:
    """Register the handlers on ``app``.

    ``auth_scheme`` is the ``WWW-Authenticate`` value of a 401; an error of a
    ``retry_after`` kind, and every :class:`RateLimitedError`, carries ``Retry-After`` (its
    ``details["retry_after"]``, else 5);
    ``redis_name`` names Redis in the 503 message (``"the {redis_name} is unreachable"``).
    """

    @app.exception_handler(SpineLiftError)
    async def spinelift_error(request: Request, exc: SpineLiftError) -> JSONResponse:
        if isinstance(exc, InternalError):  # a fault of ours: as any unexpected error
            return _internal(request, exc)
        headers: dict[str, str] = {}
        if isinstance(exc, (*retry_after, RateLimitedError)):
            headers["Retry-After"] = str(exc.details.get("retry_after", 5))
        if isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = auth_scheme
        return error_response(status_for(exc, table), exc.code, exc.message, exc.details, **headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid(list(exc.errors()))

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        return _invalid(list(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(redis.RedisError)
    async def redis_down(request: Request, exc: redis.RedisError) -> JSONResponse:
        log.error("%s unavailable: %s", redis_name, exc)
        return error_response(
            503,
            "SERVICE_UNAVAILABLE",
            f"the {redis_name} is unreachable; try again later",
            {"request_id": request_id_var.get()},
            **{"Retry-After": "5"},
        )


def _internal(request: Request, exc: InternalError) -> JSONResponse:
    """The 500 :class:`~spinelift.http.middleware.RequestContext` answers for anything
    unexpected: logged with its traceback, the client told only the request id."""
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    request_id = request_id_var.get()
    return error_response(
        500,
        InternalError.code,
        f"internal error; quote request id {request_id}",
        {"request_id": request_id},
    )


def _invalid(errors: list[Any]) -> JSONResponse:
    return error_response(
        422, "INVALID_PARAMETERS", "the request is invalid", {"fields": field_errors(errors)}
    )
