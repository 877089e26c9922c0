"""Whether an account's tokens are still good: its live ``token_version``, cached in Redis.

Every access token carries the ``token_version`` of its account when it was issued
(claim ``ver``). A request is served only while the account's current version is the
token's: deactivating, reactivating, changing the password or deleting the account moves
it (a deleted or deactivated account reads as version ``0``, which no token holds), so
every token issued before stops working at once in every app process.

Reading the version costs one Redis ``GET`` (sent in the same round trip as the
sign-out check); the database is read only on a miss, and the answer is kept for
``SPINELIFT_ACCOUNT_CACHE_SECONDS``. A change writes the new value into the cache right
after it is committed; a change made where Redis is out of reach (the operator command
without ``SPINELIFT_REDIS_URL``) takes effect once the cached value expires.
"""

from __future__ import annotations

import logging

import redis

from spinelift.storage.db import Database
from spinelift.storage.models import User

log = logging.getLogger(__name__)

GONE = 0
"""the version of an account that is deactivated or deleted (no token carries it)"""


class AccountStates:
    """The current token version of each account, cached under ``<prefix>:web:account:``."""

    def __init__(self, db: Database, client: redis.Redis | None, prefix: str, ttl: int) -> None:
        self._db = db
        self._redis = client
        self._prefix = prefix
        self.ttl = ttl

    def key(self, user_id: int) -> str:
        return f"{self._prefix}:web:account:{user_id}"

    def cached(self, user_id: int) -> bytes | None:
        """What the cache holds for the account (``None``: nothing, or no Redis)."""
        if self._redis is None:
            return None
        value: bytes | None = self._redis.get(self.key(user_id))  # type: ignore[assignment]  # sync client
        return value

    def current(self, user_id: int, cached: bytes | None) -> int:
        """The account's version given what the cache held (``None``: a miss, so the
        database is read and the answer cached, unless a writer got there first)."""
        if cached is not None:
            try:
                return int(cached)
            except ValueError:
                pass  # not ours: read the database again
        version = self.load(user_id)
        if self._redis is not None:
            # NX: a change committed meanwhile has written the newer value; keep it
            self._redis.set(self.key(user_id), str(version), ex=self.ttl, nx=True)
        return version

    def load(self, user_id: int) -> int:
        """The version in the database (:data:`GONE` for no such or an inactive account)."""
        with self._db.session(readonly=True) as session:
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                return GONE
            return user.token_version

    def changed(self, user_id: int, version: int) -> bool:
        """Publish the account's new version after a committed change (``GONE`` once
        deactivated or deleted). False when Redis could not be told."""
        if self._redis is None:
            return False
        try:
            self._redis.set(self.key(user_id), str(version), ex=self.ttl)
        except redis.RedisError as exc:
            log.warning("account cache not updated", extra={"user_id": user_id, "error": str(exc)})
            return False
        return True
