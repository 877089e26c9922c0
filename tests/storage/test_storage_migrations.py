"""Migrations: empty -> head on SQLite and PostgreSQL, and the models match them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from spinelift.cli.main import main
from spinelift.storage import migrations
from spinelift.storage.db import Database, database_url_from_env, normalize_url
from spinelift.storage.models import Base

from .conftest import BACKENDS

TABLES = {"users", "projects", "uploads", "layers", "meshes", "jobs", "audit_log", "notifications"}


@pytest.fixture(params=BACKENDS)
def empty_database(
    request: pytest.FixtureRequest, new_database_url: Callable[[str], str]
) -> Database:
    database = Database(new_database_url(request.param))
    request.addfinalizer(database.dispose)
    return database


def test_upgrade_from_empty_to_head_creates_every_table(empty_database: Database) -> None:
    assert migrations.current_revision(empty_database) is None
    migrations.upgrade(empty_database)
    assert migrations.current_revision(empty_database) == migrations.head_revision()
    assert set(inspect(empty_database.engine).get_table_names()) >= TABLES


def test_models_match_the_migrations(empty_database: Database) -> None:
    migrations.upgrade(empty_database)
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_then_upgrade_again(empty_database: Database) -> None:
    migrations.upgrade(empty_database)
    migrations.downgrade(empty_database, "base")
    assert not TABLES & set(inspect(empty_database.engine).get_table_names())
    migrations.upgrade(empty_database)
    assert set(inspect(empty_database.engine).get_table_names()) >= TABLES


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(
    new_database_url: Callable[[str], str],
) -> None:
    database = Database(new_database_url("sqlite"))
    try:
        with database.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    finally:
        database.dispose()


def test_postgresql_urls_use_psycopg_3_with_pre_ping() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    database = Database("postgresql://u@127.0.0.1/db")  # no connection is made yet
    assert database.engine.pool._pre_ping  # type: ignore[attr-defined]


def test_database_url_comes_from_the_environment_or_the_data_dir(tmp_path: Path) -> None:
    assert database_url_from_env(tmp_path, {}) == f"sqlite:///{tmp_path / 'spinelift.db'}"
    assert database_url_from_env(tmp_path, {"DATABASE_URL": "postgresql://x/y"}) == (
        "postgresql://x/y"
    )
    env = {"DATABASE_URL": "postgresql://x/y", "SPINELIFT_DATABASE_URL": "sqlite:///z.db"}
    assert database_url_from_env(tmp_path, env) == "sqlite:///z.db"


@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_db_upgrade_migrates_and_is_idempotent(
    backend: str,
    new_database_url: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = new_database_url(backend)
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert main(["db", "current", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert f"at revision {migrations.head_revision()}" in out
    assert "up to date" in out


def test_cli_db_upgrade_reads_database_url_from_the_environment(
    new_database_url: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = new_database_url("sqlite")
    monkeypatch.delenv("SPINELIFT_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    database = Database(url)
    try:
        assert migrations.current_revision(database) == migrations.head_revision()
    finally:
        database.dispose()


def test_cli_db_upgrade_defaults_to_sqlite_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("SPINELIFT_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SPINELIFT_DATA_DIR", str(tmp_path / "data"))
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "spinelift.db").is_file()


def test_cli_db_upgrade_reports_an_unreachable_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["db", "upgrade", "--database-url", "postgresql://nobody:secret@127.0.0.1:1/x"])
    assert code != 0
    err = capsys.readouterr().err
    assert "STORAGE_ERROR" in err
    assert "secret" not in err
