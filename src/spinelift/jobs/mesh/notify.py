"""Callbacks: seed 004's progress payload POSTed, signed, to a job's ``callback_url``.

Posts run on one background thread per process, in order, so a slow or dead
receiver delays no job; :func:`spinelift.net.callbacks.post_json` retries with
backoff and never raises, and nothing here lets a callback fail a job.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol

from spinelift.net.callbacks import post_json
from spinelift.net.ssrf import UrlPolicy

log = logging.getLogger(__name__)


class Notifier(Protocol):
    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Deliver ``payload`` to ``url`` eventually; never raises."""


def payload(job_id: str, status: str, progress: int, message: str, **extra: Any) -> dict[str, Any]:
    """Seed 004's callback body: job_id, status, progress, message, timestamp (+ extra)."""
    body: dict[str, Any] = {
        "job_id": job_id,
        "status": status,
        "progress": progress,
        "message": message,
        "timestamp": datetime.fromtimestamp(time.time(), UTC).isoformat().replace("+00:00", "Z"),
    }
    body.update(extra)
    return body


class CallbackNotifier:
    """Signs with ``secret`` and posts through the SSRF-safe client, in the background."""

    def __init__(self, policy: UrlPolicy, *, secret: str | None, attempts: int = 5) -> None:
        self.policy = policy
        self.secret = secret
        self.attempts = attempts
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callbacks")

    def send(self, url: str, payload: dict[str, Any]) -> None:
        try:
            self._pool.submit(self._post, url, payload)
        except RuntimeError:  # shutting down: deliver now rather than drop
            self._post(url, payload)

    def close(self) -> None:
        """Wait for the callbacks already queued."""
        self._pool.shutdown(wait=True)

    def _post(self, url: str, body: dict[str, Any]) -> None:
        try:
            delivered = post_json(
                url, body, self.policy, secret=self.secret, attempts=self.attempts
            )
        except Exception:  # post_json promises not to raise; a job must never fail here
            log.exception("callback to %s raised", url)
            return
        if not delivered:
            log.warning(
                "callback undelivered",
                extra={"job_id": body.get("job_id"), "callback_url": url},
            )
