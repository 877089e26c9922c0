"""Passwords (argon2id) and access tokens (JWT HS256 with ``sub``, ``jti``, ``iat``, ``exp``).

Signing out puts the token's ``jti`` on a denylist in Redis
(``<prefix>:web:revoked:<jti>``) until the token would have expired anyway, so every
app process refuses it at once. Only HS256 with our key is accepted: ``alg: none``,
other algorithms, other keys, expired or incomplete tokens are all ``UNAUTHORIZED``.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass

import jwt
import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from spinelift.errors import AuthenticationError

ALGORITHM = "HS256"
_hasher = PasswordHasher()
# argon2id takes 64 MiB per hash: 40 sign-ups at once would hold 2.5 GiB in one process.
# At most one hash per core runs; the others wait their turn (bench/load.py measured an
# API process at 670-845 MiB with 20 concurrent sign-ups before this cap).
_HASHING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
# verified against when the e-mail is unknown, so both failures take as long
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    with _HASHING:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``password_hash=None`` still spends the time."""
    try:
        with _HASHING:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    jti: str
    expires_at: int


class TokenService:
    """Issues, checks and revokes access tokens."""

    def __init__(self, secret: str, ttl: int, redis_client: redis.Redis, prefix: str) -> None:
        self._secret = secret
        self.ttl = ttl
        self._redis = redis_client
        self._prefix = prefix

    def issue(self, user_id: int) -> str:
        now = int(time.time())
        claims = {"sub": str(user_id), "jti": uuid.uuid4().hex, "iat": now, "exp": now + self.ttl}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> TokenClaims:
        """The token's claims; raises :class:`AuthenticationError` for any bad token,
        including a revoked one."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub", "jti"]},
            )
            user_id = int(claims["sub"])
            jti = str(claims["jti"])
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the access token has expired") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise AuthenticationError("invalid access token") from None
        if self.is_revoked(jti):
            raise AuthenticationError("the access token was signed out")
        return TokenClaims(user_id, jti, int(claims["exp"]))

    def revoke(self, claims: TokenClaims) -> None:
        """Refuse this token from now until its expiry (at least one second)."""
        remaining = max(1, claims.expires_at - int(time.time()) + 1)
        self._redis.set(self._revoked_key(claims.jti), b"1", ex=remaining)

    def is_revoked(self, jti: str) -> bool:
        """True once the token with this ``jti`` has been signed out."""
        return bool(self._redis.exists(self._revoked_key(jti)))

    def _revoked_key(self, jti: str) -> str:
        return f"{self._prefix}:web:revoked:{jti}"
