"""``/health`` (seed 002's format), ``/health/live``, ``/health/ready``; no token needed."""

from __future__ import annotations

import os
import resource
import sys
import time
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from spinelift.service.deps import RuntimeDep
from spinelift.service.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service, dependencies and process metrics (seed 002)")
async def health(runtime: RuntimeDep) -> dict[str, Any]:
    dependencies = await run_in_threadpool(check_dependencies, runtime)
    healthy = all(state == "healthy" for state in dependencies.values())
    return {
        "service": runtime.settings.service_name,
        "status": "healthy" if healthy else "degraded",
        "version": runtime.settings.version,
        "port": runtime.settings.port,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dependencies": dependencies,
        "metrics": {
            "uptime_seconds": round(time.time() - runtime.started, 1),
            "memory_usage_mb": round(_memory_mb(), 1),
            "active_connections": int(runtime.metrics.in_flight._value.get()),
            "pid": os.getpid(),
        },
    }


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
    ok = all(state == "healthy" for state in dependencies.values())
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


def _memory_mb() -> float:
    """Resident memory now (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as statm:  # noqa: PTH123 - a procfs read, not a file we own
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1_048_576 if sys.platform == "darwin" else 1024)
