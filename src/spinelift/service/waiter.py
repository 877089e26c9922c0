"""Long polling: ``GET .../status?wait=S`` answers as soon as the job finishes.

One Redis pub/sub subscription per API process listens to the job store's
``events:finished`` channel and wakes the requests waiting on that job; a client
then needs one status request per job instead of polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

log = logging.getLogger(__name__)


class JobWaiter:
    def __init__(self, redis_url: str, channel: str) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._client: aioredis.Redis | None = None

    async def start(self) -> None:
        self._client = aioredis.Redis.from_url(self.redis_url)
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def wait(
        self, job_id: str, timeout: float, finished: Callable[[], Awaitable[bool]]
    ) -> None:
        """Return when ``finished()`` is true, re-checked on each event for ``job_id``,
        or after ``timeout`` seconds. Without a listener, checks every 0.2 s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await finished():
            left = deadline - loop.time()
            if left <= 0:
                return
            if self._task is None or self._task.done():
                await asyncio.sleep(min(0.2, left))
                continue
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(job_id, set()).add(future)
            try:
                if await finished():  # it may have finished before we listened
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(future, left)
            finally:
                waiters = self._waiters.get(job_id)
                if waiters is not None:
                    waiters.discard(future)
                    if not waiters:
                        del self._waiters[job_id]

    async def _listen(self) -> None:
        assert self._client is not None
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: waiters fall back to timeouts; retry
                log.warning("job events subscription lost: %s", exc)
                self._wake_all()
                await asyncio.sleep(1.0)

    def _wake(self, job_id: str) -> None:
        for future in self._waiters.get(job_id, ()):
            if not future.done():
                future.set_result(None)

    def _wake_all(self) -> None:
        for job_id in list(self._waiters):
            self._wake(job_id)
