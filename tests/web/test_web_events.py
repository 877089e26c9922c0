"""Live progress crosses app processes: an event published through one app's bus reaches
a WebSocket client of another app (Redis pub/sub); the snapshot is the polling fallback."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from starlette.websockets import WebSocketDisconnect

from spinelift.storage.db import Database
from spinelift.web import routes_events
from spinelift.web.settings import WebSettings
from tests.polling import wait_until
from tests.web.support_web import make_client, sign_up_and_in, token


def test_event_from_one_app_reaches_websocket_of_another(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    settings = settings_for()
    with make_client(settings, web_db) as app_a, make_client(settings, web_db) as app_b:
        headers = sign_up_and_in(app_a)
        pid = app_a.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"]
        token = headers["Authorization"].removeprefix("Bearer ")
        bus_a = app_a.app.state.runtime.events  # type: ignore[attr-defined]
        redis_a = app_a.app.state.runtime.redis  # type: ignore[attr-defined]
        with app_b.websocket_connect(f"/api/v1/projects/{pid}/events?token={token}") as ws:
            snapshot = ws.receive_json()
            assert snapshot["type"] == "snapshot" and snapshot["project"]["id"] == pid
            assert snapshot["project"]["status"] == "draft" and snapshot["layers"] == []
            channel = bus_a.channel(pid)
            wait_until(lambda: redis_a.pubsub_numsub(channel)[0][1] >= 1, timeout=30)
            bus_a.publish(pid, {"type": "project", "project_id": pid, "status": "processing"})
            event = ws.receive_json()
            assert event["type"] == "project" and event["status"] == "processing"
        polled = app_a.get(f"/api/v1/projects/{pid}/events/snapshot", headers=headers)
        assert polled.status_code == 200 and polled.json()["type"] == "snapshot"
        # the socket's subscription ends with the client
        wait_until(lambda: redis_a.pubsub_numsub(channel)[0][1] == 0, timeout=30)


@pytest.mark.parametrize("token", ["", "garbage"])
def test_websocket_needs_a_valid_token(
    web_db: Database, settings_for: Callable[..., WebSettings], token: str
) -> None:
    with make_client(settings_for(), web_db) as client:
        headers = sign_up_and_in(client)
        pid = client.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"]
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            client.websocket_connect(f"/api/v1/projects/{pid}/events?token={token}") as ws,
        ):
            ws.receive_json()
        assert closed.value.code == 4401


def test_signed_out_token_cannot_open_a_websocket(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    settings = settings_for()
    with make_client(settings, web_db) as app_a, make_client(settings, web_db) as app_b:
        headers = sign_up_and_in(app_a)
        pid = app_a.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"]
        assert app_a.post("/api/v1/auth/signout", headers=headers).status_code == 204
        token = headers["Authorization"].removeprefix("Bearer ")
        with (  # refused by the other app too
            pytest.raises(WebSocketDisconnect) as closed,
            app_b.websocket_connect(f"/api/v1/projects/{pid}/events?token={token}") as ws,
        ):
            ws.receive_json()
        assert closed.value.code == 4401
        assert app_b.get("/api/v1/me", headers=headers).status_code == 401


def test_open_websocket_is_closed_when_its_token_expires(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    with make_client(settings_for(), web_db) as client:
        headers = sign_up_and_in(client)
        pid = client.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"]
        user_id = client.get("/api/v1/me", headers=headers).json()["id"]
        now = int(time.time())
        short = token({"sub": str(user_id), "jti": uuid.uuid4().hex, "iat": now, "exp": now + 2})
        started = time.monotonic()
        with client.websocket_connect(f"/api/v1/projects/{pid}/events?token={short}") as ws:
            assert ws.receive_json()["type"] == "snapshot"  # valid when it connected
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert closed.value.code == 4401
        assert "expired" in (closed.value.reason or "")
        assert time.monotonic() - started >= 1.0  # not before the expiry


def test_open_websocket_is_closed_soon_after_its_token_is_signed_out(
    web_db: Database, settings_for: Callable[..., WebSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes_events, "RECHECK_SECONDS", 0.2)
    settings = settings_for()
    with make_client(settings, web_db) as app_a, make_client(settings, web_db) as app_b:
        headers = sign_up_and_in(app_a)
        pid = app_a.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"]
        bearer = headers["Authorization"].removeprefix("Bearer ")
        with app_b.websocket_connect(f"/api/v1/projects/{pid}/events?token={bearer}") as ws:
            assert ws.receive_json()["type"] == "snapshot"
            # signed out through the other app process: the socket learns it from Redis
            assert app_a.post("/api/v1/auth/signout", headers=headers).status_code == 204
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert closed.value.code == 4401
        assert "signed out" in (closed.value.reason or "")
