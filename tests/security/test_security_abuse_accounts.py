"""The account, token, WebSocket, id and rate-limit attacks of issue 19, each replayed
against the web app on a real Redis and a real database (SQLite, and PostgreSQL where the
attack is about the database), WebSockets through a real uvicorn server (so the close
codes are the ones a browser sees), asserting the refusal.

One row of :data:`ATTACKS` per attack; each returns its figures (printed with ``-s``),
and the test asserts what the issue's targets say: 0 foreign events through an old
socket, 0 requests served to a deleted or deactivated account, the WebSocket cap, the
sign-up and account-wide sign-in limits, one Redis pub/sub connection per process, no
500, no Host header echoed into a URL.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from spinelift.cli.main import main
from spinelift.storage.models import Project, User
from spinelift.web.app import create_app
from spinelift.web.routes_events import CLOSE_NOT_FOUND, CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED
from tests.polling import wait_until
from tests.reliability.support import WorkerGroup, free_port
from tests.security.support_security import WebApp, claims, endpoints, forge, is_listed
from tests.security.test_security_auth_matrix import WEB_OTHER_CREDENTIALS, WEB_PUBLIC
from tests.web.support_web import PASSWORD


class Live:
    """The app of ``web``'s settings served by uvicorn in a thread (another "process" on
    the same database and Redis)."""

    def __init__(self, web: WebApp) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(web.settings, db=web.db)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", proxy_headers=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=30, what="uvicorn started")
        self.sockets = ExitStack()

    def socket(self, project_id: int, token: str) -> ClientConnection:
        """A WebSocket client on the project's events (closed by :meth:`stop` at the latest)."""
        path = f"/api/v1/projects/{project_id}/events?token={token}"
        return self.sockets.enter_context(connect(f"ws://127.0.0.1:{self.port}{path}"))

    def stop(self) -> None:
        self.sockets.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)


@dataclass
class Ctx:
    web: WebApp
    live: Live
    redis: redis.Redis
    monkeypatch: pytest.MonkeyPatch
    tmp_path: Path

    def user(self) -> tuple[int, str, dict[str, str]]:
        account = self.web.new_user()
        return account.id, account.email, account.headers

    def project(self, headers: dict[str, str], name: str = "p") -> int:
        response = self.web.client.post("/api/v1/projects", json={"name": name}, headers=headers)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def publish(self, project_id: int, n: int = 1) -> None:
        bus = self.web.app.state.runtime.events
        for i in range(n):
            bus.publish(project_id, {"type": "project", "project_id": project_id, "n": i})

    def operator(self, *args: str) -> int:
        """``spinelift account ...`` with the app's database, Redis and prefix."""
        settings = self.web.settings
        env = {
            "SPINELIFT_DATABASE_URL": self.web.db.url.render_as_string(hide_password=False),
            "SPINELIFT_REDIS_URL": str(settings.redis_url),
            "SPINELIFT_KEY_PREFIX": settings.key_prefix,
            "SPINELIFT_DATA_DIR": str(settings.data_dir),
        }
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        return main(["account", *args])


def pubsub_list(client: redis.Redis) -> list[dict[str, Any]]:
    """The server's pub/sub clients (``CLIENT LIST TYPE pubsub``)."""
    found: list[dict[str, Any]] = client.client_list(_type="pubsub")  # type: ignore[assignment]
    return found


def drain(ws: ClientConnection) -> tuple[list[Any], int | None]:
    """Every message until the server closes the socket, and the close code."""
    got: list[Any] = []
    try:
        while True:
            got.append(ws.recv(timeout=30))
    except ConnectionClosed as closed:
        return got, closed.rcvd.code if closed.rcvd else None


def opened(ws: ClientConnection) -> None:
    first = ws.recv(timeout=30)
    assert '"snapshot"' in str(first), first


def served_to(ctx: Ctx, headers: dict[str, str]) -> dict[str, Any]:
    """Call every protected HTTP endpoint with ``headers``: how many were served (not 401)
    and the 401 codes seen."""
    targets = [
        e
        for e in endpoints(ctx.web.app)
        if e.kind == "http"
        and not is_listed(e.path, WEB_PUBLIC)
        and not is_listed(e.path, WEB_OTHER_CREDENTIALS)
    ]
    served, codes, errors = [], set(), []
    for endpoint in targets:
        response = ctx.web.client.request(endpoint.method, endpoint.url({}), headers=headers)
        if response.status_code >= 500:
            errors.append(str(endpoint))
        if response.status_code != 401:
            served.append(f"{endpoint}: {response.status_code}")
        else:
            codes.add(response.json()["error"]["code"])
    return {"endpoints": len(targets), "served": served, "codes": codes, "5xx": errors}


# -- the attacks ---------------------------------------------------------------------


def old_socket_after_delete_and_id_reuse(ctx: Ctx) -> dict[str, Any]:
    """A watches project P, deletes it: the socket closes. B's new project never gets P's
    id. Then the worst case, as a database from before AUTOINCREMENT (or any path that
    deletes without announcing it) could make: A watches Q, Q's row silently becomes B's
    project with the same id, and 12 of B's events are published on Q's channel: A's
    socket relays none of them and is closed."""
    _, _, a = ctx.user()
    b_id, _, b = ctx.user()
    p = ctx.project(a)
    token = a["Authorization"].removeprefix("Bearer ")
    ws = ctx.live.socket(p, token)
    opened(ws)
    assert ctx.web.client.delete(f"/api/v1/projects/{p}", headers=a).status_code == 204
    after_delete, delete_code = drain(ws)
    b_project = ctx.project(b)

    q = ctx.project(a, "q")
    watching = ctx.live.socket(q, token)
    opened(watching)
    with ctx.web.db.engine.begin() as conn:  # Q is B's now, under the same id
        conn.execute(text("DELETE FROM projects WHERE id = :id"), {"id": q})
        conn.execute(
            text(
                "INSERT INTO projects (id, owner_id, name, description, status, parameters,"
                " created_at, updated_at) VALUES (:id, :owner, 'b', '', 'draft', '{}',"
                " '2026-01-01', '2026-01-01')"
            ),
            {"id": q, "owner": b_id},
        )
    ctx.publish(q, 12)
    events, code = drain(watching)
    return {
        "new_id": b_project,
        "old_id": p,
        "after_delete": len(after_delete),
        "delete_close": delete_code,
        "foreign_events": len(events),
        "close": code,
    }


def deleted_account_token(ctx: Ctx) -> dict[str, Any]:
    """A deletes their account (with their password); the next sign-up gets a new id; A's
    old token is refused everywhere (ACCOUNT_INACTIVE), and A's socket was closed."""
    a_id, _, a = ctx.user()
    p = ctx.project(a)
    token = a["Authorization"].removeprefix("Bearer ")
    ws = ctx.live.socket(p, token)
    opened(ws)
    wrong = ctx.web.client.request(
        "DELETE", "/api/v1/me", json={"password": "not the password"}, headers=a
    )
    assert wrong.status_code == 401  # a token alone cannot delete the account
    gone = ctx.web.client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=a)
    assert gone.status_code == 204, gone.text
    _, code = drain(ws)
    newcomer, _, _ = ctx.user()
    figures = served_to(ctx, a)
    with ctx.web.db.session(readonly=True) as session:
        left = session.query(Project).filter(Project.owner_id == a_id).count()
        user_row = session.get(User, a_id)
    blobs = ctx.web.app.state.runtime.blobs.list_keys(f"projects/{p}/")
    me = ctx.web.client.get("/api/v1/me", headers=a)
    return {
        **figures,
        "close": code,
        "new_id": newcomer,
        "old_id": a_id,
        "projects_left": left,
        "user_row": user_row,
        "blobs_left": len(blobs),
        "me": me.status_code,
    }


def deactivated_account_token(ctx: Ctx) -> dict[str, Any]:
    """The operator deactivates A (``spinelift account deactivate``): A's tokens are
    refused everywhere, A's open socket closes at the next event (which it does not get),
    a new socket is refused; after ``reactivate`` the old token stays refused."""
    _, email, a = ctx.user()
    p = ctx.project(a)
    token = a["Authorization"].removeprefix("Bearer ")
    ws = ctx.live.socket(p, token)
    opened(ws)
    assert ctx.operator("deactivate", email) == 0
    ctx.publish(p, 5)
    events, code = drain(ws)
    again, again_code = drain(ctx.live.socket(p, token))
    figures = served_to(ctx, a)
    assert ctx.operator("reactivate", email) == 0
    after = ctx.web.client.get("/api/v1/me", headers=a).status_code
    signin = ctx.web.client.post(
        "/api/v1/auth/signin", json={"email": email, "password": PASSWORD}
    ).status_code
    return {
        **figures,
        "events_after": len(events),
        "close": code,
        "reopen_close": again_code,
        "reopen_events": len(again),
        "old_token_after_reactivate": after,
        "signin_after_reactivate": signin,
    }


def huge_sub(ctx: Ctx) -> dict[str, Any]:
    """Tokens signed with the real key whose ``sub`` no row can have: 401, never 500."""
    subs = ["9" * 40, "0", "-1", "2147483648", "1e3", " 7", "٣"]
    statuses = {}
    for sub in subs:
        headers = {"Authorization": f"Bearer {forge(claims(1, sub=sub))}"}
        statuses[sub] = {
            path: ctx.web.client.get(path, headers=headers).status_code
            for path in ("/api/v1/me", "/api/v1/projects")
        }
        statuses[sub]["create"] = ctx.web.client.post(
            "/api/v1/projects", json={"name": "x"}, headers=headers
        ).status_code
    return {"statuses": statuses}


def websocket_flood(ctx: Ctx) -> dict[str, Any]:
    """One token opens sockets until refused: the cap holds (4429), a closed socket frees
    its slot, and all the open ones share one Redis pub/sub connection."""
    _, _, a = ctx.user()
    token = a["Authorization"].removeprefix("Bearer ")
    projects = [ctx.project(a, f"p{n}") for n in range(3)]
    cap = ctx.web.settings.ws_max_per_user
    sockets = []
    for n in range(cap):
        ws = ctx.live.socket(projects[n % 3], token)
        opened(ws)
        sockets.append(ws)
    refused, refused_code = drain(ctx.live.socket(projects[0], token))
    name = f"{ctx.web.settings.key_prefix}:web-events"
    pubsub_clients = [c for c in pubsub_list(ctx.redis) if c["name"] == name]
    sockets.pop().close()
    runtime = ctx.web.app.state.runtime
    wait_until(lambda: runtime.sockets.count(int(_me(ctx, a))) < cap, timeout=10)
    after = ctx.live.socket(projects[0], token)
    opened(after)
    for ws in [*sockets, after]:
        ws.close()
    return {
        "cap": cap,
        "refused_code": refused_code,
        "refused_messages": len(refused),
        "pubsub_connections": len(pubsub_clients),
    }


def _me(ctx: Ctx, headers: dict[str, str]) -> int:
    return int(ctx.web.client.get("/api/v1/me", headers=headers).json()["id"])


def signup_flood(ctx: Ctx) -> dict[str, Any]:
    """Sign-ups from one address stop at SPINELIFT_SIGNUP_RATE; another address is fine."""
    limit = 5
    flood = TestClient(ctx.web.app, client=("198.51.100.50", 1), raise_server_exceptions=False)
    statuses = [
        flood.post(
            "/api/v1/auth/signup", json={"email": f"bot{n}@example.com", "password": PASSWORD}
        ).status_code
        for n in range(limit + 3)
    ]
    other = TestClient(ctx.web.app, client=("192.0.2.50", 1), raise_server_exceptions=False)
    fine = other.post(
        "/api/v1/auth/signup", json={"email": "human@example.com", "password": PASSWORD}
    ).status_code
    return {"limit": limit, "statuses": statuses, "other_address": fine}


def signin_rotating_forwarded_address(ctx: Ctx) -> dict[str, Any]:
    """Guesses on one account from a trusted proxy, each with a new X-Forwarded-For: the
    account-wide cap stops them (even the right password then waits); an untrusted peer's
    X-Forwarded-For is not believed at all."""
    _, email, _ = ctx.user()
    proxy = TestClient(ctx.web.app, client=("10.9.9.9", 1), raise_server_exceptions=False)
    statuses = []
    for n in range(12):
        forwarded = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
        statuses.append(
            proxy.post(
                "/api/v1/auth/signin",
                json={"email": email, "password": "wrong guess 123"},
                headers=forwarded,
            ).status_code
        )
    right = proxy.post(
        "/api/v1/auth/signin",
        json={"email": email, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.200"},
    ).status_code
    # an untrusted peer: its X-Forwarded-For is ignored, so its per-address limit holds
    _, other_email, _ = ctx.user()
    spoofer = TestClient(ctx.web.app, client=("198.51.100.77", 1), raise_server_exceptions=False)
    spoofed = [
        spoofer.post(
            "/api/v1/auth/signin",
            json={"email": other_email, "password": "wrong guess 123"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 50}"},
        ).status_code
        for n in range(5)
    ]
    return {"statuses": statuses, "right_password_after": right, "spoofed": spoofed}


def host_header_redirect(ctx: Ctx) -> dict[str, Any]:
    """A Host header of the attacker's never comes back in a Location or a body."""
    evil = "evil.example"
    paths = ["/api/v1/projects/", "/api/v1/me/", "/static", "/vendor", "/docs/", "/health/"]
    seen = {}
    for path in paths:
        response = httpx.get(ctx.live.url + path, headers={"Host": evil}, follow_redirects=False)
        seen[path] = (response.status_code, response.headers.get("location", ""))
        assert evil not in response.text
    return {"responses": seen}


@dataclass(frozen=True)
class Attack:
    run: Callable[[Ctx], dict[str, Any]]
    check: Callable[[dict[str, Any]], None]
    settings: dict[str, Any]
    backends: tuple[str, ...] = ("sqlite",)


def _no_foreign_events(f: dict[str, Any]) -> None:
    assert f["new_id"] > f["old_id"]  # ids are never reused
    assert f["delete_close"] == CLOSE_NOT_FOUND and f["after_delete"] == 0
    assert f["foreign_events"] == 0
    assert f["close"] == CLOSE_NOT_FOUND


def _deleted(f: dict[str, Any]) -> None:
    assert f["close"] in (CLOSE_NOT_FOUND, CLOSE_UNAUTHORIZED)
    assert f["new_id"] > f["old_id"]
    assert f["endpoints"] >= 15 and f["served"] == [] and f["5xx"] == []
    assert f["codes"] == {"ACCOUNT_INACTIVE"}
    assert (f["projects_left"], f["user_row"], f["blobs_left"], f["me"]) == (0, None, 0, 401)


def _deactivated(f: dict[str, Any]) -> None:
    assert f["events_after"] == 0 and f["close"] == CLOSE_UNAUTHORIZED
    assert f["reopen_events"] == 0 and f["reopen_close"] == CLOSE_UNAUTHORIZED
    assert f["endpoints"] >= 15 and f["served"] == [] and f["5xx"] == []
    assert f["codes"] == {"ACCOUNT_INACTIVE"}
    assert f["old_token_after_reactivate"] == 401 and f["signin_after_reactivate"] == 200


def _huge_sub(f: dict[str, Any]) -> None:
    for sub, statuses in f["statuses"].items():
        assert set(statuses.values()) == {401}, (sub, statuses)


def _flood(f: dict[str, Any]) -> None:
    assert f["refused_code"] == CLOSE_TOO_MANY and f["refused_messages"] == 0
    assert f["pubsub_connections"] == 1


def _signup(f: dict[str, Any]) -> None:
    assert f["statuses"] == [201] * f["limit"] + [429] * 3
    assert f["other_address"] == 201


def _rotating(f: dict[str, Any]) -> None:
    # SPINELIFT_SIGNIN_ACCOUNT_RATE = 8: the owner's own sign-in was the first attempt
    assert f["statuses"] == [401] * 7 + [429] * 5
    assert f["right_password_after"] == 429
    assert f["spoofed"] == [401, 401, 401, 429, 429]  # SPINELIFT_SIGNIN_IP_RATE = 3


def _host(f: dict[str, Any]) -> None:
    for path, (status, location) in f["responses"].items():
        assert status < 500, path
        assert "evil" not in location, (path, location)


ATTACKS: dict[str, Attack] = {
    "old-socket-after-delete-and-id-reuse": Attack(
        old_socket_after_delete_and_id_reuse, _no_foreign_events, {}, ("sqlite", "postgresql")
    ),
    "deleted-account-token": Attack(deleted_account_token, _deleted, {}, ("sqlite", "postgresql")),
    "deactivated-account-token": Attack(deactivated_account_token, _deactivated, {}),
    "40-digit-sub": Attack(huge_sub, _huge_sub, {}, ("sqlite", "postgresql")),
    "websocket-flood": Attack(websocket_flood, _flood, {"ws_max_per_user": 6}),
    "signup-flood": Attack(signup_flood, _signup, {"signup_rate": "5/hour"}),
    "signin-rotating-forwarded-address": Attack(
        signin_rotating_forwarded_address,
        _rotating,
        {
            "trusted_proxies": "10.0.0.0/8",
            "signin_account_rate": "8/hour",
            "signin_rate": "100/hour",
            "signin_ip_rate": "3/minute",
        },
    ),
    "host-header-redirect": Attack(host_header_redirect, _host, {}),
}

CASES = [(name, backend) for name, attack in ATTACKS.items() for backend in attack.backends]


@contextmanager
def live_app(web: WebApp) -> Iterator[Live]:
    live = Live(web)
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.parametrize(("name", "backend"), CASES, ids=[f"{n}-{b}" for n, b in CASES])
def test_attack_is_refused(
    name: str,
    backend: str,
    make_web: Callable[..., WebApp],
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    attack = ATTACKS[name]
    web = make_web(backend, **attack.settings)
    with live_app(web) as live:
        figures = attack.run(Ctx(web, live, redis_client, monkeypatch, tmp_path))
    print(f"{name} [{backend}]: {figures}")
    attack.check(figures)


def test_real_serve_believes_no_forwarded_address_and_caps_sign_ins(tmp_path: Path) -> None:
    """``spinelift serve`` (its own uvicorn, embedded Redis, SQLite): a local client
    rotating ``X-Forwarded-For`` is still one address (uvicorn's proxy headers are off and
    no proxy is trusted by default), and the account-wide cap holds across addresses."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if "REDIS_URL" not in k and "DATABASE_URL" not in k}
    env.update(
        {
            "SPINELIFT_JWT_SECRET": "abuse-" + "x" * 40,
            "SPINELIFT_LOG_LEVEL": "WARNING",
            "SPINELIFT_SIGNIN_IP_RATE": "4/minute",
            "SPINELIFT_SIGNUP_RATE": "2/hour",
        }
    )
    command = [sys.executable, "-m", "spinelift.cli.main", "serve", "--port", str(port),
               "--data-dir", str(tmp_path / "data"), "--workers", "0"]  # fmt: skip
    serve = WorkerGroup(command, env, tmp_path / "serve.log")
    serve.start()
    try:

        def healthy() -> bool:
            try:
                return httpx.get(url + "/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=90, every=0.2, what="spinelift serve answering /health")
        signups = [
            httpx.post(
                url + "/api/v1/auth/signup",
                json={"email": f"s{n}@example.com", "password": PASSWORD},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            ).status_code
            for n in range(3)
        ]
        signins = [
            httpx.post(
                url + "/api/v1/auth/signin",
                json={"email": "s0@example.com", "password": "wrong guess 123"},
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
            ).status_code
            for n in range(6)
        ]
    finally:
        serve.stop()
    print(f"real serve: sign-ups {signups}, sign-ins {signins}")
    assert signups == [201, 201, 429], serve.log_text()[-2000:]
    assert signins == [401] * 4 + [429] * 2


def test_a_lost_pubsub_connection_ends_the_sockets_and_the_next_one_reconnects(
    make_web: Callable[..., WebApp], redis_client: redis.Redis
) -> None:
    """The process's one pub/sub connection killed (``CLIENT KILL``): its sockets close
    with 1011 (the client reconnects and reads the snapshot again), never hang silent; the
    next socket opens a fresh connection and gets events."""
    web = make_web()
    user = web.new_user()
    project = web.client.post("/api/v1/projects", json={"name": "p"}, headers=user.headers)
    pid = int(project.json()["id"])
    name = f"{web.settings.key_prefix}:web-events"
    bus = web.app.state.runtime.events
    with live_app(web) as live:
        sockets = [live.socket(pid, user.token) for _ in range(3)]
        for ws in sockets:
            opened(ws)
        killed = [c for c in pubsub_list(redis_client) if c["name"] == name]
        assert len(killed) == 1
        assert redis_client.client_kill_filter(_id=killed[0]["id"]) == 1
        codes = [drain(ws)[1] for ws in sockets]
        fresh = live.socket(pid, user.token)
        opened(fresh)
        bus.publish(pid, {"type": "project", "project_id": pid, "status": "processing"})
        event = fresh.recv(timeout=30)
    assert codes == [1011, 1011, 1011]
    assert '"processing"' in str(event)
