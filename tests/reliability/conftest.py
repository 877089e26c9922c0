"""Fixtures of the fault tests: a fresh migrated database (PostgreSQL, the at-scale set-up,
or SQLite), a private redis-server, and the figures printed at the end of the run.

Services missing: skipped with the reason locally, a failure under ``CI=true``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spinelift.storage import migrations
from spinelift.storage.db import Database
from tests.reliability.support import FIGURES, OUTPUT_DIR, RedisServer
from tests.storage.conftest import PostgresDatabases, require_postgres


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[PostgresDatabases]:
    require_postgres()
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture
def make_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], tuple[str, Database]]]:
    """``make_database("postgresql" | "sqlite")``: (URL, Database) of a new migrated one."""
    made: list[Database] = []

    def make(backend: str) -> tuple[str, Database]:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'web.db'}"
        else:
            url = request.getfixturevalue("_pg_databases").create()
        database = Database(url)
        migrations.upgrade(database)
        made.append(database)
        return url, database

    yield make
    for database in made:
        database.dispose()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("faults survived: figures")
    for name, figures in FIGURES:
        terminalreporter.write_line(f"{name}: {json.dumps(figures, sort_keys=True)}")
    terminalreporter.write_line(f"(also in {OUTPUT_DIR})")
