"""``GET /health``: seed 002's format over database, broker, storage and (when
``MESH_SERVICE_URL`` is set) the mesh service.

Any unhealthy dependency makes the status ``degraded``. The HTTP status is 503 only when
a required one (database, broker, storage) is unhealthy; the mesh service is optional:
while it is down, jobs that need it wait for it (they complete once it is back) and the
app still serves everything else, so ``/health`` answers 200 ``degraded``.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from spinelift.http.health import health_document, health_status_code
from spinelift.web.deps import RuntimeDep
from spinelift.web.runtime import WebRuntime

router = APIRouter(tags=["health"])
PROBE_KEY = "health/web-probe"
REQUIRED = ("database", "broker", "storage")
"""dependencies the app cannot serve without (503 when one is unhealthy)"""


@router.get(
    "/health",
    summary="Service, dependencies and process metrics (seed 002); 503 when a required "
    "dependency is down",
    responses={503: {"description": "the database, the broker or the storage is unhealthy"}},
)
async def health(runtime: RuntimeDep) -> JSONResponse:
    dependencies = await run_in_threadpool(check_dependencies, runtime)
    if runtime.settings.mesh_service_url:
        dependencies["mesh-service"] = await check_mesh_service(runtime.settings.mesh_service_url)
    body = health_document(
        service=runtime.settings.web_service_name,
        version=runtime.settings.version,
        port=runtime.settings.port,
        started=runtime.started,
        dependencies=dependencies,
        peak_memory_fallback=False,
    )
    return JSONResponse(body, status_code=health_status_code(dependencies, REQUIRED))


def check_dependencies(runtime: WebRuntime) -> dict[str, str]:
    """``{"database", "broker", "storage"}``: ``healthy`` or ``unhealthy`` each."""
    states: dict[str, str] = {}
    try:
        with runtime.db.session(readonly=True) as session:
            session.execute(text("SELECT 1"))
        states["database"] = "healthy"
    except Exception:
        states["database"] = "unhealthy"
    try:
        states["broker"] = "healthy" if runtime.redis.ping() else "unhealthy"
    except Exception:
        states["broker"] = "unhealthy"
    try:
        runtime.blobs.put(PROBE_KEY, b"ok")
        states["storage"] = "healthy" if runtime.blobs.get(PROBE_KEY) == b"ok" else "unhealthy"
    except Exception:
        states["storage"] = "unhealthy"
    return states


async def check_mesh_service(url: str) -> str:
    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(url.rstrip("/") + "/health")
        ok = response.status_code == 200 and response.json().get("status") == "healthy"
    except (httpx.HTTPError, ValueError, AttributeError):
        ok = False
    return "healthy" if ok else "unhealthy"
