"""Passwords (argon2id) and access tokens (JWT HS256 with ``sub``, ``jti``, ``iat``,
``exp`` and ``ver``).

Signing out puts the token's ``jti`` on a denylist in Redis
(``<prefix>:web:revoked:<jti>``) until the token would have expired anyway, so every
app process refuses it at once. Only HS256 with our key is accepted: ``alg: none``,
other algorithms, other keys, expired or incomplete tokens, a ``sub`` that is not an id
a row can have (``1..2**31-1``) are all ``UNAUTHORIZED``.

A token is only as good as its account: ``ver`` is the account's ``token_version`` when
the token was issued (a token without one, from before versions existed, counts as 1, a
new account's). Every check compares it with the account's current version
(:class:`~spinelift.web.accounts.AccountStates`, one Redis round trip together with the
sign-out check): a deactivated or deleted account's tokens are ``ACCOUNT_INACTIVE``
(401), a token from before a password change or reactivation ``UNAUTHORIZED``.
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

from spinelift.errors import AccountInactiveError, AuthenticationError
from spinelift.storage.models import MAX_ID
from spinelift.web.accounts import GONE, AccountStates

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
    version: int = 1
    """the account's ``token_version`` when the token was issued"""


class TokenService:
    """Issues, checks and revokes access tokens."""

    def __init__(
        self,
        secret: str,
        ttl: int,
        redis_client: redis.Redis,
        prefix: str,
        accounts: AccountStates,
    ) -> None:
        self._secret = secret
        self.ttl = ttl
        self._redis = redis_client
        self._prefix = prefix
        self.accounts = accounts

    def issue(self, user_id: int, version: int = 1) -> str:
        """A token for ``user_id`` under the account's ``version`` (``token_version``)."""
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + self.ttl,
            "ver": version,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> TokenClaims:
        """The claims of a token signed with our key, not expired, well formed
        (:class:`AuthenticationError` otherwise); revocation is not checked."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub", "jti"]},
            )
            sub, jti, version = claims["sub"], claims["jti"], claims.get("ver", 1)
            if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= 10):
                raise ValueError("sub")
            user_id = int(sub)
            if not (1 <= user_id <= MAX_ID and isinstance(jti, str) and jti):
                raise ValueError("sub or jti")
            if not (isinstance(version, int) and 1 <= version <= MAX_ID):
                raise ValueError("ver")
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the access token has expired") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise AuthenticationError("invalid access token") from None
        return TokenClaims(user_id, jti, int(claims["exp"]), version)

    def verify(self, token: str) -> TokenClaims:
        """The token's claims; raises :class:`AuthenticationError` for any bad token,
        a signed-out one, or one its account no longer honours."""
        claims = self.decode(token)
        self.check(claims)
        return claims

    def check(self, claims: TokenClaims) -> None:
        """Refuse ``claims`` if signed out or if the account moved on (one round trip)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.exists(self._revoked_key(claims.jti))
        pipe.get(self.accounts.key(claims.user_id))
        revoked, cached = pipe.execute()
        if revoked:
            raise AuthenticationError("the access token was signed out")
        current = self.accounts.current(claims.user_id, cached)
        if current == GONE:
            raise AccountInactiveError("the account was deactivated or deleted")
        if current != claims.version:
            raise AuthenticationError(
                "the access token predates a change to the account: sign in again"
            )

    def revoke(self, claims: TokenClaims) -> None:
        """Refuse this token from now until its expiry (at least one second)."""
        remaining = max(1, claims.expires_at - int(time.time()) + 1)
        self._redis.set(self._revoked_key(claims.jti), b"1", ex=remaining)

    def is_revoked(self, jti: str) -> bool:
        """True once the token with this ``jti`` has been signed out."""
        return bool(self._redis.exists(self._revoked_key(jti)))

    def _revoked_key(self, jti: str) -> str:
        return f"{self._prefix}:web:revoked:{jti}"
