"""The service's edges: auth, validation, SSRF, size limits, queue limit, health, errors."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from fastapi.testclient import TestClient

from spinelift.config import ServiceSettings
from spinelift.jobs.broker import add_middleware
from spinelift.service import create_app
from tests.service.support_service import (
    AUTH,
    OLD_TOKEN,
    cleanup,
    make_settings,
    new_prefix,
    png_bytes,
    require_redis,
)

GENERATE = "/api/v1/mesh/generate"


@pytest.fixture
def stub_app(tmp_path: Path) -> Iterator[Any]:
    """Make apps on a StubBroker (jobs are queued, never run) and real Redis."""
    redis_client = require_redis()
    prefixes: list[str] = []

    def make(**changes: Any) -> TestClient:
        prefix = new_prefix()
        prefixes.append(prefix)
        settings = make_settings(prefix, tmp_path, **changes)
        broker = StubBroker()
        add_middleware(broker, settings)
        return TestClient(create_app(settings, broker=broker), raise_server_exceptions=False)

    yield make
    for prefix in prefixes:
        cleanup(redis_client, prefix)


def upload(
    client: TestClient, image: bytes, headers: dict[str, str] | None = None, **form: str
) -> Any:
    return client.post(
        GENERATE,
        files={"image": ("a.png", image, "image/png")},
        data=form,
        headers=AUTH if headers is None else headers,
    )


def test_every_api_endpoint_needs_a_valid_token(strict_client: TestClient) -> None:
    for method, path in (
        ("post", GENERATE),
        ("get", "/api/v1/mesh/x/status"),
        ("get", "/api/v1/mesh/x/result"),
        ("post", "/api/extract_layers"),
        ("get", "/metrics"),
    ):
        for headers in ({}, {"X-Service-Token": "wrong"}, {"X-Service-Token": ""}):
            response = strict_client.request(method, path, headers=headers)
            assert response.status_code == 401, (path, headers, response.text)
            assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert strict_client.get("/health").status_code == 200  # health needs no token


def test_the_previous_token_is_accepted_during_rotation(strict_client: TestClient) -> None:
    response = strict_client.get("/api/v1/mesh/nope/status", headers={"X-Service-Token": OLD_TOKEN})
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "JOB_NOT_FOUND",
        "message": "no job 'nope'",
        "details": {"job_id": "nope"},
    }


def test_bad_parameters_are_422_with_every_field_listed(strict_client: TestClient) -> None:
    bad = {"detail_factor": 0.9, "alpha_threshold": -1, "blur_kernel_size": "big"}
    response = strict_client.post(
        GENERATE, json={"image_url": "https://example.com/a.png", "parameters": bad}, headers=AUTH
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETERS"
    assert set(error["details"]["fields"]) == {
        "parameters.detail_factor",
        "parameters.alpha_threshold",
        "parameters.blur_kernel_size",
    }
    multipart = upload(strict_client, png_bytes(), parameters=json.dumps({"unknown_knob": 1}))
    assert multipart.status_code == 422
    assert "parameters.unknown_knob" in multipart.json()["error"]["details"]["fields"]
    neither = strict_client.post(GENERATE, data={"job_id": "x"}, headers=AUTH)
    assert neither.status_code == 422 and "image" in neither.json()["error"]["details"]["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.png",
        "http://10.0.0.1/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/a.png",
        "http://localhost/a.png",
        "file:///etc/passwd",
    ],
)
def test_unsafe_urls_are_refused_at_submit(strict_client: TestClient, url: str) -> None:
    for body in (
        {"image_url": url},
        {"image_url": "http://93.184.216.34/a.png", "callback_url": url},
    ):
        response = strict_client.post(GENERATE, json=body, headers=AUTH)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "UNSAFE_URL"


def test_a_hostname_resolving_to_loopback_is_refused(
    strict_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    response = strict_client.post(
        GENERATE, json={"image_url": "http://images.example.com/a.png"}, headers=AUTH
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "UNSAFE_URL"


def test_oversized_images_and_bodies_are_refused(stub_app: Any) -> None:
    client = stub_app(max_image_dimension=256, max_request_size=50_000)
    wide = upload(client, png_bytes(300, 10))
    assert wide.status_code == 413 and wide.json()["error"]["code"] == "IMAGE_TOO_LARGE"
    big = b"\x89PNG" + bytes(60_000)
    declared = upload(client, big)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "REQUEST_TOO_LARGE"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(20):
            yield bytes(5_000)

    streamed = client.post(
        GENERATE,
        content=chunks(),
        headers={**AUTH, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "REQUEST_TOO_LARGE"


def test_a_full_queue_answers_429_with_retry_after(stub_app: Any) -> None:
    client = stub_app(max_queue=2, queue_retry_after=7)
    for seed in range(2):
        assert upload(client, png_bytes(seed=100 + seed)).status_code == 202
    refused = upload(client, png_bytes(seed=200))
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "7"
    assert refused.json()["error"]["code"] == "QUEUE_FULL"


def test_a_queued_job_reports_its_status_and_is_not_ready(stub_app: Any) -> None:
    client = stub_app()
    accepted = upload(client, png_bytes(seed=300), job_id="queued-1").json()
    status = client.get("/api/v1/mesh/queued-1/status", headers=AUTH).json()
    assert status["status"] == "queued" and status["result_url"] is None
    result = client.get("/api/v1/mesh/queued-1/result", headers=AUTH)
    assert accepted["job_id"] == "queued-1"
    assert result.status_code == 409 and result.json()["error"]["code"] == "JOB_NOT_READY"


def test_an_unexpected_error_is_500_with_a_request_id_and_no_traceback(
    stub_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = stub_app()
    runtime = client.app.state.runtime  # type: ignore[attr-defined]

    def boom(job_id: str) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runtime.store, "get", boom)
    response = client.get("/api/v1/mesh/x/status", headers={**AUTH, "X-Request-ID": "req-123"})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "INTERNAL_ERROR" and error["details"]["request_id"] == "req-123"
    assert "Traceback" not in response.text and "disk on fire" not in response.text
    assert response.headers["X-Request-ID"] == "req-123"


def test_health_follows_seed_002_and_readiness_needs_the_broker(
    strict_client: TestClient, tmp_path: Path
) -> None:
    health = strict_client.get("/health").json()
    assert set(health) >= {"service", "status", "version", "port", "dependencies", "metrics"}
    assert health["status"] == "healthy"
    assert health["dependencies"] == {"redis": "healthy", "storage": "healthy"}
    assert {"uptime_seconds", "memory_usage_mb"} <= set(health["metrics"])
    assert strict_client.get("/health/live").status_code == 200
    assert strict_client.get("/health/ready").status_code == 200
    down = ServiceSettings(redis_url="redis://127.0.0.1:1/0", data_dir=tmp_path, service_token="t")
    with TestClient(create_app(down)) as broken:
        assert broken.get("/health/live").status_code == 200
        ready = broken.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["dependencies"]["redis"] == "unhealthy"
        assert broken.get("/health").json()["status"] == "degraded"
        outage = broken.get("/api/v1/mesh/x/status", headers={"X-Service-Token": "t"})
        assert outage.status_code == 503
        assert outage.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_openapi_documents_the_endpoints(strict_client: TestClient) -> None:
    assert strict_client.get("/openapi.json").status_code == 401
    assert strict_client.get("/docs").status_code == 401
    strict_client.headers.update(AUTH)
    schema = strict_client.get("/openapi.json").json()
    assert {GENERATE, "/api/extract_layers", "/health", "/metrics"} <= set(schema["paths"])
    parameters = schema["components"]["schemas"]["MeshParameters"]["properties"]
    assert parameters["detail_factor"]["maximum"] == 0.05
    assert strict_client.get("/docs").status_code == 200
