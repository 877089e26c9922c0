"""Bad input tried on purpose: every route of both apps (from their route tables), signed
in, with hostile ids, bodies and strings, on SQLite and PostgreSQL. Each answer is a 4xx
with seed 004's error body (or a success): never a 500.

The classes here are the ones the schemathesis fuzz found or could only find by luck
(ids beyond a database column, NUL characters PostgreSQL cannot store, lone surrogates,
bodies that are not what the route reads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.security.support_security import (
    Endpoint,
    MeshService,
    WebApp,
    endpoints,
    error_of,
    is_listed,
)
from tests.security.test_security_auth_matrix import WEB_OTHER_CREDENTIALS, WEB_PUBLIC
from tests.service.support_service import AUTH
from tests.web.support_web import PASSWORD

BIG_IDS = [2**31, 2**63, -(2**63) - 1, 10**30]
"""beyond PostgreSQL's ``integer``, beyond any 64-bit integer, and far beyond"""

JSON = {"Content-Type": "application/json"}
BODIES: dict[str, dict[str, Any]] = {
    "not-json": {"content": b"{not json", "headers": JSON},
    "invalid-utf8": {"content": b'{"name": "\xff\xfe"}', "headers": JSON},
    "lone-surrogate": {"content": b'{"name": "\\ud800", "email": "\\udfff@x.y"}', "headers": JSON},
    "array": {"content": b"[1, 2, 3]", "headers": JSON},
    "scalar": {"content": b"null", "headers": JSON},
    "deep": {"content": b"[" * 50_000 + b"]" * 50_000, "headers": JSON},
    "huge-number": {
        "content": b'{"name": 1e999999, "limit": 99999999999999999999}',
        "headers": JSON,
    },
    "wrong-type": {"content": b"name=x", "headers": {"Content-Type": "text/plain"}},
    "form": {"data": {"name": "x", "parameters": "{", "image_url": "x"}},
    "broken-multipart": {
        "content": b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nxx',
        "headers": {"Content-Type": "multipart/form-data; boundary=b"},
    },
    "multipart-no-boundary": {
        "content": b"xx",
        "headers": {"Content-Type": "multipart/form-data"},
    },
    "empty": {},
}


def assert_4xx(response: Any, what: str, wrong: list[str]) -> None:
    if response.status_code >= 500:
        wrong.append(f"{what}: {response.status_code} {response.text[:200]}")
    elif response.status_code >= 400:
        try:
            error_of(response)
        except (AssertionError, ValueError):
            wrong.append(f"{what}: {response.status_code} without an error body: {response.text}")


def user_routes(web: WebApp) -> list[Endpoint]:
    return [
        e
        for e in endpoints(web.app)
        if e.kind == "http"
        and not is_public(e.path)
        and e.path not in WEB_OTHER_CREDENTIALS
        and not e.path.endswith("/signout")
    ]


def is_public(path: str) -> bool:
    return is_listed(path, WEB_PUBLIC)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_web(request: pytest.FixtureRequest, make_web: Callable[..., WebApp]) -> WebApp:
    return make_web(request.param, upload_rate="100000/hour", signin_rate="100000/minute")


def test_ids_no_row_can_have_are_4xx(any_web: WebApp) -> None:
    web = any_web
    user = web.new_user()
    routes = [e for e in endpoints(web.app) if e.kind == "http" and e.params]
    int_params = {"project_id", "layer_id"}
    wrong: list[str] = []
    for endpoint in routes:
        names = [p for p in endpoint.params if p in int_params]
        for name in names:
            for big in BIG_IDS:
                url = endpoint.url({name: big})
                response = web.client.request(endpoint.method, url, headers=user.headers)
                assert_4xx(response, f"{endpoint.method} {url}", wrong)
    assert not wrong, "\n".join(wrong)
    assert len(routes) >= 10


def test_strings_the_database_cannot_store_are_4xx(any_web: WebApp) -> None:
    web = any_web
    user = web.new_user()
    project = web.client.post("/api/v1/projects", json={"name": "p"}, headers=user.headers)
    pid = project.json()["id"]
    nul = "a\x00b"
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/v1/projects", {"json": {"name": nul}}),
        ("POST", "/api/v1/projects", {"json": {"name": "n", "description": nul}}),
        ("POST", "/api/v1/projects", {"json": {"name": "n", "parameters": {nul: 1}}}),
        ("PATCH", f"/api/v1/projects/{pid}", {"json": {"name": nul}}),
        ("PATCH", f"/api/v1/projects/{pid}", {"json": {"description": "\x00" * 100}}),
        ("POST", "/api/v1/auth/signup", {"json": {"email": f"{nul}@x.y", "password": PASSWORD}}),
        ("POST", "/api/v1/auth/signup", {"json": {"email": "ok@x.y", "password": nul * 5}}),
        ("POST", "/api/v1/auth/signin", {"json": {"email": f"{nul}@x.y", "password": PASSWORD}}),
        ("GET", "/api/v1/jobs/a%00b", {}),
        ("GET", "/api/v1/jobs/%ED%A0%80", {}),
        ("GET", "/api/v1/jobs/" + "x" * 10_000, {}),
        (
            "POST",
            f"/api/v1/projects/{pid}/uploads",
            {"files": {"file": ("a\x00b.png", b"\x89PNG\r\n\x1a\n", "image/png")}},
        ),
        ("GET", "/api/v1/projects?offset=99999999999999999999&limit=-1", {}),
        ("GET", "/api/v1/notifications?limit=99999999999999999999", {}),
    ]
    wrong: list[str] = []
    for method, path, kw in calls:
        response = web.client.request(method, path, headers=user.headers, **kw)
        assert_4xx(response, f"{method} {path[:60]} {str(kw)[:80]}", wrong)
    assert not wrong, "\n".join(wrong)


def test_every_web_route_answers_bad_bodies_with_4xx(any_web: WebApp) -> None:
    web = any_web
    user = web.new_user()
    project = web.client.post("/api/v1/projects", json={"name": "p"}, headers=user.headers)
    ids = {"project_id": project.json()["id"], "layer_id": 1, "job_id": "x"}
    wrong: list[str] = []
    routes = [e for e in user_routes(web) if e.method in ("POST", "PATCH", "PUT")]
    assert len(routes) >= 5
    for endpoint in routes:
        for name, body in BODIES.items():
            headers = {**user.headers, **body.get("headers", {})}
            kw = {k: v for k, v in body.items() if k != "headers"}
            response = web.client.request(endpoint.method, endpoint.url(ids), headers=headers, **kw)
            assert_4xx(response, f"{endpoint} [{name}]", wrong)
    assert not wrong, "\n".join(wrong)


def test_every_mesh_service_route_answers_bad_bodies_with_4xx(
    mesh_service: MeshService,
) -> None:
    wrong: list[str] = []
    routes = [
        e
        for e in endpoints(mesh_service.client.app)  # type: ignore[arg-type]
        if e.method in ("POST", "PATCH", "PUT")
    ]
    assert {e.path for e in routes} >= {"/api/v1/mesh/generate", "/api/extract_layers"}
    for endpoint in routes:
        for name, body in BODIES.items():
            headers = {**AUTH, **body.get("headers", {})}
            kw = {k: v for k, v in body.items() if k != "headers"}
            response = mesh_service.client.request(
                endpoint.method, endpoint.url({}), headers=headers, **kw
            )
            assert_4xx(response, f"{endpoint} [{name}]", wrong)
    deep_parameters = mesh_service.client.post(
        "/api/v1/mesh/generate",
        files={"image": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")},
        data={"parameters": "[" * 50_000 + "]" * 50_000},
        headers=AUTH,
    )
    assert_4xx(deep_parameters, "generate with deeply nested parameters", wrong)
    for job_id in ("a%00b", "%ED%A0%80", "x" * 10_000, "..%2F..%2Fetc%2Fpasswd"):
        for suffix in ("status", "result", "status?wait=-1", "status?wait=1e999"):
            response = mesh_service.client.get(f"/api/v1/mesh/{job_id}/{suffix}", headers=AUTH)
            assert_4xx(response, f"GET {job_id[:20]}/{suffix}", wrong)
    assert not wrong, "\n".join(wrong)
