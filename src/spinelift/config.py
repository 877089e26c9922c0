"""Settings of the adapters (mesh service, workers), read from the environment.

Every setting is an environment variable ``SPINELIFT_<NAME>`` (upper case), or a
line of a ``.env`` file in the working directory; ``REDIS_URL`` is also accepted
without the prefix (seed 002's name). The core never reads the environment: the
adapters pass values down.

================================  ========================  ========================================
variable                          default                   meaning
================================  ========================  ========================================
SPINELIFT_SERVICE_NAME            spinelift-mesh-service    name in /health and the logs
SPINELIFT_HOST / _PORT            127.0.0.1 / 8000          where ``spinelift mesh-service`` listens
SPINELIFT_SERVICE_URL             http://<host>:<port>      the mesh service's URL as clients reach
                                                            it (status_url, result_url); the Host
                                                            header is never used
SPINELIFT_DATA_DIR                ./spinelift-data          blobs (uploads, results), database,
                                                            broker state; relative to the folder
                                                            the server starts in (stated on start)
SPINELIFT_REDIS_URL, REDIS_URL    (unset)                   Redis for jobs and job state; unset: the
                                                            embedded broker of ``mesh-service``
SPINELIFT_KEY_PREFIX              spinelift                 Redis key prefix (``<prefix>:job:<id>``)
SPINELIFT_SERVICE_TOKEN           (unset)                   the ``X-Service-Token`` clients send
SPINELIFT_SERVICE_TOKEN_PREVIOUS  (unset)                   also accepted, while rotating tokens
SPINELIFT_CALLBACK_SECRET         (unset)                   HMAC key that signs callbacks
SPINELIFT_MAX_IMAGE_DIMENSION     4096                      widest/tallest image accepted (px)
SPINELIFT_MAX_IMAGE_PIXELS        16777216                  largest width x height accepted
SPINELIFT_MAX_REQUEST_SIZE        104857600                 largest request body (bytes); 413 beyond
SPINELIFT_MAX_CONCURRENT_JOBS     10                        workers ``mesh-service`` starts (max)
SPINELIFT_MAX_QUEUE               100                       queued jobs before new ones get 429
SPINELIFT_QUEUE_RETRY_AFTER       5                         Retry-After (seconds) sent with 429
SPINELIFT_JOB_TIMEOUT             600                       seconds a job may run (then JOB_TIMEOUT)
SPINELIFT_JOB_RETRIES             3                         retries of a crashed job (with backoff)
SPINELIFT_JOB_TTL                 604800                    seconds job state and cache entries live
SPINELIFT_PSD_SYNC_MAX_BYTES      20971520                  bigger PSDs are extracted by a job (202)
SPINELIFT_FETCH_TIMEOUT           10                        seconds to fetch an ``image_url``
SPINELIFT_CALLBACK_ATTEMPTS       5                         tries per callback (backoff 0.5-8 s)
SPINELIFT_URL_ALLOW_PRIVATE       false                     URLs may reach private addresses (TESTS)
SPINELIFT_MESH_SERVICE_URL,       (unset)                   project workers: GenerateMesh is sent to
MESH_SERVICE_URL                                            this mesh service; unset: meshed in the
                                                            worker (jobs/projects/mesh_client.py)
SPINELIFT_MESH_SERVICE_TOKEN,     (unset)                   the ``X-Service-Token`` sent to it
MESH_SERVICE_TOKEN
SPINELIFT_MESH_BREAKER_THRESHOLD  5                         failed calls in a row that open the
                                                            circuit to the mesh service
SPINELIFT_MESH_BREAKER_RESET      30                        seconds before an open circuit lets one
                                                            trial call through
SPINELIFT_LOG_LEVEL               INFO                      log level of SpineLift's loggers
SPINELIFT_LOG_FORMAT              auto                      json, text, or auto (text when stderr is
                                                            a terminal, JSON lines otherwise); every
                                                            line (Dramatiq's, uvicorn's) follows it
SPINELIFT_JOB_STALE_AFTER         6                         seconds without a heartbeat before a
                                                            running job's worker is presumed lost
                                                            (the job is queued and sent again)
SPINELIFT_CLEANUP_INTERVAL        1                         seconds between two recovery passes of
                                                            the workers (one at a time per Redis)
SPINELIFT_BROKER_HEARTBEAT_TIMEOUT 6                        seconds of silence before Dramatiq
                                                            treats a worker as dead and requeues
                                                            its unacknowledged messages
SPINELIFT_URL_ALLOW_HOSTS         (empty)                   hosts (comma-separated) image_url and
                                                            callback_url may reach though private
                                                            (an internal web app with callbacks)
SPINELIFT_PUBLIC_URL              (unset)                   the web app's URL as the mesh service
                                                            sees it: delegated jobs then get
                                                            signed progress callbacks there
SPINELIFT_STORAGE_BACKEND         local                     local (<data_dir>/blobs) or s3
SPINELIFT_S3_BUCKET               (unset)                   the bucket (needed with s3)
SPINELIFT_S3_PREFIX               (empty)                   key prefix inside the bucket
SPINELIFT_S3_ENDPOINT_URL         (unset)                   MinIO, Ceph, R2...; unset: AWS
SPINELIFT_S3_REGION               (unset)                   region; credentials come from boto3's
                                                            usual chain (AWS_ACCESS_KEY_ID...)
================================  ========================  ========================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from spinelift import __version__

MIB = 1024 * 1024
MESH_PROGRESS_PATH = "/api/v1/mesh/progress"
"""the web app's endpoint receiving the mesh service's signed progress callbacks"""


class AppSettings(BaseSettings):
    """What every SpineLift server process reads alike (``SPINELIFT_<NAME>``): where it
    listens, its data dir, Redis, the mesh service, logging. The apps add their own."""

    model_config = SettingsConfigDict(
        env_prefix="SPINELIFT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    version: str = __version__
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = Path("spinelift-data")
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SPINELIFT_REDIS_URL", "REDIS_URL", "redis_url")
    )
    key_prefix: str = "spinelift"
    mesh_service_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "SPINELIFT_MESH_SERVICE_URL", "MESH_SERVICE_URL", "mesh_service_url"
        ),
    )
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    """``json`` lines, ``text`` lines, or ``auto``: text on a terminal, JSON otherwise"""
    job_stale_after: float = Field(default=6.0, gt=0)
    """seconds without a heartbeat after which a running job's worker is presumed lost"""
    cleanup_interval: float = Field(default=1.0, gt=0)
    """seconds between two recovery passes (lost messages, lost workers) of the workers"""
    broker_heartbeat_timeout: float = Field(default=6.0, gt=0)
    """seconds of silence after which Dramatiq requeues a worker's unacknowledged messages"""
    callback_secret: str | None = None
    """HMAC key of progress callbacks: the mesh service signs with it, the web app checks"""
    public_url: str | None = None
    """the web app's base URL as the mesh service reaches it (signed progress callbacks)"""
    max_document_layers: int = Field(default=500, ge=1)
    """most drawable layers an uploaded document may hold (checked before decoding)"""
    max_document_pixels: int = Field(default=24 * MIB, ge=1)
    """most pixels across an uploaded document's layer boxes (checked before decoding;
    with the defaults a worker's peak stays under 1 GiB, see docs/reliability.md)"""
    max_layer_pixels: int = Field(default=16 * MIB, ge=1)
    """most pixels in one layer's box of an uploaded document (checked before decoding)"""
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    @property
    def blob_dir(self) -> Path:
        """Where the local blob store keeps uploads and results."""
        return self.data_dir / "blobs"

    def mesh_callback_url(self) -> str | None:
        """Where the mesh service sends a delegated job's progress: the web app's signed
        endpoint, when both its public URL and the shared callback secret are set."""
        if not (self.public_url and self.callback_secret):
            return None
        return self.public_url.rstrip("/") + MESH_PROGRESS_PATH

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> AppSettings:
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("SPINELIFT_STORAGE_BACKEND=s3 needs SPINELIFT_S3_BUCKET")
        return self


class ServiceSettings(AppSettings):
    """Settings of the mesh service and its workers (see the module docstring)."""

    service_name: str = "spinelift-mesh-service"
    service_url: str | None = None
    """the mesh service's base URL as its clients reach it: absolute ``status_url`` and
    ``result_url`` start with it (unset: ``http://<host>:<port>``; never the Host header)"""
    service_token: str | None = None
    service_token_previous: str | None = None
    public_docs: bool = False
    """serve /docs and /openapi.json without the token (development); by default they
    need it like every endpoint but /health*"""
    max_image_dimension: int = Field(default=4096, ge=1)
    max_image_pixels: int = Field(default=4096 * 4096, ge=1)
    max_request_size: int = Field(default=100 * MIB, ge=1)
    max_concurrent_jobs: int = Field(default=10, ge=1)
    max_queue: int = Field(default=100, ge=0)
    queue_retry_after: int = Field(default=5, ge=1)
    job_timeout: float = Field(default=600.0, gt=0)
    job_retries: int = Field(default=3, ge=0)
    job_ttl: int = Field(default=7 * 24 * 3600, ge=60)
    psd_sync_max_bytes: int = Field(default=20 * MIB, ge=0)
    fetch_timeout: float = Field(default=10.0, gt=0)
    callback_attempts: int = Field(default=5, ge=1)
    url_allow_private: bool = False
    url_allow_hosts: str = ""
    mesh_breaker_threshold: int = Field(default=5, ge=1)
    mesh_breaker_reset: float = Field(default=30.0, gt=0)
    mesh_service_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "SPINELIFT_MESH_SERVICE_TOKEN", "MESH_SERVICE_TOKEN", "mesh_service_token"
        ),
    )

    def allowed_hosts(self) -> tuple[str, ...]:
        """``url_allow_hosts`` as a tuple of host names."""
        return tuple(h.strip() for h in self.url_allow_hosts.split(",") if h.strip())

    @property
    def queue_name(self) -> str:
        """The Dramatiq queue the mesh actors use."""
        return "spinelift-mesh"

    def tokens(self) -> tuple[str, ...]:
        """The service tokens accepted now (current first)."""
        return tuple(t for t in (self.service_token, self.service_token_previous) if t)
