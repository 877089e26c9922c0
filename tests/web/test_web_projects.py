"""Projects: CRUD for the owner, 404 (never 403) for everybody else, audited changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from spinelift.storage.db import Database
from spinelift.storage.models import AuditEntry
from spinelift.storage.repositories import Actor
from tests.web.support_web import sign_up_and_in


def test_project_crud_is_audited(client: TestClient, web_db: Database) -> None:
    headers = sign_up_and_in(client)
    name = '<script>alert("x")</script> ../../etc/passwd'
    created = client.post("/api/v1/projects", json={"name": name}, headers=headers)
    assert created.status_code == 201
    project = created.json()
    assert project["name"] == name and project["status"] == "draft"  # data, returned as is
    pid = project["id"]

    listed = client.get("/api/v1/projects", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == pid

    patched = client.patch(
        f"/api/v1/projects/{pid}",
        json={"description": "hero", "parameters": {"detail_factor": 0.02}},
        headers=headers,
    )
    assert patched.status_code == 200
    assert patched.json()["parameters"] == {"detail_factor": 0.02}
    assert client.get(f"/api/v1/projects/{pid}", headers=headers).json()["description"] == "hero"

    assert client.delete(f"/api/v1/projects/{pid}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/projects/{pid}", headers=headers).status_code == 404
    with web_db.session(readonly=True) as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"project.create", "project.update", "project.delete"} <= actions


def test_invalid_parameters_are_422_with_fields(client: TestClient) -> None:
    headers = sign_up_and_in(client)
    response = client.post(
        "/api/v1/projects",
        json={"name": "p", "parameters": {"alpha_threshold": 999}},
        headers=headers,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETERS"
    assert "alpha_threshold" in error["details"]["fields"]
    unknown = client.post(
        "/api/v1/projects", json={"name": "p", "parameters": {"nonsense": 1}}, headers=headers
    )
    assert unknown.status_code == 422
    assert "nonsense" in unknown.json()["error"]["details"]["fields"]


def test_another_users_project_is_404_on_every_route(client: TestClient, web_db: Database) -> None:
    owner = sign_up_and_in(client)
    other = sign_up_and_in(client)
    pid = client.post("/api/v1/projects", json={"name": "mine"}, headers=owner).json()["id"]
    with web_db.unit(Actor.system()) as uow:  # a layer, so layer routes have a real target
        (layer,) = uow.layers.bulk_create(pid, [{"name": "arm"}])
        lid = layer.id
    missing = 10_000_000
    routes = [
        ("GET", f"/api/v1/projects/{pid}", None),
        ("PATCH", f"/api/v1/projects/{pid}", {"name": "stolen"}),
        ("DELETE", f"/api/v1/projects/{pid}", None),
        ("GET", f"/api/v1/projects/{pid}/layers", None),
        ("GET", f"/api/v1/projects/{pid}/layers/{lid}/mesh", None),
        ("PATCH", f"/api/v1/projects/{pid}/layers/{lid}", {"parameters": {}}),
        ("GET", f"/api/v1/projects/{pid}/export", None),
        ("GET", f"/api/v1/projects/{pid}/events/snapshot", None),
    ]
    for method, path, body in routes:
        theirs = client.request(method, path, json=body, headers=other)
        absent = client.request(
            method, path.replace(str(pid), str(missing), 1), json=body, headers=other
        )
        assert theirs.status_code == 404, (method, path, theirs.text)
        assert theirs.json()["error"]["code"] == "NOT_FOUND"
        assert absent.status_code == 404
        assert "mine" not in theirs.text
    upload = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, "image/png")},
        headers=other,
    )
    assert upload.status_code == 404
    # the owner still sees it unchanged
    assert client.get(f"/api/v1/projects/{pid}", headers=owner).json()["name"] == "mine"
    token = other["Authorization"].removeprefix("Bearer ")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"/api/v1/projects/{pid}/events?token={token}") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4404


def test_another_users_job_is_404(client: TestClient, web_db: Database) -> None:
    owner = sign_up_and_in(client)
    other = sign_up_and_in(client)
    pid = client.post("/api/v1/projects", json={"name": "p"}, headers=owner).json()["id"]
    upload = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, "image/png")},
        headers=owner,
    )
    job_id = upload.json()["job_id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=owner).json()["status"] == "queued"
    assert client.get(f"/api/v1/jobs/{job_id}", headers=other).status_code == 404
    assert client.get("/api/v1/notifications", headers=other).json() == []
