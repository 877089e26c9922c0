"""Fetching a user-supplied URL through the SSRF guard, with size and time limits.

How DNS rebinding is prevented: every hop is checked with
:func:`~spinelift.net.ssrf.check_url`, which resolves the host once, and the request is
sent by a client (:func:`pinned_client`) whose network backend never resolves names: it
opens its socket to ``Target.address`` (the checked address) and refuses to connect
anywhere else. The URL keeps the real host name, so the Host header, TLS SNI and
certificate verification all use the name as usual. Each hop gets a fresh client, so no
connection is shared between origins.

Redirects are followed by hand (301, 302, 303, 307, 308; at most ``policy.max_redirects``),
each ``Location`` resolved against the current URL and checked again. Caller headers are
only sent to the origin they were given for.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Iterable, Mapping

import httpcore
import httpx

from spinelift.errors import FetchError
from spinelift.net.ssrf import Target, UrlPolicy, check_url

_REDIRECTS = frozenset({301, 302, 303, 307, 308})

log = logging.getLogger(__name__)


def fetch_bytes(
    url: str,
    policy: UrlPolicy,
    *,
    max_bytes: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """GET ``url`` and return its body (decoded from any content coding).

    The whole fetch, redirects included, takes at most ``policy.timeout`` seconds; the
    body may hold at most ``max_bytes`` (default ``policy.max_bytes``) and is streamed,
    so a larger one is cut off rather than read. Raises
    :class:`~spinelift.errors.UnsafeUrlError` for a refused URL (the first or any redirect
    target) and :class:`~spinelift.errors.FetchError` with ``details = {"url", "reason",
    ...}``, ``reason`` one of ``status`` (``details["status"]``), ``too_large``
    (``details["max_bytes"]``), ``timeout``, ``connection``, ``protocol``,
    ``too_many_redirects``, ``bad_redirect``.
    """
    limit = policy.max_bytes if max_bytes is None else max_bytes
    deadline = time.monotonic() + policy.timeout
    origin: tuple[str, str, int] | None = None
    hop_url = url
    for _hop in range(policy.max_redirects + 1):
        target = check_url(hop_url, policy)
        current = httpx.URL(hop_url)
        origin = origin or (target.scheme, target.host, target.port)
        sent = {"Accept-Encoding": "identity"}
        if headers and (target.scheme, target.host, target.port) == origin:
            sent.update(headers)
        try:
            with (
                pinned_client(target, deadline=deadline) as client,
                client.stream("GET", current, headers=sent) as response,
            ):
                if response.status_code in _REDIRECTS:
                    hop_url = _next_url(url, current, response)
                    continue
                if not response.is_success:
                    raise _failed(
                        url,
                        "status",
                        f"the server answered {response.status_code}",
                        status=response.status_code,
                    )
                return _read_limited(url, response, limit)
        except httpx.TimeoutException:
            raise _failed(url, "timeout", f"no complete answer in {policy.timeout} s") from None
        except httpx.TransportError as exc:
            # the exception's text (addresses, socket errors) stays in the log, not in the
            # error a client reads
            log.info("fetch failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            if isinstance(exc, httpx.NetworkError):
                raise _failed(url, "connection", "could not connect to the server") from None
            raise _failed(url, "protocol", "the server's answer was not valid HTTP") from None
        except httpx.DecodingError as exc:
            log.info("fetch failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            raise _failed(url, "protocol", "could not decode the body") from None
    raise _failed(
        url,
        "too_many_redirects",
        f"more than {policy.max_redirects} redirects",
        max_redirects=policy.max_redirects,
    )


def pinned_client(target: Target, *, deadline: float) -> httpx.Client:
    """A client that can only reach ``target``: it connects to ``target.address`` without
    resolving anything, and every socket operation ends by ``deadline`` (``time.monotonic``).

    Redirects are not followed, environment proxies and ``.netrc`` are ignored. Use it for
    requests to ``target``'s origin only (others fail with :class:`httpx.ConnectError`);
    close it after use.
    """
    return httpx.Client(
        transport=_PinnedTransport(target, deadline),
        timeout=max(deadline - time.monotonic(), 0.001),
        follow_redirects=False,
        trust_env=False,
    )


def _read_limited(url: str, response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(url, limit)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise _too_large(url, limit)
    return bytes(body)


def _next_url(url: str, current: httpx.URL, response: httpx.Response) -> str:
    location = response.headers.get("Location")
    if not location:
        raise _failed(url, "bad_redirect", f"a {response.status_code} without a Location")
    try:
        return str(current.join(location))
    except (httpx.InvalidURL, ValueError) as exc:
        raise _failed(url, "bad_redirect", f"an invalid Location ({exc})") from None


def _too_large(url: str, limit: int) -> FetchError:
    return _failed(url, "too_large", f"the body is larger than {limit} bytes", max_bytes=limit)


def _failed(url: str, reason: str, message: str, **extra: object) -> FetchError:
    return FetchError(
        f"could not fetch the URL: {message}", details={"url": url, "reason": reason, **extra}
    )


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport on a connection pool whose backend is :class:`_PinnedBackend`."""

    def __init__(self, target: Target, deadline: float) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        # httpx has no public way to choose the network backend; swapping the pool it
        # builds is the smallest reach into it (httpx < 1 is pinned in pyproject.toml).
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_keepalive_connections=0,
            network_backend=_PinnedBackend(target, deadline),
        )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi roots), built once: loading it is slow."""
    return httpx.create_ssl_context(trust_env=False)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked address only; never resolves a name."""

    def __init__(self, target: Target, deadline: float) -> None:
        self._target = target
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if host.lower().rstrip(".") != self._target.host or port != self._target.port:
            raise httpcore.ConnectError(f"{host}:{port} is not the checked origin")
        left = _time_left(self._deadline, timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(
            self._target.address, port, left, local_address, socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    """A stream whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        left = _time_left(self._deadline, timeout, httpcore.ReadTimeout)
        return self._inner.read(max_bytes, left)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(self._deadline, timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


def _time_left(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the time budget is spent")
    return left if timeout is None else min(timeout, left)
