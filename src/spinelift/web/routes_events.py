"""Live progress: ``WS /api/v1/projects/{id}/events?token=JWT`` and the polling fallback
``GET /api/v1/projects/{id}/events/snapshot``.

Browsers cannot set headers on a WebSocket, so the access token comes in the query. The
socket is accepted first and refusals close it with a code (a close before accepting
reaches a browser as a bare 403, code 1006). Once open, the first message is the
project's snapshot (``{"type": "snapshot", ...}``), then every event published for the
project by any process (Redis pub/sub through the process's
:class:`~spinelift.web.event_hub.EventHub`) until the client leaves. Pub/sub is fire and
forget: a client that may have missed events reads the snapshot again (the database is
the source of truth).

Close codes (``reason`` says which case):

====  =====================================================================================
4401  no, a bad, expired or signed-out token; the account was deactivated or deleted, or
      its tokens were renewed (password change)
4404  no such project, another user's, or the project was deleted while the socket was open
4429  the user already has ``SPINELIFT_WS_MAX_PER_USER`` sockets open (any app process)
1011  the event stream was lost or could not be checked (Redis or the database away),
      or the client fell too far behind: reconnect (and read the snapshot again)
====  =====================================================================================

An open socket does not outlive what it was for: every event is checked before it is
relayed (the project still exists, is still its user's, and that account still honours
the token: otherwise the socket closes, 4404 or 4401, and the event is not sent), and
every ``RECHECK_SECONDS`` the socket checks the same without an event (sign-out,
deactivation, a deletion nobody announced) and renews its slot. It closes with 4401 when
its token expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from spinelift.errors import AuthenticationError, NotFoundError
from spinelift.jobs.projects.events import project_snapshot
from spinelift.web.accounts import GONE
from spinelift.web.auth import TokenClaims
from spinelift.web.deps import IdPath, RuntimeDep, UserIdDep
from spinelift.web.event_hub import StreamEndedError, Subscription, Verdict
from spinelift.web.runtime import WebRuntime

router = APIRouter(prefix="/api/v1/projects/{project_id}/events", tags=["events"])
log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
CLOSE_STREAM_LOST = 1011
RECHECK_SECONDS = 15.0
"""how often an open socket checks its token, account and project without an event"""

Closing = tuple[int, str]


@router.get("/snapshot", summary="The project's state now (polling fallback of the WebSocket)")
async def snapshot(runtime: RuntimeDep, user_id: UserIdDep, project_id: IdPath) -> dict[str, Any]:
    state = await run_in_threadpool(project_snapshot, runtime.db, user_id, project_id)
    if state is None:
        raise NotFoundError("no such project", details={"project_id": project_id})
    return state


@router.websocket("")
async def events(websocket: WebSocket, project_id: IdPath, token: str = "") -> None:
    runtime: WebRuntime = websocket.app.state.runtime
    await websocket.accept()
    slot = uuid.uuid4().hex
    sockets = runtime.sockets
    try:
        claims = await run_in_threadpool(runtime.tokens.verify, token)
        acquired = await run_in_threadpool(sockets.acquire, claims.user_id, slot)
    except AuthenticationError as exc:
        await _close(websocket, (CLOSE_UNAUTHORIZED, exc.message))
        return
    except Exception:  # Redis or the database away: nothing can be checked now
        log.warning("cannot check a WebSocket's token", exc_info=True)
        await _close(websocket, (CLOSE_STREAM_LOST, "cannot check the token now: reconnect"))
        return
    if not acquired:
        reason = f"too many open WebSockets (at most {sockets.cap} per user)"
        await _close(websocket, (CLOSE_TOO_MANY, reason))
        return
    runtime.metrics.websockets.inc()
    try:
        closing = await _serve(runtime, websocket, claims, project_id, slot)
    finally:
        runtime.metrics.websockets.dec()
        with contextlib.suppress(Exception):
            await run_in_threadpool(sockets.release, claims.user_id, slot)
    if closing is not None:
        await _close(websocket, closing)


async def _serve(
    runtime: WebRuntime, websocket: WebSocket, claims: TokenClaims, project_id: int, slot: str
) -> Closing | None:
    """Snapshot, then events until the client leaves (``None``) or a reason to close."""
    try:
        async with runtime.hub.subscribe(project_id) as subscription:
            state = await run_in_threadpool(
                project_snapshot, runtime.db, claims.user_id, project_id
            )
            if state is None:
                return (CLOSE_NOT_FOUND, "no such project")
            await websocket.send_json(state)
            tasks = [
                asyncio.create_task(_relay(websocket, subscription, claims)),
                asyncio.create_task(_guard(runtime, claims, project_id, slot)),
                asyncio.create_task(_client_left(websocket)),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                result: Closing | None = next(iter(done)).result()
                return result
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
    except StreamEndedError as exc:
        return (CLOSE_STREAM_LOST, exc.message)
    except (WebSocketDisconnect, RuntimeError):
        return None  # the client went away while we were sending


async def _client_left(websocket: WebSocket) -> Closing | None:
    """The client sends nothing we need; this notices it leaving."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    return None


def _refusal(verdict: Verdict, claims: TokenClaims) -> Closing | None:
    """Why this socket must not see an event checked as ``verdict`` (``None``: it may)."""
    if verdict.owner_id != claims.user_id:
        return (CLOSE_NOT_FOUND, "the project no longer exists")
    if verdict.version == GONE:
        return (CLOSE_UNAUTHORIZED, "the account was deactivated or deleted")
    if verdict.version != claims.version:
        return (CLOSE_UNAUTHORIZED, "the access token predates a change to the account")
    return None


async def _relay(websocket: WebSocket, subscription: Subscription, claims: TokenClaims) -> Closing:
    try:
        while True:
            event, verdict = await subscription.get()
            refusal = _refusal(verdict, claims)
            if refusal is not None:
                return refusal
            await websocket.send_json(event)
    except StreamEndedError as exc:
        return (CLOSE_STREAM_LOST, exc.message)


async def _guard(runtime: WebRuntime, claims: TokenClaims, project_id: int, slot: str) -> Closing:
    """Close when the token expires, or when a recheck finds the token, account or project
    no longer good; renew the socket's slot meanwhile."""
    while True:
        left = claims.expires_at - time.time()
        if left <= 0:
            return (CLOSE_UNAUTHORIZED, "the access token has expired")
        await asyncio.sleep(min(RECHECK_SECONDS, left))
        if claims.expires_at <= time.time():
            continue  # expired: said at the top
        try:
            await run_in_threadpool(runtime.tokens.check, claims)
            verdict = await run_in_threadpool(runtime.hub.check, project_id)
            await run_in_threadpool(runtime.sockets.renew, claims.user_id, slot)
        except AuthenticationError as exc:
            return (CLOSE_UNAUTHORIZED, exc.message)
        except Exception:  # Redis or the database away: keep the socket, check again later
            log.warning("could not recheck an open WebSocket", exc_info=True)
            continue
        refusal = _refusal(verdict, claims)
        if refusal is not None:
            return refusal


async def _close(websocket: WebSocket, closing: Closing) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code=closing[0], reason=closing[1][:120])
