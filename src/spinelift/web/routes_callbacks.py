"""``POST /api/v1/mesh/progress``: the mesh service's signed progress callbacks.

When project workers delegate meshing (``MESH_SERVICE_URL``) and the web app knows its
own URL (``SPINELIFT_PUBLIC_URL``), each delegated job carries this endpoint as its
``callback_url``. Seed 000's receiver took callbacks without any check; here each one
must carry a valid ``X-SpineLift-Signature`` of ``X-SpineLift-Timestamp`` + body, keyed
by the ``SPINELIFT_CALLBACK_SECRET`` the two services share, and a timestamp within five
minutes (replays are refused). Without a configured secret the endpoint refuses all.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool

from spinelift.config import MESH_PROGRESS_PATH
from spinelift.errors import AuthenticationError, InvalidParametersError, RequestTooLargeError
from spinelift.jobs.projects.remote_progress import relay_progress
from spinelift.net.callbacks import verify
from spinelift.web.runtime import WebRuntime

router = APIRouter(tags=["callbacks"])

MAX_CALLBACK_BYTES = 64 * 1024


@router.post(
    MESH_PROGRESS_PATH,
    summary="A delegated mesh job's progress, signed by the mesh service (HMAC-SHA256)",
)
async def mesh_progress(
    request: Request,
    x_spinelift_signature: Annotated[str, Header()] = "",
    x_spinelift_timestamp: Annotated[str, Header()] = "",
) -> dict[str, Any]:
    runtime: WebRuntime = request.app.state.runtime
    secret = runtime.settings.callback_secret
    if not secret:
        raise AuthenticationError(
            "mesh service callbacks are off: set SPINELIFT_CALLBACK_SECRET on the web app"
            " and the mesh service"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CALLBACK_BYTES:
            raise RequestTooLargeError(
                f"a callback body is at most {MAX_CALLBACK_BYTES} bytes",
                details={"limit": MAX_CALLBACK_BYTES},
            )
    if not verify(secret, x_spinelift_timestamp, bytes(body), x_spinelift_signature):
        raise AuthenticationError(
            "bad or missing X-SpineLift-Signature / X-SpineLift-Timestamp (or a stale timestamp)"
        )
    payload = _json_object(bytes(body))
    relayed = await run_in_threadpool(relay_progress, runtime.db, runtime.events, payload)
    return {"relayed": relayed}


def _json_object(body: bytes) -> dict[str, Any]:

    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise InvalidParametersError("the callback body is not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidParametersError("the callback body must be a JSON object")
    return value
