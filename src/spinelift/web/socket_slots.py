"""At most ``SPINELIFT_WS_MAX_PER_USER`` open WebSockets per user over every app process.

Each user has a sorted set of leases in Redis (``<prefix>:web:sockets:<user id>``,
member: the socket's random id, score: when its lease lapses). Taking a slot drops the
lapsed leases and adds one only below the cap, in one Lua script (atomic: two sockets
opening at once cannot both take the last slot). An open socket renews its lease every
recheck and drops it when it closes; the leases of a process that crashed lapse after
:attr:`SocketSlots.lease` seconds.
"""

from __future__ import annotations

import math
import time

import redis

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class SocketSlots:
    """Per-user leases on open WebSockets, shared by every app process (one Redis)."""

    def __init__(self, client: redis.Redis, prefix: str, cap: int, lease: float) -> None:
        self._redis = client
        self._prefix = prefix
        self.cap = cap
        self.lease = lease
        self._acquire = client.register_script(_ACQUIRE)

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}:{user_id}"

    def acquire(self, user_id: int, slot: str) -> bool:
        """Take a slot named ``slot`` (unique per socket); False when all are taken."""
        now = time.time()
        args: list[str | float | int] = [now, now + self.lease, slot, self.cap]
        args.append(math.ceil(self.lease) + 1)
        return bool(self._acquire(keys=[self._key(user_id)], args=args))

    def renew(self, user_id: int, slot: str) -> None:
        """Push the slot's lease ``lease`` seconds ahead (the socket is still open)."""
        self._redis.zadd(self._key(user_id), {slot: time.time() + self.lease}, xx=True)
        self._redis.expire(self._key(user_id), math.ceil(self.lease) + 1)

    def release(self, user_id: int, slot: str) -> None:
        self._redis.zrem(self._key(user_id), slot)

    def count(self, user_id: int) -> int:
        """Live leases of ``user_id`` (for tests and metrics)."""
        count: int = self._redis.zcount(self._key(user_id), time.time(), "+inf")  # type: ignore[assignment]  # sync client
        return count
