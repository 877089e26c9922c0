"""Seed 002's health document, built from what each app checked.

Contract of :func:`health_document`: ``service``, ``status`` (``healthy`` when every
dependency is ``healthy``, else ``degraded``), ``version``, ``port``, ``timestamp`` (UTC,
ISO 8601), ``dependencies`` as given, and ``metrics``: ``uptime_seconds``,
``memory_usage_mb``, the app's ``extra_metrics``, then ``pid``.

:func:`health_status_code` is the HTTP status that goes with it: 503 only when a
*required* dependency (one the app cannot serve without: its database, broker, storage)
is unhealthy. An optional one (a remote service the app can wait for, such as the mesh
service its jobs delegate to) makes the status ``degraded`` but keeps 200: a load
balancer must not take every app process out of rotation because a dependency they
queue work for is down.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Collection, Mapping
from typing import Any


def all_healthy(dependencies: Mapping[str, str]) -> bool:
    """Every dependency is ``"healthy"`` (true when there are none)."""
    return all(state == "healthy" for state in dependencies.values())


def health_status_code(dependencies: Mapping[str, str], required: Collection[str]) -> int:
    """200, or 503 when a dependency named in ``required`` is not ``"healthy"``."""
    down = any(dependencies.get(name, "healthy") != "healthy" for name in required)
    return 503 if down else 200


def health_document(
    *,
    service: str,
    version: str,
    port: int,
    started: float,
    dependencies: dict[str, str],
    extra_metrics: Mapping[str, Any] | None = None,
    peak_memory_fallback: bool = True,
) -> dict[str, Any]:
    """The ``/health`` body; ``started`` is the process start as ``time.time()``."""
    return {
        "service": service,
        "status": "healthy" if all_healthy(dependencies) else "degraded",
        "version": version,
        "port": port,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dependencies": dependencies,
        "metrics": {
            "uptime_seconds": round(time.time() - started, 1),
            "memory_usage_mb": round(memory_mb(peak_fallback=peak_memory_fallback), 1),
            **(extra_metrics or {}),
            "pid": os.getpid(),
        },
    }


def memory_mb(*, peak_fallback: bool = True) -> float:
    """Resident memory now (Linux); where /proc is absent, the peak or (not
    ``peak_fallback``) 0."""
    try:
        with open("/proc/self/statm") as statm:  # noqa: PTH123 - a procfs read, not a file we own
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576
    except (OSError, ValueError, IndexError):
        if not peak_fallback:
            return 0.0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1_048_576 if sys.platform == "darwin" else 1024)
