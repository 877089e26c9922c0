"""``create_app(settings)``: the mesh service as a FastAPI app (OpenAPI at ``/docs``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import dramatiq
from fastapi import APIRouter, FastAPI, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from spinelift.config import ServiceSettings
from spinelift.http.metrics import PROMETHEUS_TEXT
from spinelift.http.middleware import RequestContext
from spinelift.logs import configure_logging
from spinelift.service import errors, health_routes, layers_routes, mesh_routes
from spinelift.service.deps import Authenticated, RuntimeDep
from spinelift.service.metrics import ServiceMetrics
from spinelift.service.runtime import build_runtime
from spinelift.service.schemas import GenerateJson
from spinelift.storage.blobs import BlobStore
from spinelift.storage.job_store import JobStore

metrics_router = APIRouter(tags=["metrics"], dependencies=[Authenticated])


@metrics_router.get("/metrics", summary="Prometheus metrics (text format)")
async def metrics(runtime: RuntimeDep) -> Response:
    data = await run_in_threadpool(runtime.metrics.render)
    return Response(data, media_type=PROMETHEUS_TEXT)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    broker: dramatiq.Broker | None = None,
    store: JobStore | None = None,
    blobs: BlobStore | None = None,
) -> FastAPI:
    """The mesh service for ``settings`` (default: from the environment).

    ``broker``/``store``/``blobs`` replace the ones made from the settings (tests).
    """
    settings = settings or ServiceSettings()
    configure_logging(settings.log_level, settings.log_format)
    service_metrics = ServiceMetrics()
    runtime = build_runtime(settings, service_metrics, broker=broker, store=store, blobs=blobs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.waiter.start()
        try:
            yield
        finally:
            await runtime.waiter.stop()
            await run_in_threadpool(runtime.notifier.close)

    open_docs = settings.public_docs
    app = FastAPI(
        title="SpineLift mesh service",
        version=settings.version,
        description="Layered art to Spine meshes. Every endpoint but /health* needs the "
        "`X-Service-Token` header.",
        lifespan=lifespan,
        docs_url="/docs" if open_docs else None,
        openapi_url="/openapi.json" if open_docs else None,
    )
    app.state.runtime = runtime
    errors.install(app)
    app.include_router(health_routes.router)
    app.include_router(mesh_routes.router)
    app.include_router(layers_routes.router)
    app.include_router(metrics_router)
    app.add_middleware(
        RequestContext,
        max_body=settings.max_request_size,
        logger=logging.getLogger("spinelift.service.middleware"),
        on_start=service_metrics.request_started,
        on_finish=service_metrics.request_finished,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    if not open_docs:
        _protected_docs(app)
    return app


def _protected_docs(app: FastAPI) -> None:
    """/openapi.json and /docs behind the service token (``public_docs`` turns this off:
    a browser cannot send the header when Swagger UI fetches the schema)."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Authenticated])
    async def openapi_json() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Authenticated])
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        generated = GenerateJson.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(generated.pop("$defs", {}))
        components["GenerateJson"] = generated
        schema.setdefault("components", {})["securitySchemes"] = {
            "ServiceToken": {"type": "apiKey", "in": "header", "name": "X-Service-Token"}
        }
        app.openapi_schema = schema
    return app.openapi_schema
