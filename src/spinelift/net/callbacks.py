"""Signed, retried progress callbacks (seed 004: ``job_id, progress, message, timestamp``).

Wire format: the body is the payload as compact JSON with sorted keys, UTF-8
(``json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)``),
serialized once and sent as is on every attempt. With a secret, each attempt carries

- ``X-SpineLift-Timestamp``: the Unix time of the attempt, in whole seconds;
- ``X-SpineLift-Signature``: ``hex(HMAC-SHA256(secret, f"{timestamp}." + body))``.

A receiver checks both with :func:`verify`, which also refuses stale timestamps (replays).

Callbacks must never fail a job: :func:`post_json` never raises; it logs and returns False.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from spinelift.errors import UnsafeUrlError
from spinelift.net.fetch import pinned_client
from spinelift.net.ssrf import UrlPolicy, check_url

SIGNATURE_HEADER = "X-SpineLift-Signature"
TIMESTAMP_HEADER = "X-SpineLift-Timestamp"

logger = logging.getLogger(__name__)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}.".encode() + body`` keyed by ``secret`` (UTF-8)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is :func:`sign` of ``body`` at ``timestamp`` (the header's
    text) and the timestamp is within ``tolerance`` seconds of ``now`` (default: the clock).

    The comparison takes constant time; malformed input gives False, never an exception.
    """
    try:
        stamp = int(timestamp.strip())
    except ValueError:
        return False
    clock = time.time() if now is None else now
    if abs(clock - stamp) > tolerance:
        return False
    expected = sign(secret, stamp, body).encode()
    return hmac.compare_digest(expected, signature.strip().lower().encode())


def post_json(
    url: str,
    payload: Mapping[str, Any],
    policy: UrlPolicy,
    *,
    secret: str | None,
    attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST ``payload`` as JSON to ``url``; True once the receiver answers 2xx.

    Every attempt is SSRF-checked afresh and gets ``policy.timeout`` seconds. Connection
    errors, timeouts, an unresolvable host, 429 and 5xx are retried, up to ``attempts`` in
    all, after ``min(max_delay, base_delay * 2**n)`` seconds scaled by a random factor in
    [0.5, 1] (jitter), or after ``Retry-After`` (seconds or HTTP date) capped at
    ``max_delay`` when the receiver sends one. A refused URL, a 3xx (redirects are not
    followed: the signed body goes only where it was addressed) and any other 4xx end it.
    Never raises: failures are logged and give False.
    """
    try:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return _deliver(url, body.encode(), policy, secret, attempts, base_delay, max_delay, sleep)
    except Exception:  # a callback must never fail the job that sends it
        logger.exception("callback to %s failed unexpectedly", url)
        return False


def _deliver(
    url: str,
    body: bytes,
    policy: UrlPolicy,
    secret: str | None,
    attempts: int,
    base_delay: float,
    max_delay: float,
    sleep: Callable[[float], None],
) -> bool:
    for attempt in range(1, attempts + 1):
        retry_after: float | None = None
        try:
            status, retry_after = _attempt(url, body, policy, secret)
        except UnsafeUrlError as exc:
            if exc.details.get("reason") != "unresolvable":
                logger.warning("callback to %s refused: %s", url, exc.message)
                return False
            problem = exc.message
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if 200 <= status < 300:
                return True
            if status != 429 and status < 500:
                logger.warning("callback to %s rejected with %d; giving up", url, status)
                return False
            problem = f"status {status}"
        if attempt == attempts:
            logger.warning("callback to %s failed after %d attempts: %s", url, attempts, problem)
            return False
        backoff = min(max_delay, base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        delay = backoff if retry_after is None else min(max_delay, retry_after)
        logger.info("callback to %s failed (%s); retry in %.2f s", url, problem, delay)
        sleep(delay)
    return False


def _attempt(
    url: str, body: bytes, policy: UrlPolicy, secret: str | None
) -> tuple[int, float | None]:
    """One checked, signed POST; the status and the Retry-After delay, if any."""
    target = check_url(url, policy)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        stamp = int(time.time())
        headers[TIMESTAMP_HEADER] = str(stamp)
        headers[SIGNATURE_HEADER] = sign(secret, stamp, body)
    with pinned_client(target, deadline=time.monotonic() + policy.timeout) as client:
        response = client.post(url, content=body, headers=headers)
    return response.status_code, _retry_after(response.headers.get("Retry-After"))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
