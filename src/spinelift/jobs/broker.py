"""Dramatiq broker set-up: Redis (real or the embedded one), or a stub in unit tests."""

from __future__ import annotations

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
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


def make_broker(settings: ServiceSettings) -> dramatiq.Broker:
    """A Redis broker for the settings' Redis, namespaced by the key prefix.

    Job time limits come from the actors' ``time_limit``; the middleware's default is
    the settings' ``job_timeout``. :class:`CurrentMessage` lets an actor read its
    message (retries, request id).
    """
    url = require_redis_url(settings)
    broker = RedisBroker(  # type: ignore[no-untyped-call]  # dramatiq leaves it untyped
        url=url, namespace=f"{settings.key_prefix}-dramatiq"
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
