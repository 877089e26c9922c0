"""One Redis pub/sub connection per process fans project events out to its WebSockets.

:meth:`EventHub.subscribe` gives a WebSocket a :class:`Subscription` of a project's
channel. The first local subscriber of a channel sends ``SUBSCRIBE`` on the process's one
pub/sub connection (named ``<prefix>:web-events`` in ``CLIENT LIST``), the last one to
leave ``UNSUBSCRIBE``; :meth:`Subscription.ready` waits for Redis to confirm, so an event
published after it is delivered. A thousand sockets are one Redis client, not a thousand.

Every event is checked before any socket sees it: ``check(project_id)`` (run in a thread,
once per event for all the channel's sockets) reads who owns the project now and that
owner's token version; each socket relays the event only if that is still its own user
under its own token (see :mod:`spinelift.web.routes_events`).

Pub/sub is fire and forget. When the connection is lost every subscription ends (its
socket closes with 1011 and the client reconnects, reading the snapshot again); the next
subscriber opens a new connection. A subscriber that falls ``queue_size`` events behind
ends the same way rather than holding memory. State is kept per event loop (one in a
server process; a test client may run several).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from fastapi.concurrency import run_in_threadpool

from spinelift.errors import ServiceUnavailableError
from spinelift.jobs.projects.events import EventBus

log = logging.getLogger(__name__)

READY_TIMEOUT = 10.0
"""seconds Redis has to confirm a subscription"""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Who may see a project's event now: its owner (``None``: the project is gone) and
    that owner's current token version (``0``: deactivated or deleted)."""

    owner_id: int | None
    version: int


Check = Callable[[int], Verdict]


class StreamEndedError(ServiceUnavailableError):
    """The subscription ended: connection lost, or the subscriber fell too far behind
    (the socket closes; the client reconnects)."""


@dataclass(eq=False)
class Subscription:
    """One socket's view of one project's events."""

    project_id: int
    channel: str
    limit: int
    queue: asyncio.Queue[tuple[dict[str, Any], Verdict] | None] = field(
        default_factory=asyncio.Queue
    )
    ended: str | None = None

    async def get(self) -> tuple[dict[str, Any], Verdict]:
        """The next event and its verdict; :class:`StreamEndedError` once the stream is over."""
        item = await self.queue.get()
        if item is None:
            raise StreamEndedError(self.ended or "the event stream ended")
        return item

    def offer(self, item: tuple[dict[str, Any], Verdict]) -> None:
        if self.ended is not None:
            return
        if self.queue.qsize() >= self.limit:
            self.end("too many events waiting: reconnect and read the snapshot")
            return
        self.queue.put_nowait(item)

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
            self.queue.put_nowait(None)


class _LoopState:
    """The pub/sub connection, channels and subscribers of one event loop."""

    def __init__(self, client: aioredis.Redis, check: Check) -> None:
        self.client = client
        self.pubsub = client.pubsub()
        self.check = check
        self.lock = asyncio.Lock()
        self.subs: dict[str, set[Subscription]] = {}
        self.pending: dict[str, deque[asyncio.Future[None]]] = {}
        self.current: dict[str, asyncio.Future[None]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.dead = False

    async def add(self, sub: Subscription) -> asyncio.Future[None]:
        async with self.lock:
            if self.dead:
                raise StreamEndedError("the event stream is being reopened")
            subs = self.subs.setdefault(sub.channel, set())
            subs.add(sub)
            if len(subs) > 1:
                return self.current[sub.channel]
            ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.pending.setdefault(sub.channel, deque()).append(ready)
            self.current[sub.channel] = ready
            await self.pubsub.subscribe(sub.channel)
            if self.reader is None:
                self.reader = asyncio.create_task(self._read())
            return ready

    async def remove(self, sub: Subscription) -> None:
        async with self.lock:
            subs = self.subs.get(sub.channel)
            if subs is None or sub not in subs:
                return
            subs.discard(sub)
            if subs or self.dead:
                return
            del self.subs[sub.channel]
            self.current.pop(sub.channel, None)
            with contextlib.suppress(Exception):
                await self.pubsub.unsubscribe(sub.channel)

    async def _read(self) -> None:
        try:
            while True:
                message = await self.pubsub.get_message(timeout=None)
                if message is not None:
                    await self._handle(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("event stream lost", extra={"error": str(exc)})
            self.fail("the event stream was lost: reconnect")

    async def _handle(self, message: dict[str, Any]) -> None:
        channel = _text(message.get("channel"))
        kind = message.get("type")
        if kind == "subscribe":
            waiting = self.pending.get(channel)
            if waiting:
                ready = waiting.popleft()
                if not ready.done():
                    ready.set_result(None)
            return
        if kind != "message" or not self.subs.get(channel):
            return
        try:
            event = json.loads(message["data"])
        except (TypeError, ValueError):
            return
        if not isinstance(event, dict):
            return
        project_id = next(iter(self.subs[channel])).project_id
        try:
            verdict = await run_in_threadpool(self.check, project_id)
        except Exception as exc:  # cannot check: relay nothing, end these sockets
            log.warning("event not checked", extra={"project_id": project_id, "error": str(exc)})
            for sub in list(self.subs.get(channel, ())):
                sub.end("the event could not be checked: reconnect")
            return
        for sub in list(self.subs.get(channel, ())):
            sub.offer((event, verdict))

    def fail(self, reason: str) -> None:
        self.dead = True
        for subs in self.subs.values():
            for sub in subs:
                sub.end(reason)
        for waiting in self.pending.values():
            for ready in waiting:
                if not ready.done():
                    ready.set_exception(StreamEndedError(reason))
                    ready.exception()  # waiters still get it; nobody else must log it

    async def close(self) -> None:
        self.fail("the app is stopping")
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis
        with contextlib.suppress(Exception):
            await self.client.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class EventHub:
    """The process's fan-out of project events (see the module docstring)."""

    def __init__(self, bus: EventBus, check: Check, *, queue_size: int = 1000) -> None:
        self.bus = bus
        self.check = check
        self.queue_size = queue_size
        self.client_name = f"{bus.prefix}:web-events"
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None or state.dead:
            client = self.bus.async_client(client_name=self.client_name)
            state = self._states[loop] = _LoopState(client, self.check)
        return state

    @contextlib.asynccontextmanager
    async def subscribe(self, project_id: int) -> AsyncIterator[Subscription]:
        """A subscription to ``project_id``'s events, confirmed by Redis when it is
        yielded; :class:`StreamEndedError` if it cannot be made."""
        state = self._state()
        sub = Subscription(project_id, self.bus.channel(project_id), self.queue_size)
        try:
            try:
                ready = await state.add(sub)
                await asyncio.wait_for(asyncio.shield(ready), READY_TIMEOUT)
            except StreamEndedError:
                raise
            except Exception as exc:
                state.fail("the event stream could not be opened")
                raise StreamEndedError(f"cannot subscribe: {exc}") from exc
            yield sub
        finally:
            await state.remove(sub)

    async def close(self) -> None:
        """Close this loop's connection (the app's shutdown)."""
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            state = self._states.pop(loop, None)
            if state is not None:
                await state.close()
