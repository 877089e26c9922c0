"""``create_app(settings)``: the web app as a FastAPI app (OpenAPI at ``/docs``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import dramatiq
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from spinelift.http.middleware import RequestContext
from spinelift.logs import configure_logging
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database
from spinelift.web import (
    errors,
    routes_activity,
    routes_auth,
    routes_callbacks,
    routes_events,
    routes_files,
    routes_health,
    routes_layers,
    routes_metrics,
    routes_projects,
    routes_ui,
)
from spinelift.web.metrics import WebMetrics
from spinelift.web.runtime import build_runtime
from spinelift.web.settings import WebSettings

# multipart framing and the other form fields on top of the file itself
BODY_OVERHEAD = 1024 * 1024


def create_app(
    settings: WebSettings | None = None,
    *,
    db: Database | None = None,
    blobs: BlobStore | None = None,
    broker: dramatiq.Broker | None = None,
) -> FastAPI:
    """The web app for ``settings`` (default: from the environment).

    ``db``/``blobs``/``broker`` replace the ones made from the settings (tests).
    """
    settings = settings or WebSettings()
    configure_logging(settings.log_level, settings.log_format)
    runtime = build_runtime(settings, db=db, blobs=blobs, broker=broker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await runtime.hub.close()
            await run_in_threadpool(runtime.redis.close)

    app = FastAPI(
        title="SpineLift web app",
        version=settings.version,
        description="Layered PSDs to Spine projects. Sign in at /api/v1/auth/signin and send "
        "`Authorization: Bearer <token>`.",
        lifespan=lifespan,
        # Starlette's slash redirect builds its absolute Location from the Host header
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    errors.install(app)
    for module in (
        routes_health,
        routes_auth,
        routes_projects,
        routes_layers,
        routes_events,
        routes_activity,
        routes_callbacks,
        routes_metrics,
    ):
        app.include_router(module.router)
    app.include_router(routes_files.router)
    routes_ui.install(app, settings.ui_vendor_dir)  # the browser UI: pages, /static, /vendor
    app.add_middleware(
        RequestContext,
        max_body=settings.max_upload_size + BODY_OVERHEAD,
        websockets=True,
        logger=access_log,
        on_start=runtime.metrics.request_started,
        on_finish=_finished(runtime.metrics),
    )
    if settings.trusted_proxy_list():  # the client address a trusted proxy forwarded
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list())
    return app


access_log = logging.getLogger("spinelift.web.access")


def _finished(metrics: WebMetrics) -> Callable[[Any, int, float], None]:
    """``on_finish`` of ``RequestContext``: count the request, then log it."""

    def finished(scope: Any, status: int, seconds: float) -> None:
        metrics.request_finished(scope, status, seconds)
        _log_request(scope, status, seconds)

    return finished


def _log_request(scope: Any, status: int, seconds: float) -> None:
    """One JSON access log line per HTTP request."""
    access_log.info(
        "request",
        extra={
            "method": scope.get("method", ""),
            "path": scope.get("path", ""),
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
