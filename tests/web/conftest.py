"""Fixtures: every web test runs on a migrated SQLite file and on a real PostgreSQL
(``SPINELIFT_TEST_POSTGRES_URL``, as in the storage tests), with a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from spinelift.storage.db import Database
from spinelift.web.settings import WebSettings
from tests.storage.conftest import BACKENDS, MigratedDatabases, _empty
from tests.web.support_web import (
    cleanup,
    make_client,
    make_settings,
    new_prefix,
    require_redis,
    start_worker,
    stop_worker,
)


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    client = require_redis()
    yield client
    client.close()


@pytest.fixture(scope="session")
def _web_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    databases = MigratedDatabases(tmp_path_factory, "webdb")
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def web_db(
    request: pytest.FixtureRequest, _web_databases: dict[str, Database]
) -> Iterator[Database]:
    """A migrated, empty database: SQLite and PostgreSQL."""
    db = _web_databases[request.param]
    yield db
    _empty(db)


@pytest.fixture
def settings_for(
    web_db: Database, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[Callable[..., WebSettings]]:
    """``settings_for(**changes)``: settings on this test's database and a fresh prefix."""
    prefixes: list[str] = []

    def make(**changes: object) -> WebSettings:
        prefix = str(changes.pop("key_prefix", None) or new_prefix())
        prefixes.append(prefix)
        return make_settings(prefix, tmp_path / "data", web_db, **changes)

    yield make
    for prefix in prefixes:
        cleanup(redis_client, prefix)


@pytest.fixture
def client(web_db: Database, settings_for: Callable[..., WebSettings]) -> Iterator[TestClient]:
    with make_client(settings_for(), web_db) as test_client:
        yield test_client


@pytest.fixture
def stack(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> Iterator[tuple[TestClient, WebSettings]]:
    """A test client of the app and a real worker process on the same settings."""
    settings = settings_for()
    worker = start_worker(settings)
    try:
        with make_client(settings, web_db) as client:
            yield client, settings
    finally:
        stop_worker(worker)
