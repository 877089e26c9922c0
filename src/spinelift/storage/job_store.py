"""Job state in Redis: one hash per job, a result cache, a queue gauge and statistics.

Keys (seed 002's ``{service}:{resource}:{id}`` convention, ``prefix`` = ``spinelift``):

- ``<prefix>:job:<job_id>``: hash of a :class:`JobRecord` (JSON-encoded values); TTL
- ``<prefix>:cache:<image sha256>:<settings sha256>``: blob key of a finished result; TTL
- ``<prefix>:queued``: sorted set of job ids waiting for a worker (score: enqueue time)
- ``<prefix>:stats``: hash of counters (jobs finished by status, mesh runs, seconds)
- ``<prefix>:events:finished``: pub/sub channel; the id of each job that completes or fails

Redis outlives every worker: a worker that dies leaves its job ``processing`` and the
broker redelivers the message, so the next attempt picks the job up where it stands.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, cast

import redis

from spinelift.errors import JobNotFoundError
from spinelift.storage.job_status import FINAL, JobStatus

_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""


@dataclass(frozen=True, slots=True)
class JobRecord:
    """Everything known about one job. Times are Unix seconds (0 = not yet)."""

    job_id: str
    kind: str = "mesh"
    """``mesh`` (an image to a mesh attachment) or ``extract_layers`` (a PSD to layers)"""
    status: JobStatus = JobStatus.QUEUED
    progress: int = 0
    message: str = "Queued"
    attempts: int = 0
    error: dict[str, Any] | None = None
    """seed 004's ``{"code", "message", "details"}`` when failed"""
    created_at: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    image_sha256: str = ""
    input_key: str = ""
    """blob key of the uploaded image or PSD ("" when the job fetches ``image_url``)"""
    image_url: str = ""
    callback_url: str = ""
    result_key: str = ""
    cached: bool = False
    request_id: str = ""

    def to_redis(self) -> dict[str, str]:
        """Flat string mapping for ``HSET`` (every value JSON-encoded)."""
        return {k: json.dumps(v) for k, v in asdict(self).items()}

    @classmethod
    def from_redis(cls, raw: dict[bytes, bytes]) -> JobRecord:
        known = {f.name for f in fields(cls)}
        values = {k.decode(): json.loads(v) for k, v in raw.items() if k.decode() in known}
        values["status"] = JobStatus(values.get("status", JobStatus.QUEUED))
        return cls(**values)

    def with_changes(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)


class JobStore:
    """Repository of jobs over a Redis client (``decode_responses`` off)."""

    def __init__(self, client: redis.Redis, *, prefix: str = "spinelift", ttl: int = 604800):
        self.client = client
        self.prefix = prefix
        self.ttl = ttl
        self._create = client.register_script(_CREATE)

    def key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def create(self, record: JobRecord) -> tuple[JobRecord, bool]:
        """Store ``record`` unless its job id exists; return (the stored job, created?)."""
        created = self._create(keys=[self.key(record.job_id)], args=_create_args(record, self.ttl))
        if created:
            if record.status is JobStatus.QUEUED:
                self.client.zadd(self._queued, {record.job_id: time.time()})
            return record, True
        return self.get(record.job_id), False

    def get(self, job_id: str) -> JobRecord:
        """The job; raises :class:`JobNotFoundError` for an unknown (or expired) id."""
        raw = cast(dict[bytes, bytes], self.client.hgetall(self.key(job_id)))
        if not raw:
            raise JobNotFoundError(f"no job {job_id!r}", details={"job_id": job_id})
        return JobRecord.from_redis(raw)

    def update(self, job_id: str, **changes: Any) -> None:
        """Set some fields of an existing job (the TTL is kept)."""
        mapping = {k: json.dumps(v) for k, v in changes.items()}
        status = changes.get("status")
        if status is None:
            self.client.hset(self.key(job_id), mapping=mapping)
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(self.key(job_id), mapping=mapping)
        if status != JobStatus.QUEUED:
            pipe.zrem(self._queued, job_id)
        if status in FINAL:
            pipe.publish(self.events_channel, job_id)
        pipe.execute()

    def queued_count(self) -> int:
        """Jobs waiting for a worker (entries older than the TTL are dropped first)."""
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(self._queued, 0, time.time() - self.ttl)
        pipe.zcard(self._queued)
        return int(pipe.execute()[1])

    def cached_result(self, image_sha256: str, settings_sha256: str) -> str | None:
        """Blob key of the result for this image and settings, if one was made."""
        value = self.client.get(self._cache(image_sha256, settings_sha256))
        return cast(bytes, value).decode() if value else None

    def cache_result(self, image_sha256: str, settings_sha256: str, result_key: str) -> None:
        self.client.set(self._cache(image_sha256, settings_sha256), result_key, ex=self.ttl)

    def count_many(self, amounts: dict[str, float]) -> None:
        """:meth:`count` for several statistics in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for name, amount in amounts.items():
            pipe.hincrbyfloat(self._stats, name, amount)
        pipe.execute()

    def stats(self) -> dict[str, float]:
        raw = cast(dict[bytes, bytes], self.client.hgetall(self._stats))
        return {k.decode(): float(v) for k, v in raw.items()}

    def ping(self) -> bool:
        return bool(self.client.ping())

    @property
    def events_channel(self) -> str:
        """Pub/sub channel that carries the id of every job reaching a final status."""
        return f"{self.prefix}:events:finished"

    @property
    def _queued(self) -> str:
        return f"{self.prefix}:queued"

    @property
    def _stats(self) -> str:
        return f"{self.prefix}:stats"

    def _cache(self, image_sha256: str, settings_sha256: str) -> str:
        return f"{self.prefix}:cache:{image_sha256}:{settings_sha256}"


def _create_args(record: JobRecord, ttl: int) -> list[str | int]:
    args: list[str | int] = [ttl]
    for key, value in record.to_redis().items():
        args.extend((key, value))
    return args
