"""Callbacks are signed, retried with backoff, and never raise."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from spinelift.net import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    UrlPolicy,
    post_json,
    sign,
    verify,
)
from tests.net.conftest import FakeDns, LocalServer, Seen, reply

App = Callable[[BaseHTTPRequestHandler, Seen], None]
Serve = Callable[[App], LocalServer]
LOCAL = UrlPolicy(allow_private=True, timeout=2.0)
PAYLOAD = {
    "job_id": "job-1",
    "progress": 70,
    "message": "Triangulating mesh…",
    "timestamp": "2025-01-08T10:00:00Z",
}


def answers(*statuses: int, headers: dict[str, str] | None = None) -> App:
    """Answer the n-th request with the n-th status (the last repeats)."""
    count = [0]

    def app(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        status = statuses[min(count[0], len(statuses) - 1)]
        count[0] += 1
        reply(handler, status, b"{}", headers)

    return app


class Sleeps(list[float]):
    """A ``sleep`` that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, b"{}") == expected


def test_verify_accepts_only_a_fresh_exact_signature() -> None:
    body, now = b'{"a":1}', 1_700_000_000.0
    good = sign("secret", 1_700_000_000, body)
    assert verify("secret", "1700000000", body, good, now=now)
    assert verify("secret", "1700000000", body, good.upper(), now=now + 300)
    assert not verify("secret", "1700000000", body, good, now=now + 301)  # stale: replay
    assert not verify("secret", "1700000000", body, good, now=now - 301)
    assert not verify("secret", "1700000000", b'{"a":2}', good, now=now)
    assert not verify("other", "1700000000", body, good, now=now)
    assert not verify("secret", "1700000001", body, good, now=now)
    assert not verify("secret", "soon", body, good, now=now)
    assert not verify("secret", "1700000000", body, "", now=now)
    assert not verify("secret", "1700000000", body, "é" * 64, now=now)


def test_a_signed_callback_verifies_on_the_receiver(serve: Serve) -> None:
    server = serve(answers(204))
    assert post_json(server.url("/hook"), PAYLOAD, LOCAL, secret="s3cret") is True
    (seen,) = server.seen
    assert seen.method == "POST"
    assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(seen.body) == PAYLOAD
    assert (
        seen.body
        == json.dumps(PAYLOAD, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    )
    stamp, signature = seen.headers[TIMESTAMP_HEADER], seen.headers[SIGNATURE_HEADER]
    assert verify("s3cret", stamp, seen.body, signature)
    assert not verify("wrong", stamp, seen.body, signature)


def test_without_a_secret_nothing_is_signed(serve: Serve) -> None:
    server = serve(answers(200))
    assert post_json(server.url(), PAYLOAD, LOCAL, secret=None)
    assert SIGNATURE_HEADER not in server.seen[0].headers
    assert TIMESTAMP_HEADER not in server.seen[0].headers


def test_server_errors_are_retried_with_growing_delays(serve: Serve) -> None:
    server = serve(answers(500, 503, 200))
    sleeps = Sleeps()
    ok = post_json(server.url(), PAYLOAD, LOCAL, secret="k", base_delay=1.0, sleep=sleeps)
    assert ok is True
    assert len(server.seen) == 3
    assert len({s.body for s in server.seen}) == 1  # serialized once, sent as is
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 2.0


def test_backoff_is_capped_and_attempts_are_bounded(serve: Serve) -> None:
    server = serve(answers(502))
    sleeps = Sleeps()
    ok = post_json(
        server.url(), PAYLOAD, LOCAL, secret=None, attempts=6, max_delay=3.0, sleep=sleeps
    )
    assert ok is False
    assert len(server.seen) == 6
    assert len(sleeps) == 5  # no sleep after the last attempt
    assert all(0 < s <= 3.0 for s in sleeps)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 302])
def test_client_errors_and_redirects_give_up_at_once(serve: Serve, status: int) -> None:
    server = serve(answers(status, headers={"Location": "/elsewhere"}))
    sleeps = Sleeps()
    assert post_json(server.url(), PAYLOAD, LOCAL, secret="k", sleep=sleeps) is False
    assert len(server.seen) == 1
    assert sleeps == []


def test_retry_after_is_honoured_up_to_max_delay(serve: Serve) -> None:
    server = serve(answers(429, 429, 200, headers={"Retry-After": "2"}))
    sleeps = Sleeps()
    assert post_json(server.url(), PAYLOAD, LOCAL, secret=None, sleep=sleeps) is True
    assert sleeps == [2.0, 2.0]
    capped = serve(answers(503, 200, headers={"Retry-After": "120"}))
    sleeps.clear()
    assert post_json(capped.url(), PAYLOAD, LOCAL, secret=None, max_delay=8.0, sleep=sleeps)
    assert sleeps == [8.0]


def test_a_receiver_that_is_down_does_not_raise(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING, logger="spinelift.net.callbacks"):
        ok = post_json(f"http://127.0.0.1:{closed_port}/", PAYLOAD, LOCAL, secret="k", sleep=sleeps)
    assert ok is False
    assert len(sleeps) == 4
    assert "failed after 5 attempts" in caplog.text


def test_a_slow_receiver_times_out_and_is_retried(serve: Serve) -> None:
    calls = [0]

    def slow_then_fast(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        calls[0] += 1
        if calls[0] == 1:
            time.sleep(1.0)
        reply(handler, 200)

    server = serve(slow_then_fast)
    sleeps = Sleeps()
    policy = UrlPolicy(allow_private=True, timeout=0.3)
    assert post_json(server.url(), PAYLOAD, policy, secret=None, sleep=sleeps) is True
    assert len(sleeps) == 1


def test_an_unsafe_url_is_refused_without_connecting(serve: Serve) -> None:
    server = serve(answers(200))
    sleeps = Sleeps()
    assert post_json(server.url(), PAYLOAD, UrlPolicy(), secret="k", sleep=sleeps) is False
    assert server.seen == []
    assert sleeps == []
    assert post_json("file:///etc/passwd", PAYLOAD, LOCAL, secret=None) is False


def test_every_attempt_is_checked_again(serve: Serve, fake_dns: FakeDns) -> None:
    server = serve(answers(500))
    # the guard resolves (and pins) the name again for every attempt
    fake_dns.add("hooks.test", ["127.0.0.1"])
    policy = UrlPolicy(allow_hosts=("hooks.test",), timeout=2.0)
    sleeps = Sleeps()
    url = server.url("/cb", host="hooks.test")
    assert post_json(url, PAYLOAD, policy, secret=None, attempts=3, sleep=sleeps) is False
    assert fake_dns.calls["hooks.test"] == 3
    assert len(server.seen) == 3


def test_an_unresolvable_host_is_retried(fake_dns: FakeDns) -> None:
    sleeps = Sleeps()
    ok = post_json("https://gone.test/cb", PAYLOAD, UrlPolicy(), secret=None, sleep=sleeps)
    assert ok is False
    assert len(sleeps) == 4


def test_a_payload_that_is_not_json_does_not_raise() -> None:
    assert post_json("http://127.0.0.1:9/", {"bad": object()}, LOCAL, secret=None) is False
