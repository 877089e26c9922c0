"""fetch_bytes against real local servers: limits, redirects, and no DNS rebinding."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from spinelift.errors import FetchError, UnsafeUrlError
from spinelift.net import UrlPolicy, check_url, fetch_bytes, pinned_client
from tests.net.conftest import FakeDns, LocalServer, Seen, reply

Serve = Callable[[Callable[[BaseHTTPRequestHandler, Seen], None]], LocalServer]
LOCAL = UrlPolicy(allow_private=True, timeout=3.0)


def ok(body: bytes) -> Callable[[BaseHTTPRequestHandler, Seen], None]:
    return lambda handler, seen: reply(handler, 200, body)


def test_fetches_a_body(serve: Serve) -> None:
    server = serve(ok(b"\x89PNG fake"))
    assert fetch_bytes(server.url("/a.png?v=1"), LOCAL) == b"\x89PNG fake"
    (seen,) = server.seen
    assert (seen.method, seen.path) == ("GET", "/a.png?v=1")
    assert seen.headers["Host"] == f"127.0.0.1:{server.port}"


def test_the_default_policy_refuses_loopback_before_connecting(serve: Serve) -> None:
    server = serve(ok(b"secret"))
    with pytest.raises(UnsafeUrlError):
        fetch_bytes(server.url(), UrlPolicy())
    assert server.seen == []


def test_a_named_host_keeps_its_name_in_the_host_header(serve: Serve, fake_dns: FakeDns) -> None:
    server = serve(ok(b"x"))
    fake_dns.add("files.test", ["127.0.0.1"])
    policy = UrlPolicy(allow_hosts=("files.test",))
    assert fetch_bytes(server.url("/k", host="files.test"), policy) == b"x"
    assert server.seen[0].headers["Host"] == f"files.test:{server.port}"


def test_the_connection_goes_to_the_checked_address_not_a_rebound_one(
    serve: Serve, fake_dns: FakeDns
) -> None:
    honest = serve(ok(b"honest"))
    attacker = serve(ok(b"rebound"))
    # first lookup (the check) says 127.0.0.1:honest; any later lookup says attacker's port
    fake_dns.add("rebind.test", ["127.0.0.1"], [f"127.0.0.1:{attacker.port}"])
    policy = UrlPolicy(allow_hosts=("rebind.test",))
    assert fetch_bytes(f"http://rebind.test:{honest.port}/", policy) == b"honest"
    assert len(honest.seen) == 1
    assert attacker.seen == []
    assert fake_dns.calls["rebind.test"] == 1  # resolved once, by the guard


def test_a_pinned_client_refuses_other_origins(serve: Serve) -> None:
    server = serve(ok(b"x"))
    other = serve(ok(b"y"))
    target = check_url(server.url(), LOCAL)
    with (
        pinned_client(target, deadline=time.monotonic() + 2) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get(other.url())
    assert other.seen == []


def test_error_statuses_fail(serve: Serve) -> None:
    server = serve(lambda handler, seen: reply(handler, 404, b"no"))
    with pytest.raises(FetchError) as caught:
        fetch_bytes(server.url("/missing"), LOCAL)
    assert caught.value.details == {
        "url": server.url("/missing"),
        "reason": "status",
        "status": 404,
    }


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
def test_a_body_over_the_limit_is_cut_off(serve: Serve, declared: bool) -> None:
    server = serve(lambda handler, seen: reply(handler, 200, b"a" * 5000, length=declared))
    with pytest.raises(FetchError) as caught:
        fetch_bytes(server.url(), LOCAL, max_bytes=1000)
    assert caught.value.details["reason"] == "too_large"
    assert caught.value.details["max_bytes"] == 1000
    assert fetch_bytes(server.url(), LOCAL, max_bytes=5000) == b"a" * 5000
    with pytest.raises(FetchError):
        fetch_bytes(server.url(), UrlPolicy(allow_private=True, max_bytes=4999))


def test_a_silent_server_times_out(serve: Serve) -> None:
    released = threading.Event()

    def stall(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        released.wait(60)  # silent until the test ends: only the timeout can end the fetch
        reply(handler, 200, b"late")

    server = serve(stall)
    try:
        with pytest.raises(FetchError) as caught:
            fetch_bytes(server.url(), UrlPolicy(allow_private=True, timeout=0.3))
    finally:
        released.set()
    assert caught.value.details["reason"] == "timeout"


def test_a_trickling_server_cannot_stretch_the_total_budget(serve: Serve) -> None:
    released = threading.Event()

    def trickle(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        handler.send_response(200)
        handler.end_headers()
        # a byte every 0.05 s until the test ends: every read is quick, so only the total
        # budget can end the fetch (a per-read timeout alone would read for ever)
        with contextlib.suppress(OSError):
            for _ in range(1200):  # a hang guard: 60 s, then the fetch would succeed
                if released.wait(0.05):
                    return
                handler.wfile.write(b"x")
                handler.wfile.flush()

    server = serve(trickle)
    try:
        with pytest.raises(FetchError) as caught:
            fetch_bytes(server.url(), UrlPolicy(allow_private=True, timeout=0.5))
    finally:
        released.set()
    assert caught.value.details["reason"] == "timeout"


def test_nothing_listening_is_a_connection_failure(closed_port: int) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_bytes(f"http://127.0.0.1:{closed_port}/", LOCAL)
    assert caught.value.details["reason"] == "connection"


def redirecting(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
    """/r/N redirects (relatively) to /r/N-1, /r/0 to /done; /done answers "done"."""
    if seen.path.startswith("/r/"):
        n = int(seen.path.removeprefix("/r/"))
        reply(handler, 302, headers={"Location": f"{n - 1}" if n > 1 else "/done"})
    else:
        reply(handler, 200, b"done")


def test_redirects_are_followed_up_to_the_limit(serve: Serve) -> None:
    server = serve(redirecting)
    assert fetch_bytes(server.url("/r/3"), LOCAL) == b"done"
    assert [s.path for s in server.seen] == ["/r/3", "/r/2", "/r/1", "/done"]
    with pytest.raises(FetchError) as caught:
        fetch_bytes(server.url("/r/3"), UrlPolicy(allow_private=True, max_redirects=2))
    assert caught.value.details["reason"] == "too_many_redirects"
    with pytest.raises(FetchError):
        fetch_bytes(server.url("/r/1"), UrlPolicy(allow_private=True, max_redirects=0))


def test_a_redirect_to_an_unchecked_host_is_refused(serve: Serve, fake_dns: FakeDns) -> None:
    inner = serve(ok(b"internal secret"))
    outer = serve(
        lambda handler, seen: reply(handler, 301, headers={"Location": inner.url("/admin")})
    )
    fake_dns.add("files.test", ["127.0.0.1"])
    policy = UrlPolicy(allow_hosts=("files.test",))
    with pytest.raises(UnsafeUrlError) as caught:
        fetch_bytes(outer.url("/img", host="files.test"), policy)
    assert caught.value.details["url"] == inner.url("/admin")
    assert len(outer.seen) == 1
    assert inner.seen == []


def test_a_redirect_without_location_fails(serve: Serve) -> None:
    server = serve(lambda handler, seen: reply(handler, 302))
    with pytest.raises(FetchError) as caught:
        fetch_bytes(server.url(), LOCAL)
    assert caught.value.details["reason"] == "bad_redirect"


def test_caller_headers_stay_with_their_origin(serve: Serve) -> None:
    other = serve(ok(b"elsewhere"))
    first = serve(lambda handler, seen: reply(handler, 302, headers={"Location": other.url()}))
    token = {"Authorization": "Bearer s3cret"}
    assert fetch_bytes(first.url(), LOCAL, headers=token) == b"elsewhere"
    assert first.seen[0].headers["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in other.seen[0].headers
