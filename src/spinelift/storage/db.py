"""The database: engine set-up per dialect and sessions that commit at the boundary.

``Database(url)`` makes one engine. SQLite (the embedded default) gets WAL, a busy
timeout and foreign keys on every connection, and write sessions start with
``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way with
"database is locked"; PostgreSQL (psycopg 3) gets ``pool_pre_ping``. ::

    db = Database("sqlite:///spinelift-data/spinelift.db")
    with db.unit(Actor.user(user.id)) as uow:      # commits on success, rolls back on error
        project = uow.projects.create(user.id, "Hero")

``DATABASE_URL`` (or ``SPINELIFT_DATABASE_URL``) names the database; unset, it is a
SQLite file in the data dir. ``postgresql://`` URLs use psycopg 3.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from spinelift.storage.models import utcnow
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.storage.repositories.base import Clock

SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "spinelift_sqlite_begin"


def default_database_url(data_dir: str | os.PathLike[str]) -> str:
    """The embedded default: ``sqlite:///<data_dir>/spinelift.db``."""
    return f"sqlite:///{Path(data_dir) / 'spinelift.db'}"


def database_url_from_env(
    data_dir: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> str:
    """``SPINELIFT_DATABASE_URL``, else ``DATABASE_URL``, else the embedded default."""
    env = os.environ if environ is None else environ
    url = env.get("SPINELIFT_DATABASE_URL") or env.get("DATABASE_URL")
    return url or default_database_url(data_dir)


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` use psycopg 3; other URLs pass unchanged."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class Database:
    """One engine and its session factory (thread-safe; share one per process)."""

    def __init__(self, url: str | URL, *, echo: bool = False, **engine_options: Any) -> None:
        self.url = normalize_url(url)
        self.engine = _create_engine(self.url, echo=echo, **engine_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if self.is_sqlite:
            self._readonly_sessions = sessionmaker(
                self.engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"}),
                expire_on_commit=False,
            )
        else:
            self._readonly_sessions = self._sessions

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error.

        ``readonly`` sessions on SQLite start a deferred transaction (they never hold the
        write lock); they are rolled back at the end rather than committed.
        """
        factory = self._readonly_sessions if readonly else self._sessions
        with factory() as session:
            try:
                yield session
                if readonly:
                    session.rollback()
                else:
                    session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def unit(self, actor: Actor, *, clock: Clock = utcnow) -> Iterator[UnitOfWork]:
        """Every repository over one :meth:`session` for ``actor`` (committed at the end)."""
        with self.session() as session:
            yield UnitOfWork(session, actor, clock=clock)

    def dispose(self) -> None:
        """Close every pooled connection (end of the process, or of a test)."""
        self.engine.dispose()


def _create_engine(url: URL, *, echo: bool, **options: Any) -> Engine:
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, **options)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, echo=echo, **options)


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling would start transactions late and never
    # "IMMEDIATE"; turn it off and emit BEGIN ourselves in _sqlite_on_begin
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster commits
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")
