"""Another user's project, layer or job is a 404 exactly like one that does not exist:
same status, same body (ids aside), nothing of the owner's data, and nothing changed.

Every web route with an id in its path is taken from the route table. A new route with a
path parameter this file does not know fails ``test_every_id_route_is_covered`` until its
parameter is added to :func:`owned_ids`; one that needs a body gets it from ``BODIES``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from spinelift.storage.repositories import Actor
from spinelift.web.routes_events import CLOSE_NOT_FOUND
from tests.security.support_security import (
    Endpoint,
    User,
    WebApp,
    endpoints,
    error_of,
    is_listed,
)
from tests.security.test_security_auth_matrix import (
    WEB_OTHER_CREDENTIALS,
    WEB_PUBLIC,
    ws_close_code,
)
from tests.service.support_service import png_bytes

PNG = png_bytes(24, 16)
SECRET_NAME = "owner-only-name-7f3a"

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/projects/{project_id}"): {"json": {"name": "renamed by someone else"}},
    ("PATCH", "/api/v1/projects/{project_id}/layers/{layer_id}"): {
        "json": {"parameters": {"alpha_threshold": 3}}
    },
    ("POST", "/api/v1/projects/{project_id}/uploads"): {
        "files": {"file": ("a.png", PNG, "image/png")}
    },
    ("POST", "/api/v1/projects/{project_id}/uploads/layers"): {
        "files": [("files", ("a.png", PNG, "image/png"))]
    },
}
"""A valid body for each route that needs one (an invalid one would be a 422 first)."""

MISSING = {"project_id": 987_654_321, "layer_id": 987_654_322, "job_id": "f" * 32}
"""Ids nobody has: a 404 for these is the reference answer."""


def owner_resources(web: WebApp, owner: User) -> dict[str, Any]:
    """A project of ``owner`` with a layer (its image and a mesh) and a job."""
    project = web.client.post(
        "/api/v1/projects",
        json={"name": SECRET_NAME, "description": SECRET_NAME},
        headers=owner.headers,
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    runtime = web.app.state.runtime
    runtime.blobs.put("security/layer.png", PNG)
    with web.db.unit(Actor.system("test")) as uow:
        (layer,) = uow.layers.bulk_create(
            project_id,
            [
                {
                    "name": SECRET_NAME,
                    "bounds": {"x": 0, "y": 0, "width": 24, "height": 16},
                    "image_key": "security/layer.png",
                }
            ],
        )
        uow.meshes.add_version(layer.id, {"attachment": {"type": "mesh", "name": SECRET_NAME}}, {})
        layer_id = layer.id
    upload = web.client.post(
        f"/api/v1/projects/{project_id}/uploads",
        files={"file": ("a.png", PNG, "image/png")},
        headers=owner.headers,
    )
    assert upload.status_code == 202, upload.text
    return {"project_id": project_id, "layer_id": layer_id, "job_id": upload.json()["job_id"]}


def id_routes(web: WebApp) -> list[Endpoint]:
    return [
        e
        for e in endpoints(web.app)
        if e.params and e.kind != "mount" and not is_listed(e.path, WEB_OTHER_CREDENTIALS)
    ]


def request(client: TestClient, endpoint: Endpoint, ids: dict[str, Any], user: User) -> Any:
    body = BODIES.get((endpoint.method, endpoint.path), {})
    return client.request(endpoint.method, endpoint.url(ids), headers=user.headers, **body)


def as_if(response: Any, missing: dict[str, Any], ids: dict[str, Any]) -> str:
    """The body of an answer about ``missing`` ids, with those ids written as ``ids``."""
    text = json.dumps(response.json(), sort_keys=True)
    for name, value in missing.items():
        text = text.replace(json.dumps(value), json.dumps(ids[name]))
    return text


def test_every_id_route_is_covered(web: WebApp) -> None:
    routes = id_routes(web)
    assert len(routes) >= 10
    unknown = {p for e in routes for p in e.params} - set(MISSING)
    assert not unknown, f"teach owned_ids()/MISSING these path parameters: {unknown}"


def test_another_users_ids_are_404_like_missing_ones(web: WebApp) -> None:
    owner, other = web.new_user(), web.new_user()
    owned = owner_resources(web, owner)
    theirs = web.client.post("/api/v1/projects", json={"name": "mine"}, headers=other.headers)
    own_project = theirs.json()["id"]
    wrong: list[str] = []
    checked = 0
    for endpoint in id_routes(web):
        public = is_listed(endpoint.path, WEB_PUBLIC)
        if endpoint.kind == "websocket":
            query = f"?token={other.token}"
            code = ws_close_code(web.client, endpoint.url(owned) + query)
            missing = ws_close_code(web.client, endpoint.url(MISSING) + query)
            if not code == missing == CLOSE_NOT_FOUND:
                wrong.append(f"{endpoint}: closed {code}, a missing id {missing}")
            checked += 1
            continue
        # the owner's ids, then the other user's own project with the owner's layer/job
        variants = [owned]
        if "project_id" in endpoint.params and len(endpoint.params) > 1:
            variants.append({**owned, "project_id": own_project})
        for ids in variants:
            reference = {**ids, **{k: v for k, v in MISSING.items() if ids[k] == owned[k]}}
            got = request(web.client, endpoint, ids, other)
            expected = request(web.client, endpoint, reference, other)
            checked += 1
            if public:  # a shell page: the very same bytes whatever the id
                if got.content != expected.content or SECRET_NAME.encode() in got.content:
                    wrong.append(f"{endpoint}: the public page differs for an existing id")
                continue
            if got.status_code != 404 or expected.status_code != 404:
                wrong.append(
                    f"{endpoint} {ids}: {got.status_code} / missing {expected.status_code}"
                )
                continue
            error_of(got)
            if got.text.count(SECRET_NAME) or as_if(expected, reference, ids) != json.dumps(
                got.json(), sort_keys=True
            ):
                wrong.append(f"{endpoint}: {got.text} differs from {expected.text}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 12

    # nothing the other user sent changed the owner's data
    project = web.client.get(f"/api/v1/projects/{owned['project_id']}", headers=owner.headers)
    assert project.status_code == 200 and project.json()["name"] == SECRET_NAME
    layers = web.client.get(f"/api/v1/projects/{owned['project_id']}/layers", headers=owner.headers)
    assert [layer["parameters"] for layer in layers.json()] == [{}]
    # and the other user's lists hold nothing of the owner's
    listed = web.client.get("/api/v1/projects", headers=other.headers).json()
    assert [p["id"] for p in listed["items"]] == [own_project]
    notes = web.client.get("/api/v1/notifications", headers=other.headers).json()
    assert SECRET_NAME not in json.dumps(notes)


def test_the_owner_reaches_every_id_route(web: WebApp) -> None:
    """The control: the same requests by the owner are not 404 (so the 404s above come
    from ownership, not from a request that could never succeed)."""
    owner = web.new_user()
    owned = owner_resources(web, owner)
    routes = [e for e in id_routes(web) if not is_listed(e.path, WEB_PUBLIC)]
    deletes = [e for e in routes if e.method == "DELETE"]
    for endpoint in [e for e in routes if e.method != "DELETE"] + deletes:
        if endpoint.kind == "websocket":
            assert ws_close_code(web.client, f"{endpoint.url(owned)}?token={owner.token}") is None
            continue
        response = request(web.client, endpoint, owned, owner)
        assert response.status_code not in (401, 404), (str(endpoint), response.text[:300])
