"""``GET /metrics``: closed without a configured token, Prometheus text with it, counting
requests by route and the database's rows by status."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from spinelift.storage.db import Database
from spinelift.web.settings import WebSettings
from tests.web.support_web import make_client, sign_up_and_in

METRICS_TOKEN = "scrape-" + "m" * 40


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_are_closed_without_a_configured_token(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    with make_client(settings_for(), web_db) as client:
        headers = sign_up_and_in(client)  # a user's token does not open it either
        for sent in ({}, headers, {"Authorization": "Bearer anything"}):
            response = client.get("/metrics", headers=sent)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "UNAUTHORIZED"
            assert "SPINELIFT_METRICS_TOKEN" in response.json()["error"]["message"]


def test_metrics_need_the_metrics_token_and_count_requests_and_rows(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    with make_client(settings_for(metrics_token=METRICS_TOKEN), web_db) as client:
        headers = sign_up_and_in(client)
        for name in ("a", "b"):
            assert client.post("/api/v1/projects", json={"name": name}, headers=headers).is_success
        assert client.get("/api/v1/projects/999999", headers=headers).status_code == 404
        for wrong in ({}, headers, {"Authorization": "Bearer " + METRICS_TOKEN[:-1]}):
            assert client.get("/metrics", headers=wrong).status_code == 401
        response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        samples = _samples(response.text)
    assert samples[("spinelift_users", ())] == 1
    assert samples[("spinelift_projects", (("status", "draft"),))] == 2
    assert samples[("spinelift_projects", (("status", "completed"),))] == 0
    created = (("method", "POST"), ("route", "/api/v1/projects"), ("status", "201"))
    assert samples[("spinelift_http_requests_total", created)] == 2
    missing = (("method", "GET"), ("route", "/api/v1/projects/{project_id}"), ("status", "404"))
    assert samples[("spinelift_http_requests_total", missing)] == 1
    assert samples[("spinelift_websockets_open", ())] == 0
