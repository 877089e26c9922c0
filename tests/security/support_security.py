"""Helpers of the security tests: the apps under test, their route tables, forged tokens."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import dramatiq
import jwt
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from spinelift.config import ServiceSettings
from spinelift.storage.db import Database
from spinelift.web.settings import WebSettings
from tests.web.support_web import PASSWORD, SECRET


@dataclass
class User:
    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class WebApp:
    client: TestClient
    settings: WebSettings
    db: Database

    @property
    def app(self) -> FastAPI:
        app: FastAPI = self.client.app  # type: ignore[assignment]
        return app

    def new_user(self) -> User:
        email = f"user-{secrets.token_hex(5)}@example.com"
        created = self.client.post(
            "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        signed_in = self.client.post(
            "/api/v1/auth/signin", json={"email": email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        return User(created.json()["id"], email, signed_in.json()["access_token"])


@dataclass
class MeshService:
    client: TestClient
    settings: ServiceSettings
    broker: dramatiq.Broker


@dataclass(frozen=True)
class Endpoint:
    """One thing a client can call: ``kind`` is ``http``, ``websocket`` or ``mount``
    (a mounted sub-app: everything under ``path``)."""

    kind: str
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}" if self.kind == "http" else f"{self.kind} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    def url(self, values: dict[str, Any]) -> str:
        """The path with each ``{name}`` replaced by ``values[name]`` (default ``1``)."""
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(values.get(m.group(1), 1)), self.path)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every endpoint of ``app``'s route table (HEAD aside: it is GET without a body).

    Recent FastAPI keeps included routers as lazy branches of the table;
    ``iter_route_contexts`` flattens them into the routes as served (prefix included).
    """
    found: list[Endpoint] = []
    for context in iter_route_contexts(app.routes):
        path = context.path
        assert isinstance(path, str), context
        found.extend(_endpoints_of(context.original_route, path, context.methods))
    return found


def _endpoints_of(route: BaseRoute, path: str, methods: set[str] | None) -> list[Endpoint]:
    if isinstance(route, APIRoute | Route):
        return [Endpoint("http", m, path) for m in sorted((methods or set()) - {"HEAD"})]
    if isinstance(route, APIWebSocketRoute | WebSocketRoute):
        return [Endpoint("websocket", "WS", path)]
    if isinstance(route, Mount):
        return [Endpoint("mount", "ANY", path)]
    raise AssertionError(f"a route of an unknown kind: {route!r} (teach endpoints() about it)")


def is_listed(path: str, patterns: dict[str, str]) -> bool:
    """``path`` is a key of ``patterns``, or under a key ending in ``/*``."""
    for pattern in patterns:
        if pattern.endswith("/*"):
            if path == pattern[:-2] or path.startswith(pattern[:-1]):
                return True
        elif path == pattern:
            return True
    return False


def claims(user_id: int, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": str(user_id), "jti": uuid.uuid4().hex, "iat": now, "exp": now + 600, **changes}


def forge(payload: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def unsigned(payload: dict[str, Any]) -> str:
    """An ``alg: none`` token (no signature at all)."""
    return jwt.encode(payload, None, algorithm="none")


def error_of(response: Any) -> dict[str, Any]:
    """The ``error`` object of a seed 004 error body (fails on any other body)."""
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, response.text
    error: dict[str, Any] = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], response.text
    assert isinstance(error.get("message"), str) and error["message"], response.text
    return error
