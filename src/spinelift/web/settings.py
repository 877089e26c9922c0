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
SPINELIFT_METRICS_TOKEN           (unset)                   bearer token Prometheus sends to scrape
                                                            /metrics; unset: /metrics answers 401
SPINELIFT_PUBLIC_URL              (unset)                   this app's URL as the mesh service sees
                                                            it (signed progress callbacks)
SPINELIFT_CALLBACK_SECRET         (unset)                   HMAC key shared with the mesh service
SPINELIFT_STORAGE_BACKEND, _S3_*  local                     blobs in the data dir, or S3 (see
                                                            spinelift.config for the S3 settings)
SPINELIFT_SIGNIN_RATE             10/minute                 sign-in attempts per e-mail address and
                                                            client IP (``limits`` notation, ``;``
                                                            between several); 429 beyond
SPINELIFT_SIGNIN_IP_RATE          100/minute                sign-in attempts per client IP, any
                                                            account
SPINELIFT_SIGNIN_ACCOUNT_RATE     30/hour                   sign-in attempts per e-mail address,
                                                            all client IPs together
SPINELIFT_SIGNUP_RATE             10/hour                   sign-ups per client IP
SPINELIFT_TRUSTED_PROXIES         (empty)                   reverse proxies (IPs or CIDRs, ``,``
                                                            between) whose X-Forwarded-For names
                                                            the client; empty: the peer is it
SPINELIFT_ACCOUNT_CACHE_SECONDS   30                        how long an account's state is cached
                                                            in Redis (a change made without Redis
                                                            applies after at most this)
SPINELIFT_WS_MAX_PER_USER         20                        open WebSockets per user (all app
                                                            processes); refused with 4429 beyond
SPINELIFT_UPLOAD_RATE             30/hour                   uploads per user
SPINELIFT_UI_VENDOR_DIR           (package's web/ui/vendor) the Spine web player's files for the
                                                            browser UI (tools/ui-vendor/setup.sh)
SPINELIFT_LOG_LEVEL               INFO                      level of the JSON logs
================================  ========================  ========================================
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from pathlib import Path
from typing import Annotated

from limits import parse_many
from pydantic import AliasChoices, Field
from pydantic.functional_validators import AfterValidator

from spinelift.config import MIB, AppSettings
from spinelift.storage.db import default_database_url

MIN_SECRET_LENGTH = 32


def _rate(value: str) -> str:
    """A rate in ``limits`` notation (``10/minute``, ``5 per second; 100/hour``)."""
    # a ValueError becomes a settings validation error naming the variable
    if any(item.amount < 1 for item in parse_many(value)):
        raise ValueError(f"a rate of 0 refuses everything: {value!r}")
    return value


Rate = Annotated[str, AfterValidator(_rate)]


def _networks(value: str) -> str:
    """Comma-separated IP addresses or networks (``10.0.0.5, 192.168.0.0/16``)."""
    for item in (part.strip() for part in value.split(",")):
        if item:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad one
    return value


Networks = Annotated[str, AfterValidator(_networks)]

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
    signin_rate: Rate = "10/minute"
    signin_ip_rate: Rate = "100/minute"
    signin_account_rate: Rate = "30/hour"
    signup_rate: Rate = "10/hour"
    upload_rate: Rate = "30/hour"
    download_rate: Rate = "120/hour;20/minute"
    """export downloads (zip and player files) per user"""
    trusted_proxies: Networks = ""
    account_cache_seconds: int = Field(default=30, ge=1, le=3600)
    ws_max_per_user: int = Field(default=20, ge=1)
    metrics_token: str | None = None
    ui_vendor_dir: Path | None = None
    """the vendored Spine web player (default: the package's ``web/ui/vendor``)"""

    def trusted_proxy_list(self) -> list[str]:
        """:attr:`trusted_proxies` as a list (empty: no forwarded address is believed)."""
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

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
