"""Fixtures of the security tests: the web app and the mesh service on a real Redis (and
a real SQLite file or PostgreSQL database), each with its own key prefix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from dramatiq.brokers.stub import StubBroker
from fastapi.testclient import TestClient

from spinelift.jobs.broker import add_middleware
from spinelift.service import create_app as create_service_app
from spinelift.storage.db import Database
from spinelift.web.app import create_app as create_web_app
from tests.net.conftest import fake_dns, serve
from tests.security.support_security import MeshService, WebApp
from tests.service import support_service
from tests.storage.conftest import MigratedDatabases, _empty
from tests.web import support_web

__all__ = ["fake_dns", "serve"]  # the network tests' fake resolver and local servers


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    client = support_web.require_redis()
    yield client
    client.close()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    """``databases["sqlite"]`` / ``databases["postgresql"]``: migrated, made on first use."""
    made = MigratedDatabases(tmp_path_factory, "secdb")
    yield made
    made.close()


@pytest.fixture
def make_web(
    databases: dict[str, Database], redis_client: redis.Redis, tmp_path: Path
) -> Iterator[Callable[..., WebApp]]:
    """``make_web(backend="sqlite", **settings)``: a web app on an emptied database and a
    fresh key prefix (its Redis keys are removed afterwards)."""
    made: list[tuple[WebApp, Database]] = []

    def make(backend: str = "sqlite", **changes: Any) -> WebApp:
        db = databases[backend]
        prefix = support_web.new_prefix()
        settings = support_web.make_settings(prefix, tmp_path / f"data-{len(made)}", db, **changes)
        client = TestClient(create_web_app(settings, db=db), raise_server_exceptions=False)
        client.__enter__()
        app = WebApp(client, settings, db)
        made.append((app, db))
        return app

    yield make
    for app, db in made:
        app.client.__exit__(None, None, None)
        support_web.cleanup(redis_client, app.settings.key_prefix)
        _empty(db)


@pytest.fixture
def web(make_web: Callable[..., WebApp]) -> WebApp:
    return make_web()


@pytest.fixture
def mesh_service(tmp_path: Path, redis_client: redis.Redis) -> Iterator[MeshService]:
    """The mesh service with the default (strict) URL policy on a StubBroker: jobs are
    queued in memory and never run unless a test runs them."""
    prefix = support_service.new_prefix()
    settings = support_service.make_settings(prefix, tmp_path / "service")
    assert settings.url_allow_private is False
    broker = StubBroker()
    add_middleware(broker, settings)
    client = TestClient(create_service_app(settings, broker=broker), raise_server_exceptions=False)
    with client:
        yield MeshService(client, settings, broker)
    support_service.cleanup(redis_client, prefix)
