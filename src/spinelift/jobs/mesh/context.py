"""What a job needs, built once per process from the settings (or given by tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinelift.config import ServiceSettings
from spinelift.core.mesh import Mesh
from spinelift.core.pipeline import build_mesh
from spinelift.core.settings import MeshSettings
from spinelift.jobs.broker import redis_client, require_redis_url
from spinelift.jobs.holder import Holder
from spinelift.jobs.mesh.notify import CallbackNotifier, Notifier
from spinelift.net.ssrf import UrlPolicy
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.blobs import BlobStore
from spinelift.storage.job_store import JobStore

MeshBuilder = Callable[..., Mesh]
"""``build_mesh``'s signature; tests inject slow or failing fakes."""


@dataclass
class JobContext:
    settings: ServiceSettings
    store: JobStore
    blobs: BlobStore
    notifier: Notifier
    builder: MeshBuilder = build_mesh

    def build(
        self,
        rgba: npt.NDArray[np.uint8],
        settings: MeshSettings,
        progress: Callable[[int, str], None],
    ) -> Mesh:
        return self.builder(
            rgba, settings, progress, max_dimension=self.settings.max_image_dimension
        )


def url_policy(settings: ServiceSettings) -> UrlPolicy:
    """The SSRF policy for ``image_url`` and ``callback_url``."""
    return UrlPolicy(
        allow_private=settings.url_allow_private,
        allow_hosts=settings.allowed_hosts(),
        timeout=settings.fetch_timeout,
        max_bytes=settings.max_request_size,
    )


def job_store(settings: ServiceSettings) -> JobStore:
    client = redis_client(require_redis_url(settings))
    return JobStore(client, prefix=settings.key_prefix, ttl=settings.job_ttl)


def build_context(settings: ServiceSettings) -> JobContext:
    """The context of a worker process for ``settings``."""
    return JobContext(
        settings=settings,
        store=job_store(settings),
        blobs=blob_store_for(settings),
        notifier=CallbackNotifier(
            url_policy(settings),
            secret=settings.callback_secret,
            attempts=settings.callback_attempts,
        ),
    )


_holder: Holder[JobContext] = Holder(
    "the mesh jobs' context", lambda: build_context(ServiceSettings())
)


def get_context() -> JobContext:
    """This process's context (built from the environment on first use)."""
    return _holder.get()


def set_context(context: JobContext | None) -> None:
    """Use ``context`` in this process (tests, embedded set-ups)."""
    _holder.set(context)
