"""Live progress: ``WS /api/v1/projects/{id}/events?token=JWT`` and the polling fallback
``GET /api/v1/projects/{id}/events/snapshot``.

Browsers cannot set headers on a WebSocket, so the access token comes in the query.
A bad token closes the socket with 4401, another user's (or a missing) project with
4404, both before it is accepted. Once accepted the first message is the project's
snapshot (``{"type": "snapshot", ...}``), then every event published for the project by
any process (Redis pub/sub) is forwarded until the client leaves. Pub/sub is fire and
forget: a client that may have missed events reads the snapshot again (the database is
the source of truth).

An open socket does not outlive its token: it is closed with 4401 when the token
expires, and within ``RECHECK_SECONDS`` of the token being signed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from spinelift.errors import AuthenticationError
from spinelift.jobs.events import project_snapshot
from spinelift.web.auth import TokenClaims
from spinelift.web.deps import IdPath, RuntimeDep, UserIdDep
from spinelift.web.errors import NotFoundError
from spinelift.web.runtime import WebRuntime

router = APIRouter(prefix="/api/v1/projects/{project_id}/events", tags=["events"])
log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
RECHECK_SECONDS = 15.0
"""how often an open socket checks that its token was not signed out"""


@router.get("/snapshot", summary="The project's state now (polling fallback of the WebSocket)")
async def snapshot(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> dict[str, Any]:
    state = await run_in_threadpool(project_snapshot, runtime.db, user_id, project_id)
    if state is None:
        raise NotFoundError("no such project", details={"project_id": project_id})
    return state


@router.websocket("")
async def events(websocket: WebSocket, project_id: IdPath, token: str = "") -> None:
    runtime: WebRuntime = websocket.app.state.runtime
    try:
        claims = await run_in_threadpool(runtime.tokens.verify, token)
    except AuthenticationError as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
        return
    state = await run_in_threadpool(project_snapshot, runtime.db, claims.user_id, project_id)
    if state is None:
        await websocket.close(code=CLOSE_NOT_FOUND, reason="no such project")
        return
    await websocket.accept()
    await websocket.send_json(state)
    runtime.metrics.websockets.inc()
    forward = asyncio.create_task(_forward(runtime, websocket, project_id))
    guard = asyncio.create_task(_guard(runtime, websocket, claims))
    try:
        while True:  # the client sends nothing we need; this notices it leaving
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        runtime.metrics.websockets.dec()
        for task in (forward, guard):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _guard(runtime: WebRuntime, websocket: WebSocket, claims: TokenClaims) -> None:
    """Close the socket with 4401 when its token expires or is signed out."""
    while True:
        left = claims.expires_at - time.time()
        if left <= 0:
            reason = "the access token has expired"
            break
        await asyncio.sleep(min(RECHECK_SECONDS, left))
        try:
            revoked = await run_in_threadpool(runtime.tokens.is_revoked, claims.jti)
        except Exception:  # Redis away: keep the socket; the check runs again later
            log.warning("could not check the token's sign-out", exc_info=True)
            continue
        if revoked:
            reason = "the access token was signed out"
            break
    with contextlib.suppress(Exception):
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=reason)


async def _forward(runtime: WebRuntime, websocket: WebSocket, project_id: int) -> None:
    try:
        async for event in runtime.events.subscribe(project_id):
            await websocket.send_json(event)
    except asyncio.CancelledError:
        raise
    except Exception:  # the socket or Redis went away: end this connection
        log.warning("event stream ended", extra={"project_id": project_id}, exc_info=True)
        with contextlib.suppress(Exception):
            await websocket.close(code=1011)
