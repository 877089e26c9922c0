"""No one gets in: every endpoint of both apps, read from their route tables, refuses every
kind of missing or bad credential with 401 and an error code.

The route tables are walked at run time, so a new endpoint is covered without touching
this file; the only lists here are the public routes (an explicit allow-list, each with
its reason) and the routes that take a credential other than the user's token. An
endpoint that answers without credentials and is not on the allow-list fails the run.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from spinelift.web.routes_events import CLOSE_UNAUTHORIZED
from tests.security.support_security import (
    Endpoint,
    MeshService,
    User,
    WebApp,
    claims,
    endpoints,
    error_of,
    forge,
    is_listed,
    unsigned,
)
from tests.service.support_service import AUTH, TOKEN
from tests.web.support_web import SECRET

WEB_PUBLIC = {
    "/health": "liveness and dependency states (seed 002): no user data",
    "/health/*": "the /health family",
    "/api/v1/auth/signup": "creates an account: nobody has a token yet",
    "/api/v1/auth/signin": "exchanges e-mail and password for a token (rate limited)",
    "/openapi.json": "the API's description: the same for everyone",
    "/docs": "Swagger UI over /openapi.json",
    "/docs/oauth2-redirect": "Swagger UI's OAuth helper page",
    "/redoc": "ReDoc over /openapi.json",
    # the browser UI: one static HTML shell; the page fetches data with the Bearer token
    "/": "UI shell page",
    "/signin": "UI shell page",
    "/projects": "UI shell page",
    "/projects/{project_id}": "UI shell page (the same HTML whatever the id)",
    "/static/*": "UI scripts and styles",
    "/vendor/*": "the vendored Spine web player",
}
"""Web routes that answer without a token, and why that is safe. Nothing else may."""

WEB_OTHER_CREDENTIALS = {
    "/metrics": "Authorization: Bearer <SPINELIFT_METRICS_TOKEN> (a user token never opens it)",
    "/api/v1/mesh/progress": "the mesh service's HMAC signature (X-SpineLift-Signature)",
}
"""Protected web routes whose credential is not a user's access token."""

SERVICE_PUBLIC = {
    "/health": "seed 002 health document",
    "/health/live": "liveness",
    "/health/ready": "readiness",
}


def web_endpoints(web: WebApp) -> list[Endpoint]:
    found = endpoints(web.app)
    paths = {e.path for e in found}
    # the route walk itself must see the API, or every loop below would pass vacuously
    assert {"/api/v1/projects", "/api/v1/projects/{project_id}/events", "/api/v1/me"} <= paths
    return found


def protected(found: list[Endpoint], public: dict[str, str]) -> list[Endpoint]:
    return [e for e in found if e.kind != "mount" and not is_listed(e.path, public)]


def call(client: TestClient, endpoint: Endpoint, headers: dict[str, str], **kw: Any) -> Any:
    return client.request(endpoint.method, endpoint.url({}), headers=headers, **kw)


def signed_out_token(web: WebApp) -> str:
    user = web.new_user()
    assert web.client.post("/api/v1/auth/signout", headers=user.headers).status_code == 204
    return user.token


def bad_web_tokens(web: WebApp, user: User) -> dict[str, str | None]:
    """Token strings that must never open a user endpoint (``None``: no token at all).
    Each forged one names ``user``, who exists: only the token itself is wrong."""
    uid = user.id
    return {
        "none": None,
        "empty": "",
        "malformed": "not-a-jwt",
        "truncated": user.token[: len(user.token) // 2],
        "tampered-signature": user.token[:-4] + ("AAAA" if user.token[-4:] != "AAAA" else "BBBB"),
        "expired": forge(claims(uid, iat=1_600_000_000, exp=1_600_000_600)),
        "other-key": forge(claims(uid), key="another-key-" + "y" * 40),
        "alg-none": unsigned(claims(uid)),
        "alg-HS512": forge(claims(uid), algorithm="HS512"),
        "alg-HS384": forge(claims(uid), algorithm="HS384"),
        "no-exp": forge({k: v for k, v in claims(uid).items() if k != "exp"}),
        "no-jti": forge({k: v for k, v in claims(uid).items() if k != "jti"}),
        "sub-not-a-number": forge(claims(uid, sub="admin")),
        "sub-40-digits": forge(claims(uid, sub="9" * 40)),  # was a 500
        "sub-zero": forge(claims(uid, sub="0")),
        "signed-out": signed_out_token(web),
        "service-token": TOKEN,
    }


WEB_HEADER_CASES: dict[str, Callable[[dict[str, str | None], User], dict[str, str]]] = {
    **{
        name: (
            lambda tokens, user, name=name: (
                {} if tokens[name] is None else {"Authorization": f"Bearer {tokens[name]}"}
            )
        )
        for name in (
            "none",
            "empty",
            "malformed",
            "truncated",
            "tampered-signature",
            "expired",
            "other-key",
            "alg-none",
            "alg-HS512",
            "alg-HS384",
            "no-exp",
            "no-jti",
            "sub-not-a-number",
            "sub-40-digits",
            "sub-zero",
            "signed-out",
            "service-token",
        )
    },
    "service-token-header": lambda tokens, user: {"X-Service-Token": TOKEN},
    "token-without-scheme": lambda tokens, user: {"Authorization": user.token},
    "basic-scheme": lambda tokens, user: {
        "Authorization": "Basic " + base64.b64encode(f"{user.email}:x".encode()).decode()
    },
    "token-in-query-only": lambda tokens, user: {},  # ?token= is for the WebSocket alone
}


@pytest.mark.parametrize("case", sorted(WEB_HEADER_CASES))
def test_every_web_endpoint_refuses_a_bad_credential(web: WebApp, case: str) -> None:
    user = web.new_user()
    headers = WEB_HEADER_CASES[case](bad_web_tokens(web, user), user)
    params = {"token": user.token} if case == "token-in-query-only" else None
    targets = [e for e in protected(web_endpoints(web), WEB_PUBLIC) if e.kind == "http"]
    wrong = []
    for endpoint in targets:
        response = call(web.client, endpoint, headers, params=params)
        if response.status_code != 401 or error_of(response)["code"] != "UNAUTHORIZED":
            wrong.append(f"{endpoint}: {response.status_code} {response.text[:200]}")
        elif response.headers.get("WWW-Authenticate") != "Bearer":
            wrong.append(f"{endpoint}: no WWW-Authenticate: Bearer")
    assert not wrong, "\n".join(wrong)
    assert len(targets) >= 15


def test_a_valid_token_opens_every_user_endpoint(web: WebApp) -> None:
    """The control of the matrix: the same calls with the user's real token are not 401
    (so each 401 above is the token's doing), except on the routes that take another
    credential, which a user token must not open either."""
    user = web.new_user()
    targets = [e for e in protected(web_endpoints(web), WEB_PUBLIC) if e.kind == "http"]
    for endpoint in targets:
        # signing out spends the token: that call gets a user of its own
        headers = web.new_user().headers if endpoint.path.endswith("/signout") else user.headers
        response = call(web.client, endpoint, headers)
        other = is_listed(endpoint.path, WEB_OTHER_CREDENTIALS)
        assert (response.status_code == 401) is other, (str(endpoint), response.text[:200])


def test_only_the_allow_list_answers_without_a_token(web: WebApp) -> None:
    """Every route, mounts included, is either on the allow-list or refuses a caller
    without credentials; the public ones that exist really answer."""
    found = web_endpoints(web)
    for endpoint in found:
        if endpoint.kind == "mount":
            assert is_listed(endpoint.path + "/x", WEB_PUBLIC), f"unlisted mount {endpoint}"
    public_now = [e for e in found if e.kind == "http" and is_listed(e.path, WEB_PUBLIC)]
    for endpoint in public_now:
        if endpoint.method == "GET":
            response = web.client.get(endpoint.url({}))
            assert response.status_code != 401, str(endpoint)
    assert any(e.path == "/health" for e in public_now)


def ws_close_code(client: TestClient, path: str) -> int | None:
    """The close code the server answers the handshake with; ``None`` once accepted."""
    try:
        with client.websocket_connect(path) as socket:
            socket.receive_json()  # the snapshot
            return None
    except WebSocketDisconnect as closed:
        return closed.code


def test_every_websocket_refuses_a_bad_token(web: WebApp) -> None:
    user = web.new_user()
    project = web.client.post("/api/v1/projects", json={"name": "p"}, headers=user.headers)
    values = {"project_id": project.json()["id"]}
    sockets = [e for e in web_endpoints(web) if e.kind == "websocket"]
    assert sockets
    tokens = bad_web_tokens(web, user)
    for endpoint in sockets:
        base = endpoint.url(values)
        for name, token in tokens.items():
            path = base if token is None else f"{base}?token={token}"
            assert ws_close_code(web.client, path) == CLOSE_UNAUTHORIZED, (str(endpoint), name)
        # control: the owner's real token opens it
        assert ws_close_code(web.client, f"{base}?token={user.token}") is None


# -- the mesh service ------------------------------------------------------------------


def service_cases(web_token: str) -> dict[str, dict[str, str]]:
    return {
        "none": {},
        "empty": {"X-Service-Token": ""},
        "wrong": {"X-Service-Token": "not-the-token"},
        "token-with-suffix": {"X-Service-Token": TOKEN + "x"},
        "token-prefix": {"X-Service-Token": TOKEN[:-1]},
        "token-as-bearer": {"Authorization": f"Bearer {TOKEN}"},
        "web-jwt-as-service-token": {"X-Service-Token": web_token},
        "web-jwt-as-bearer": {"Authorization": f"Bearer {web_token}"},
    }


def test_every_mesh_service_endpoint_refuses_a_bad_credential(mesh_service: MeshService) -> None:
    web_token = forge(claims(1), key=SECRET)
    found = endpoints(mesh_service.client.app)  # type: ignore[arg-type]
    targets = protected(found, SERVICE_PUBLIC)
    paths = {e.path for e in targets}
    assert {"/api/v1/mesh/generate", "/api/extract_layers", "/metrics"} <= paths
    assert not [e for e in found if e.kind != "http"], "a mesh service route of a new kind"
    wrong = []
    for endpoint in targets:
        for name, headers in service_cases(web_token).items():
            response = call(mesh_service.client, endpoint, headers)
            if response.status_code != 401 or error_of(response)["code"] != "UNAUTHORIZED":
                wrong.append(f"{endpoint} [{name}]: {response.status_code} {response.text[:200]}")
            elif response.headers.get("WWW-Authenticate") != "X-Service-Token":
                wrong.append(f"{endpoint} [{name}]: no WWW-Authenticate")
        control = call(mesh_service.client, endpoint, AUTH)
        if control.status_code == 401:
            wrong.append(f"{endpoint}: the real token is refused")
    assert not wrong, "\n".join(wrong)
    for endpoint in found:
        if is_listed(endpoint.path, SERVICE_PUBLIC):
            assert call(mesh_service.client, endpoint, {}).status_code in (200, 503)
