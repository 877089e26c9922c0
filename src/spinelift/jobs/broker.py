"""Dramatiq broker set-up: Redis (real or the embedded one), or a stub in unit tests.

What happens to a message when its worker dies (``SIGKILL``, OOM, a lost machine):
Dramatiq's Redis broker keeps every fetched message in an "acks" set of the worker's
broker id until the worker acknowledges it, and each worker process refreshes its
heartbeat on every broker command (its consumers poll at least once a second, even
while busy). *Maintenance* moves the unacknowledged messages of every worker silent
for ``heartbeat_timeout`` back to their queue; Dramatiq runs it on a random 0.1 % of
commands, so on a quiet system a dead worker's messages could wait many minutes.
:class:`SpineLiftRedisBroker` therefore lets the workers' periodic recovery pass
(:mod:`spinelift.jobs.periodic`) run it on demand (:func:`requeue_dead_workers`), and
:func:`make_broker` sets ``heartbeat_timeout`` from ``SPINELIFT_BROKER_HEARTBEAT_TIMEOUT``
(Dramatiq's default is 60 s). A redelivered message is harmless: every job checks its
state before doing anything.

:func:`message_job_ids` reads which job ids have a message in a queue (waiting,
delayed, or fetched and not yet acknowledged), so the project jobs' recovery re-sends
only the messages that are really gone (a Redis that restarted empty, a failed send).

A worker's consumer refills its prefetch as soon as a message is acknowledged
(:class:`PromptConsumer`): Dramatiq's own consumer, its prefetch full, sleeps with the
backoff of an idle queue (up to the worker timeout, 100 ms under ``spinelift worker``)
and its worker thread then waits that long for the next message it could have had.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, cast

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import dq_name
from dramatiq.middleware import CurrentMessage, TimeLimit

from spinelift.config import ServiceSettings


def redis_client(url: str) -> redis.Redis:
    """A Redis client for ``url`` (``redis://``, ``rediss://`` or ``unix://``)."""
    return redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=10.0)


def require_redis_url(settings: ServiceSettings) -> str:
    if not settings.redis_url:
        raise RuntimeError(
            "no Redis: set SPINELIFT_REDIS_URL (or REDIS_URL), or run `spinelift mesh-service`"
            " which starts an embedded one"
        )
    return settings.redis_url


class PromptConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer, but with its prefetch full it waits for an
    acknowledgement (then fetches at once) instead of sleeping an idle queue's backoff;
    an idle queue is polled as Dramatiq polls it."""

    def __init__(self, broker: RedisBroker, queue_name: str, prefetch: int, timeout: int):
        super().__init__(broker, queue_name, prefetch, timeout)  # type: ignore[no-untyped-call]
        self.settled = threading.Event()

    def ack(self, message: dramatiq.MessageProxy) -> None:
        try:
            super().ack(message)  # type: ignore[no-untyped-call]
        finally:
            self.settled.set()

    def nack(self, message: dramatiq.MessageProxy) -> None:
        try:
            super().nack(message)  # type: ignore[no-untyped-call]
        finally:
            self.settled.set()

    def __next__(self) -> dramatiq.MessageProxy | None:
        if self.message_cache or self.outstanding_message_count < self.prefetch:
            found = super().__next__()  # type: ignore[no-untyped-call]
            return cast("dramatiq.MessageProxy | None", found)
        self.settled.clear()  # then look again: an acknowledgement in between is seen
        if self.outstanding_message_count >= self.prefetch:
            self.settled.wait(self.timeout / 1000)
        return None  # the consumer thread comes back at once (and fetches if it can)


class SpineLiftRedisBroker(RedisBroker):
    """Dramatiq's Redis broker, plus maintenance on demand and consumers that refill
    promptly (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]  # dramatiq is untyped
        self._forced = threading.local()

    @property
    def consumer_class(self) -> type[PromptConsumer]:
        return PromptConsumer

    def _should_do_maintenance(self, command: str) -> int:
        if getattr(self._forced, "on", False):
            return 1
        return int(super()._should_do_maintenance(command))

    def requeue_dead_workers(self, queue_name: str) -> None:
        """Run maintenance now on ``queue_name`` and its delay queue: the unacknowledged
        messages of workers silent for ``heartbeat_timeout`` go back to the queue."""
        self._forced.on = True
        try:
            for name in (queue_name, dq_name(queue_name)):
                self.do_qsize(name)
        finally:
            self._forced.on = False


def make_broker(settings: ServiceSettings) -> dramatiq.Broker:
    """A Redis broker for the settings' Redis, namespaced by the key prefix.

    Job time limits come from the actors' ``time_limit``; the middleware's default is
    the settings' ``job_timeout``. :class:`CurrentMessage` lets an actor read its
    message (retries, request id). A worker silent for ``broker_heartbeat_timeout``
    seconds is dead to the broker (its unacknowledged messages are requeued).
    """
    url = require_redis_url(settings)
    broker = SpineLiftRedisBroker(
        url=url,
        namespace=f"{settings.key_prefix}-dramatiq",
        heartbeat_timeout=int(settings.broker_heartbeat_timeout * 1000),
    )
    add_middleware(broker, settings)
    return broker


def add_middleware(broker: dramatiq.Broker, settings: ServiceSettings) -> None:
    """Add the middleware SpineLift's actors rely on (also to a ``StubBroker``)."""
    for middleware in broker.middleware:
        if isinstance(middleware, TimeLimit):
            middleware.time_limit = int(settings.job_timeout * 1000)
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())


def requeue_dead_workers(broker: dramatiq.Broker, queue_name: str) -> bool:
    """Give dead workers' messages on ``queue_name`` back to the queue now (only with a
    :class:`SpineLiftRedisBroker`; False for any other broker)."""
    if not isinstance(broker, SpineLiftRedisBroker):
        return False
    broker.requeue_dead_workers(queue_name)
    return True


def message_job_ids(broker: dramatiq.Broker, queue_name: str) -> set[str] | None:
    """The first argument (a job id) of every message the Redis broker holds for
    ``queue_name`` (waiting, delayed, or fetched and not yet acknowledged); None when
    the broker is not a Redis broker (unknown). Raises ``redis.RedisError`` when Redis
    is unreachable."""
    if not isinstance(broker, RedisBroker):
        return None
    client = cast(redis.Redis, broker.client)
    found: set[str] = set()
    for name in (queue_name, dq_name(queue_name)):
        key = f"{broker.namespace}:{name}.msgs"
        found.update(_first_args(client.hscan_iter(key, count=500)))
    return found


def _first_args(entries: Iterable[tuple[bytes, bytes]]) -> Iterable[str]:
    for _message_id, data in entries:
        try:
            args = dramatiq.Message.decode(data).args
        except Exception:  # a message we cannot read holds no job of ours
            continue
        if args:
            yield str(args[0])
