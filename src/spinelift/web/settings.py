"""Settings of the web app, read from the environment (``SPINELIFT_<NAME>``).

================================  ========================  ========================================
variable                          default                   meaning
================================  ========================  ========================================
SPINELIFT_WEB_SERVICE_NAME        spinelift-web             name in /health and the logs
SPINELIFT_HOST / _PORT            127.0.0.1 / 8080          where ``spinelift serve`` listens
SPINELIFT_DATA_DIR                ./spinelift-data          SQLite file, blobs, embedded broker
SPINELIFT_DATABASE_URL,           (unset)                   PostgreSQL at scale; unset: SQLite in
DATABASE_URL                                                the data dir
SPINELIFT_REDIS_URL, REDIS_URL    (unset)                   broker + progress pub/sub + token
                                                            denylist; unset: ``serve`` embeds one
SPINELIFT_KEY_PREFIX              spinelift                 Redis key prefix
SPINELIFT_JWT_SECRET              (unset)                   HS256 key of access tokens; unset: one
                                                            is generated per run (warning), so
                                                            tokens die with the process
SPINELIFT_JWT_TTL                 3600                      access token lifetime (seconds)
SPINELIFT_MAX_UPLOAD_SIZE         209715200                 largest upload (bytes); 413 beyond
SPINELIFT_MESH_SERVICE_URL,       (unset)                   a remote mesh service; /health checks
MESH_SERVICE_URL                                            its /health when set
SPINELIFT_LOG_LEVEL               INFO                      level of the JSON logs
================================  ========================  ========================================
"""

from __future__ import annotations

import logging
import secrets

from pydantic import AliasChoices, Field

from spinelift.config import MIB, AppSettings
from spinelift.storage.db import default_database_url

MIN_SECRET_LENGTH = 32

log = logging.getLogger(__name__)


class WebSettings(AppSettings):
    """Settings of the web app (see the module docstring)."""

    web_service_name: str = "spinelift-web"
    port: int = Field(default=8080, ge=0, le=65535)
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SPINELIFT_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    jwt_secret: str | None = None
    jwt_ttl: int = Field(default=3600, ge=30)
    max_upload_size: int = Field(default=200 * MIB, ge=1)

    def resolved_database_url(self) -> str:
        """The database URL, or the embedded SQLite file in the data dir."""
        return self.database_url or default_database_url(self.data_dir)

    def with_jwt_secret(self) -> WebSettings:
        """These settings with a JWT secret: the configured one, or a fresh random one
        (logged as a warning: tokens then stop working when the process ends)."""
        if self.jwt_secret:
            if len(self.jwt_secret) < MIN_SECRET_LENGTH:
                log.warning("SPINELIFT_JWT_SECRET is shorter than %d characters", MIN_SECRET_LENGTH)
            return self
        log.warning("SPINELIFT_JWT_SECRET is not set: using a random secret for this run")
        return self.model_copy(update={"jwt_secret": secrets.token_urlsafe(48)})
