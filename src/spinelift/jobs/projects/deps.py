"""What the web app's jobs use (:class:`JobDeps`), held once per process.

The actor bodies find it with :func:`current_deps`: set by
:func:`~spinelift.jobs.projects.actors.configure` (the worker entry, an app running
jobs in-process, a test), kept in the shared :class:`~spinelift.jobs.holder.Holder`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dramatiq

from spinelift.config import ServiceSettings
from spinelift.io.psd.limits import DocumentBudget
from spinelift.jobs.broker import redis_client, require_redis_url
from spinelift.jobs.holder import Holder
from spinelift.jobs.projects.events import EventBus
from spinelift.jobs.projects.mesh_client import MeshServiceClient, client_for
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database, database_url_from_env


@dataclass(frozen=True)
class JobDeps:
    """What the jobs use. ``broker``: where messages go (default: Dramatiq's global one)."""

    db: Database
    blobs: BlobStore
    events: EventBus
    broker: dramatiq.Broker | None = None
    mesh_client: MeshServiceClient | None = None
    """set: GenerateMesh is delegated to this mesh service instead of run here"""
    stale_after: float = 30.0
    """seconds without a heartbeat after which a running job is presumed lost"""
    budget: DocumentBudget = field(default_factory=DocumentBudget)
    """what one uploaded document may hold (checked before it is decoded)"""


HOLDER: Holder[JobDeps] = Holder(
    "the project jobs' deps (spinelift.jobs.projects.actors.configure)"
)


def current_deps() -> JobDeps:
    """This process's deps (a programming error before they were configured)."""
    return HOLDER.get()


def deps_from_settings(settings: ServiceSettings, broker: dramatiq.Broker | None = None) -> JobDeps:
    """Deps from the environment: ``SPINELIFT_DATABASE_URL`` / ``DATABASE_URL`` (else SQLite
    in the data dir), blobs in ``<data_dir>/blobs``, events on the settings' Redis."""
    return JobDeps(
        db=Database(database_url_from_env(settings.data_dir)),
        blobs=blob_store_for(settings),
        events=EventBus(redis_client(require_redis_url(settings)), prefix=settings.key_prefix),
        broker=broker,
        stale_after=settings.job_stale_after,
        budget=DocumentBudget(
            settings.max_document_layers,
            settings.max_document_pixels,
            settings.max_layer_pixels,
        ),
        mesh_client=client_for(
            settings.mesh_service_url,
            settings.mesh_service_token,
            callback_url=settings.mesh_callback_url(),
            failure_threshold=settings.mesh_breaker_threshold,
            reset_after=settings.mesh_breaker_reset,
        ),
    )
