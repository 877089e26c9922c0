"""What the routes share for the app's life: settings, stores, the actor, the submitter."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import dramatiq

from spinelift.config import ServiceSettings
from spinelift.jobs.broker import make_broker, require_redis_url
from spinelift.jobs.mesh.actors import declare_actor
from spinelift.jobs.mesh.context import job_store, url_policy
from spinelift.jobs.mesh.notify import CallbackNotifier
from spinelift.jobs.mesh.submission import JobSubmitter
from spinelift.service.metrics import ServiceMetrics
from spinelift.service.waiter import JobWaiter
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.blobs import BlobStore
from spinelift.storage.job_store import JobStore


@dataclass
class Runtime:
    settings: ServiceSettings
    store: JobStore
    blobs: BlobStore
    actor: dramatiq.Actor[Any, Any]
    submitter: JobSubmitter
    metrics: ServiceMetrics
    notifier: CallbackNotifier
    waiter: JobWaiter
    started: float = field(default_factory=time.time)


def build_runtime(
    settings: ServiceSettings,
    metrics: ServiceMetrics,
    *,
    broker: dramatiq.Broker | None = None,
    store: JobStore | None = None,
    blobs: BlobStore | None = None,
) -> Runtime:
    """Wire the service for ``settings``; tests may pass a stub broker or other stores."""
    broker = broker if broker is not None else make_broker(settings)
    store = store if store is not None else job_store(settings)
    blobs = blobs if blobs is not None else blob_store_for(settings)
    actor = declare_actor(broker, settings)

    def enqueue(job_id: str, request_id: str) -> None:
        actor.send_with_options(args=(job_id,), request_id=request_id)

    notifier = CallbackNotifier(
        url_policy(settings), secret=settings.callback_secret, attempts=settings.callback_attempts
    )
    submitter = JobSubmitter(settings, store, blobs, enqueue, notifier)
    metrics.watch(store)
    waiter = JobWaiter(require_redis_url(settings), store.events_channel)
    return Runtime(settings, store, blobs, actor, submitter, metrics, notifier, waiter)
