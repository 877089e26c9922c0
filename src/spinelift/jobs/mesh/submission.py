"""Creating jobs for the adapters: validation, idempotent job ids, cache, queue limit.

Blocking (Redis, DNS for the URL checks, decoding the image header): the service
calls it from a thread, never on the event loop.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spinelift.config import ServiceSettings
from spinelift.core.settings import MeshSettings
from spinelift.errors import BrokerUnavailableError, InvalidParametersError, QueueFullError
from spinelift.io.image import probe_image
from spinelift.jobs.mesh.context import url_policy
from spinelift.jobs.mesh.keys import image_sha256, settings_sha256
from spinelift.jobs.mesh.notify import Notifier, payload
from spinelift.net.ssrf import check_url
from spinelift.storage.blob_keys import mesh_upload_key
from spinelift.storage.blobs import BlobStore
from spinelift.storage.job_status import JobStatus
from spinelift.storage.job_store import JobRecord, JobStore

JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
JOB_ID_RULE = (
    "job_id must be 1-128 characters of letters, digits, '.', '_' and '-', "
    "starting with a letter or digit"
)
"""the one job id alphabet: safe in a Redis key, a blob key, a URL path and a log line"""


def validate_job_id(value: str) -> str:
    """``value`` if it follows :data:`JOB_ID_RULE`; :class:`InvalidParametersError` (422)
    stating the rule otherwise."""
    if not JOB_ID.match(value):
        raise InvalidParametersError(
            JOB_ID_RULE,
            details={"fields": {"job_id": JOB_ID_RULE}, "pattern": JOB_ID.pattern},
        )
    return value


DEFAULT_ESTIMATE = 2.0

Enqueue = Callable[[str, str], None]
"""``enqueue(job_id, request_id)``: send the job's message to the workers."""


@dataclass(frozen=True)
class MeshRequest:
    image: bytes | None = None
    image_url: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    callback_url: str | None = None
    job_id: str | None = None
    request_id: str = ""


@dataclass(frozen=True)
class Submitted:
    record: JobRecord
    created: bool
    estimated_time: float


class JobSubmitter:
    def __init__(
        self,
        settings: ServiceSettings,
        store: JobStore,
        blobs: BlobStore,
        enqueue: Enqueue,
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.blobs = blobs
        self.enqueue = enqueue
        self.notifier = notifier

    def submit_mesh(self, request: MeshRequest) -> Submitted:
        """Validate and create (or find) the job; a cached result completes it at once.

        Raises :class:`InvalidParametersError`, :class:`UnsafeUrlError`,
        :class:`ImageTooLargeError` / :class:`ImageLoadError` (upload) or
        :class:`QueueFullError`.
        """
        settings = MeshSettings.from_mapping(request.parameters)
        if (request.image is None) == (request.image_url is None):
            raise InvalidParametersError(
                "send exactly one of an image upload (`image`) or `image_url`",
                details={"fields": {"image": "exactly one of image or image_url is required"}},
            )
        job_id = self._job_id(request.job_id)
        existing = self._existing(job_id)
        if existing is not None:
            return existing
        self._check_urls(request.image_url, request.callback_url)
        record = JobRecord(
            job_id=job_id,
            parameters=settings.to_dict(),
            image_url=request.image_url or "",
            callback_url=request.callback_url or "",
            request_id=request.request_id,
            created_at=time.time(),
        )
        if request.image is not None:
            record = self._with_upload(record, request.image, settings)
        return self._create(record)

    def submit_extract(
        self, data: bytes, *, callback_url: str | None, job_id: str | None, request_id: str
    ) -> Submitted:
        """A job extracting the layers of the PSD ``data`` (for PSDs too big to wait for)."""
        job_id = self._job_id(job_id)
        existing = self._existing(job_id)
        if existing is not None:
            return existing
        self._check_urls(None, callback_url)
        digest = image_sha256(data)
        self.blobs.put(mesh_upload_key(digest), data)
        record = JobRecord(
            job_id=job_id,
            kind="extract_layers",
            image_sha256=digest,
            input_key=mesh_upload_key(digest),
            callback_url=callback_url or "",
            request_id=request_id,
            created_at=time.time(),
        )
        return self._create(record)

    def estimate(self) -> float:
        """Seconds until a new job is done: mean job time x queue rounds."""
        stats = self.store.stats()
        count = stats.get("job_seconds_count", 0.0)
        mean = stats["job_seconds_sum"] / count if count else DEFAULT_ESTIMATE
        rounds = 1 + self.store.queued_count() // self.settings.max_concurrent_jobs
        return round(max(mean, 0.1) * rounds, 1)

    def _job_id(self, requested: str | None) -> str:
        if requested is None or requested == "":
            return uuid.uuid4().hex
        return validate_job_id(requested)

    def _existing(self, job_id: str) -> Submitted | None:
        try:
            record = self.store.get(job_id)
        except Exception:
            return None
        return Submitted(record, created=False, estimated_time=self.estimate())

    def _check_urls(self, image_url: str | None, callback_url: str | None) -> None:
        policy = url_policy(self.settings)
        if image_url is not None:
            check_url(image_url, policy)
        if callback_url:
            check_url(callback_url, policy)

    def _with_upload(self, record: JobRecord, data: bytes, settings: MeshSettings) -> JobRecord:
        probe_image(  # refuses bombs and oversized images from the header; the worker decodes
            data,
            max_dimension=self.settings.max_image_dimension,
            max_pixels=self.settings.max_image_pixels,
        )
        digest = image_sha256(data)
        key = mesh_upload_key(digest)
        cached = self.store.cached_result(digest, settings_sha256(settings))
        if cached and self.blobs.exists(cached):
            return record.with_changes(
                status=JobStatus.COMPLETED,
                progress=100,
                message="Mesh generation complete",
                result_key=cached,
                cached=True,
                image_sha256=digest,
                finished_at=time.time(),
            )
        if not self.blobs.exists(key):
            self.blobs.put(key, data)
        return record.with_changes(image_sha256=digest, input_key=key)

    def _create(self, record: JobRecord) -> Submitted:
        if record.status is JobStatus.QUEUED:
            queued = self.store.queued_count()
            if queued >= self.settings.max_queue:
                retry = self.settings.queue_retry_after
                raise QueueFullError(
                    f"{queued} jobs are waiting; try again in {retry} s",
                    details={"retry_after": retry, "queued": queued},
                )
        stored, created = self.store.create(record)
        if created and stored.status is JobStatus.QUEUED:
            try:
                self.enqueue(stored.job_id, stored.request_id)
            except Exception:
                self.store.update(
                    stored.job_id,
                    status=JobStatus.FAILED,
                    error=BrokerUnavailableError("could not queue").body(),
                )
                raise
        elif created and stored.cached:
            self.store.count_many({"cache_hits": 1, "jobs_completed": 1})
            if stored.callback_url and self.notifier is not None:
                self.notifier.send(
                    stored.callback_url,
                    payload(stored.job_id, "completed", 100, stored.message, cached=True),
                )
        return Submitted(stored, created=created, estimated_time=self._eta(stored))

    def _eta(self, record: JobRecord) -> float:
        return 0.0 if record.status is JobStatus.COMPLETED else self.estimate()
