"""``GET /metrics``: Prometheus text, for a scraper holding ``SPINELIFT_METRICS_TOKEN``.

Prometheus sends it as ``Authorization: Bearer <token>`` (``authorization:
credentials_file`` in a scrape config). No user token opens it, and without a
configured token it is closed: metrics name routes and counts that are nobody's business.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from spinelift.errors import AuthenticationError
from spinelift.http.metrics import PROMETHEUS_TEXT
from spinelift.web.runtime import WebRuntime

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (needs Authorization: Bearer <SPINELIFT_METRICS_TOKEN>)",
    response_class=Response,
    responses={200: {"content": {PROMETHEUS_TEXT: {}}}},
)
async def metrics(request: Request, authorization: Annotated[str, Header()] = "") -> Response:
    runtime: WebRuntime = request.app.state.runtime
    expected = runtime.settings.metrics_token
    if not expected:
        raise AuthenticationError("/metrics is closed: set SPINELIFT_METRICS_TOKEN to scrape it")
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise AuthenticationError("send Authorization: Bearer <SPINELIFT_METRICS_TOKEN>")
    data = await run_in_threadpool(runtime.metrics.render)
    return Response(data, media_type=PROMETHEUS_TEXT)
