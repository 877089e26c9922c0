"""``/health`` (seed 002's format), ``/health/live``, ``/health/ready``; no token needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from spinelift.http.health import all_healthy, health_document
from spinelift.service.deps import RuntimeDep
from spinelift.service.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service, dependencies and process metrics (seed 002)")
async def health(runtime: RuntimeDep) -> dict[str, Any]:
    dependencies = await run_in_threadpool(check_dependencies, runtime)
    return health_document(
        service=runtime.settings.service_name,
        version=runtime.settings.version,
        port=runtime.settings.port,
        started=runtime.started,
        dependencies=dependencies,
        extra_metrics={"active_connections": int(runtime.metrics.in_flight._value.get())},
    )


@router.get("/health/live", summary="The process answers (liveness)")
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get(
    "/health/ready",
    summary="Broker and storage reachable (readiness); 503 when not",
    responses={503: {"description": "a dependency is unreachable"}},
)
async def ready(runtime: RuntimeDep) -> JSONResponse:
    dependencies = await run_in_threadpool(check_dependencies, runtime)
    ok = all_healthy(dependencies)
    body = {"status": "ready" if ok else "not_ready", "dependencies": dependencies}
    return JSONResponse(body, status_code=200 if ok else 503)


def check_dependencies(runtime: Runtime) -> dict[str, str]:
    """``{"redis": ..., "storage": ...}``: ``healthy`` or ``unhealthy`` each."""
    states: dict[str, str] = {}
    try:
        states["redis"] = "healthy" if runtime.store.ping() else "unhealthy"
    except Exception:
        states["redis"] = "unhealthy"
    try:
        runtime.blobs.put("health/probe", b"ok")
        states["storage"] = "healthy" if runtime.blobs.exists("health/probe") else "unhealthy"
    except Exception:
        states["storage"] = "unhealthy"
    return states
