"""Fixtures: the same storage tests on SQLite and on a real PostgreSQL, and a real
S3-compatible server (moto's standalone server, as a subprocess).

PostgreSQL is ``SPINELIFT_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test session creates its own
database there and drops it at the end. Unreachable, the PostgreSQL half is skipped
with the reason shown, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from spinelift.storage import migrations
from spinelift.storage.db import Database
from spinelift.storage.models import Base

BACKENDS = ("sqlite", "postgresql")
PG_URL = os.environ.get("SPINELIFT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_problem() -> str | None:
    import psycopg

    url = make_url(PG_URL)
    try:
        with psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            dbname=url.database,
            password=url.password,
            connect_timeout=3,
        ):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {url.render_as_string(hide_password=True)} unreachable: {exc}"


def require_postgres() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem} (CI=true: PostgreSQL is required)")
    pytest.skip(problem)


class PostgresDatabases:
    """Creates throw-away databases next to ``PG_URL`` and drops them all at the end."""

    def __init__(self) -> None:
        self.admin = Database(PG_URL, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self) -> str:
        name = f"spinelift_test_{os.getpid()}_{secrets.token_hex(4)}"
        with self.admin.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.engine.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    require_postgres()
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture
def new_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """A factory: ``new_database_url("sqlite" | "postgresql")`` -> URL of an empty database."""

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'{secrets.token_hex(4)}.db'}"
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.create()

    return make


class MigratedDatabases(dict[str, Database]):
    """``dbs["sqlite"]`` / ``dbs["postgresql"]``: one database per back-end, migrated to
    head on first use; :meth:`close` disposes them and drops the PostgreSQL ones."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
        super().__init__()
        self._tmp, self._name = tmp_path_factory, name
        self._postgres: PostgresDatabases | None = None

    def __missing__(self, backend: str) -> Database:
        if backend == "sqlite":
            url = f"sqlite:///{self._tmp.mktemp(self._name) / 'spinelift.db'}"
        else:
            require_postgres()
            if self._postgres is None:
                self._postgres = PostgresDatabases()
            url = self._postgres.create()
        database = Database(url)
        migrations.upgrade(database)
        self[backend] = database
        return database

    def close(self) -> None:
        for database in self.values():
            database.dispose()
        if self._postgres is not None:
            self._postgres.drop_all()


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    """One database per back-end, migrated to head once per session (lazily)."""
    databases = MigratedDatabases(tmp_path_factory, "db")
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, _migrated: dict[str, Database]) -> Iterator[Database]:
    """A migrated, empty database: SQLite file and PostgreSQL (every test runs on both)."""
    db = _migrated[request.param]
    yield db
    _empty(db)


def _empty(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("DELETE FROM sqlite_sequence"))  # as RESTART IDENTITY does
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible HTTP server (moto's standalone server) on a free port."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto server did not start on {endpoint}")
                time.sleep(0.05)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
