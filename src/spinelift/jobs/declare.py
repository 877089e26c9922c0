"""Declaring a job use's actors on a broker, and starting a worker process.

Both uses declare their actors the same way (:func:`declare_actor`): once per broker
(a second call returns the declared actor), under a fixed actor name and queue name —
the names are the message format: a message queued by an older version names its actor
and queue, so they never change when code moves. A worker process starts with
:func:`start_worker`: one log format, the Redis broker of the settings made the global
one; then each use declares its actors and periodic tasks on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq

from spinelift.config import ServiceSettings
from spinelift.jobs.broker import make_broker
from spinelift.logs import configure_logging


def declare_actor(
    broker: dramatiq.Broker,
    name: str,
    fn: Callable[..., None],
    *,
    queue: str,
    max_retries: int,
    min_backoff: int,
    max_backoff: int,
    time_limit: int | None = None,
) -> dramatiq.Actor[Any, Any]:
    """The actor ``name`` on ``broker``: the declared one, or ``fn`` declared now
    (``time_limit`` and backoffs in milliseconds; ``max_retries``: Dramatiq's retries of
    a raising body)."""
    try:
        return broker.get_actor(name)
    except dramatiq.errors.ActorNotFound:
        options: dict[str, Any] = {}
        if time_limit is not None:
            options["time_limit"] = time_limit
        decorate = dramatiq.actor(
            actor_name=name,
            queue_name=queue,
            broker=broker,
            max_retries=max_retries,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            **options,
        )
        return decorate(fn)


def start_worker(settings: ServiceSettings) -> dramatiq.Broker:
    """A worker process's start: logging set up, the settings' Redis broker made
    Dramatiq's global one (returned)."""
    configure_logging(settings.log_level, settings.log_format)
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    return broker
