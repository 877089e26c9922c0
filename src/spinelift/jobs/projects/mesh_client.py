"""GenerateMesh delegated to a remote mesh service (``MESH_SERVICE_URL``), over HTTP.

:class:`MeshServiceClient` submits one PNG (``POST /api/v1/mesh/generate``, multipart
``image`` + ``parameters`` JSON + ``job_id``), long-polls its status
(``GET /api/v1/mesh/{id}/status?wait=S``) until ``completed`` or ``failed``, and reads
the Spine attachment JSON (``GET /api/v1/mesh/{id}/result``), every request with the
``X-Service-Token`` (and the ``X-Request-ID`` of the user's request that queued the job,
so one id follows it through both services' logs). With a ``callback_url``
(``SPINELIFT_PUBLIC_URL`` + the shared ``SPINELIFT_CALLBACK_SECRET``) the service also
posts each stage's progress, signed, to
the web app's ``POST /api/v1/mesh/progress``, which relays it to the project's live
events; the long poll stays the source of the result (a lost callback loses nothing).
The mesh service is operator-configured (an internal host), so the
client does not go through the SSRF guard of :mod:`spinelift.net`: plain ``httpx`` with
timeouts.

Errors:

- the service's error body (``{"error": {"code", ...}}`` of a 4xx answer, or a failed
  job's ``error``) becomes the :class:`~spinelift.errors.SpineLiftError` subclass of that
  code (unknown codes: :class:`~spinelift.errors.MeshGenerationError`), so engine errors
  stay final; ``details["remote_code"]`` keeps the service's code;
- connection errors, timeouts, 5xx and 429 are retried (``attempts`` tries, exponential
  backoff from ``base_delay`` with full jitter), then :class:`~spinelift.errors.FetchError`
  (``FETCH_FAILED``) with ``details["retryable"] = True``;
- :class:`CircuitBreaker`: every such failed request counts; after ``failure_threshold``
  in a row the breaker opens and calls fail fast with
  :class:`~spinelift.errors.MeshServiceUnavailableError` (``MESH_SERVICE_UNAVAILABLE``,
  ``details["retryable"] = True``) until ``reset_after`` seconds have passed; then one
  trial request goes through (half-open): success closes it, failure opens it again.
  The breaker's state is per process (each worker process learns on its own that the
  service is down); it is shared by the threads of a process.

Size: just over 300 lines, on purpose: the client, its retry loop, its breaker and the
mapping of the service's errors are one contract, read together.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from spinelift.errors import (
    BrokerUnavailableError,
    FetchError,
    InternalError,
    MeshGenerationError,
    MeshServiceUnavailableError,
    NetworkError,
    NotFoundError,
    ServiceUnavailableError,
    SpineLiftError,
)
from spinelift.logs import request_id_var

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
POLL_WAIT = 20
"""seconds of one status long poll (the service allows 0-60)"""


class CircuitBreaker:
    """closed -> open after ``failure_threshold`` consecutive failures -> half-open after
    ``reset_after`` seconds (one trial call) -> closed on success, open on failure."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == OPEN and self.clock() - self._opened_at >= self.reset_after:
                return HALF_OPEN
            return self._state

    def allow(self) -> bool:
        """May a call go through now? (In half-open: only one trial at a time.)"""
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if self.clock() - self._opened_at < self.reset_after:
                    return False
                self._state = HALF_OPEN
                self._trial_running = False
            if self._trial_running:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._state, self._failures, self._trial_running = CLOSED, 0, False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == HALF_OPEN or self._failures >= self.failure_threshold:
                self._state, self._opened_at, self._trial_running = OPEN, self.clock(), False

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial through (0 when not open)."""
        with self._lock:
            if self._state != OPEN:
                return 0.0
            return max(0.0, self.reset_after - (self.clock() - self._opened_at))


class _TransientError(NetworkError):
    """A request failure worth retrying (connection, timeout, 5xx, 429); never leaves
    :meth:`MeshServiceClient._request`."""


_SERVICE_FAULTS = (InternalError, NotFoundError, ServiceUnavailableError, BrokerUnavailableError)
"""codes the service answers about itself, not about the image: MESH_GENERATION_FAILED here"""


def _error_classes() -> dict[str, type[SpineLiftError]]:
    found: dict[str, type[SpineLiftError]] = {}
    pending: list[type[SpineLiftError]] = [SpineLiftError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def remote_error(error: Mapping[str, Any] | None) -> SpineLiftError:
    """The SpineLiftError of a service error body's ``error`` object (by its code)."""
    error = error or {}
    code = str(error.get("code") or "MESH_GENERATION_FAILED")
    message = str(error.get("message") or "the mesh service failed")
    details = dict(error.get("details") or {})
    details["remote_code"] = code
    cls = _error_classes().get(code, MeshGenerationError)
    if cls is SpineLiftError or issubclass(cls, _SERVICE_FAULTS):
        cls = MeshGenerationError  # the service's own fault is a failed mesh here
    return cls(message, details=details)


class MeshServiceClient:
    """Meshes one PNG on the mesh service at ``base_url`` (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_wait: float = 900.0,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        callback_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.callback_url = callback_url
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_wait = max_wait
        self.breaker = breaker or CircuitBreaker()
        self.sleep = sleep

    def mesh(self, png_bytes: bytes, parameters: Mapping[str, Any], job_id: str) -> dict[str, Any]:
        """The Spine attachment JSON of ``png_bytes`` meshed with ``parameters``.

        ``job_id`` makes the submission idempotent (a retried submit is the same job).
        Raises the SpineLiftError of the service's code (final), or FetchError /
        MeshServiceUnavailableError with ``details["retryable"]`` (service unreachable).
        """
        headers = {"X-Service-Token": self.token} if self.token else {}
        if request_id := request_id_var.get():  # the user's request, carried along
            headers["X-Request-ID"] = request_id
        form = {"parameters": json.dumps(dict(parameters)), "job_id": job_id}
        if self.callback_url:
            form["callback_url"] = self.callback_url
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout) as client:
            accepted = self._request(
                client,
                "POST",
                "/api/v1/mesh/generate",
                files={"image": ("layer.png", png_bytes, "image/png")},
                data=form,
            )
            remote_id = str(accepted.get("job_id") or job_id)
            status = accepted
            deadline = time.monotonic() + self.max_wait
            while status.get("status") not in ("completed", "failed"):
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"mesh service job {remote_id} did not finish in {self.max_wait:g} s",
                        details={"job_id": remote_id, "retryable": True},
                    )
                status = self._request(
                    client,
                    "GET",
                    f"/api/v1/mesh/{remote_id}/status",
                    params={"wait": POLL_WAIT},
                    timeout=self.timeout + POLL_WAIT,
                )
            if status.get("status") == "failed":
                raise remote_error(status.get("error"))
            return self._request(client, "GET", f"/api/v1/mesh/{remote_id}/result")

    def _request(
        self, client: httpx.Client, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        last = "no attempt"
        for attempt in range(self.attempts):
            if attempt:
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                self.sleep(random.uniform(delay / 2, delay))
            if not self.breaker.allow():
                raise MeshServiceUnavailableError(
                    f"the mesh service at {self.base_url} is failing; not calling it for"
                    f" {self.breaker.retry_in():.1f} s",
                    details={"url": self.base_url, "retryable": True},
                )
            try:
                answer = self._once(client, method, path, **kwargs)
            except _TransientError as exc:
                self.breaker.record_failure()
                last = exc.message
                continue
            except SpineLiftError:
                self.breaker.record_success()  # the service answered: it is up
                raise
            self.breaker.record_success()
            return answer
        raise FetchError(
            f"the mesh service at {self.base_url} failed {self.attempts} times: {last}",
            details={"url": self.base_url, "attempts": self.attempts, "retryable": True},
        )

    @staticmethod
    def _once(client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise _TransientError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _TransientError(f"{method} {path}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            if response.is_success:
                raise _TransientError(f"{method} {path}: the answer is not JSON") from exc
            body = None
        if not response.is_success:
            error = body.get("error") if isinstance(body, dict) else None
            if not isinstance(error, dict):
                error = MeshGenerationError(f"HTTP {response.status_code}").body()
            raise remote_error(error)
        if not isinstance(body, dict):
            raise _TransientError(f"{method} {path}: the answer is not a JSON object")
        return body


_BREAKERS: dict[str, CircuitBreaker] = {}
_BREAKERS_LOCK = threading.Lock()


def client_for(
    url: str | None,
    token: str | None,
    *,
    timeout: float = 30.0,
    callback_url: str | None = None,
    failure_threshold: int = 5,
    reset_after: float = 30.0,
) -> MeshServiceClient | None:
    """A client for ``url`` (None when unset); one breaker per URL and process, opening
    after ``failure_threshold`` failures in a row and trying again after ``reset_after`` s.

    With ``callback_url`` the service also posts each job's progress there (signed)."""
    if not url:
        return None
    with _BREAKERS_LOCK:
        breaker = _BREAKERS.setdefault(
            url.rstrip("/"), CircuitBreaker(failure_threshold, reset_after)
        )
    return MeshServiceClient(
        url, token, timeout=timeout, breaker=breaker, callback_url=callback_url
    )
