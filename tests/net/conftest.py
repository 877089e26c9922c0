"""Real HTTP servers on 127.0.0.1 for the network tests, and a fake resolver.

No test here sends traffic anywhere but 127.0.0.1: public addresses only ever appear as
answers of the fake resolver to :func:`spinelift.net.check_url`, which does not connect.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Seen:
    """One request a local server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client: str


App = Callable[[BaseHTTPRequestHandler, Seen], None]


@dataclass
class LocalServer:
    """A threaded HTTP server on 127.0.0.1 answering every request with ``app``."""

    app: App
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command,
                    self.path,
                    dict(self.headers.items()),
                    self.rfile.read(length),
                    self.client_address[0],
                )
                outer.seen.append(seen)
                # the client may give up first (timeout and size tests): expected
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    outer.app(self, seen)

            do_GET = do_POST = _any  # noqa: N815 (http.server's naming)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(
    handler: BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    length: bool = True,
) -> None:
    """Send a whole response (``length=False``: no Content-Length, body ends at close)."""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def serve() -> Iterator[Callable[[App], LocalServer]]:
    """Start local servers: ``server = serve(app)``; all are stopped after the test."""
    servers: list[LocalServer] = []

    def start(app: App) -> LocalServer:
        servers.append(LocalServer(app))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


_REAL_GETADDRINFO = socket.getaddrinfo


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class FakeDns:
    """A stand-in for ``socket.getaddrinfo`` answering from a table.

    ``dns.add("evil.test", ["127.0.0.1"], ["127.0.0.1:8081"])`` gives one answer per
    lookup (the last repeats), so a test can change the answer between lookups (DNS
    rebinding); an entry is ``"ip"`` or ``"ipv4:port"`` (to point a later lookup at another
    local server). ``dns.calls[name]`` counts lookups. Unknown names do not resolve;
    nothing reaches a real resolver.
    """

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: dict[str, int] = {}

    def add(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if _is_ip(name):  # the pinned connect of httpcore: numeric, no DNS involved
            return _REAL_GETADDRINFO(name, port, *args, **kwargs)
        if name not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        n = self.calls.get(name, 0)
        self.calls[name] = n + 1
        result = []
        for entry in self.answers[name][min(n, len(self.answers[name]) - 1)]:
            ip, fixed = entry.split(":") if entry.count(":") == 1 else (entry, "")
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            sockaddr = (ip, int(fixed or port or 0))
            result.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return result


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    """Replace ``socket.getaddrinfo`` with a :class:`FakeDns` for the test."""
    dns = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    return dns
