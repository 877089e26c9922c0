"""Ids are never reused: a deleted row's id never names a new row (SQLite AUTOINCREMENT,
PostgreSQL sequences), and migration 0003 rebuilds existing SQLite tables without losing
a row, a foreign key, a CHECK or an index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from spinelift.storage import migrations
from spinelift.storage.db import Database
from spinelift.storage.models import Base, Project, User
from spinelift.storage.repositories import Actor

from .conftest import BACKENDS

TABLES = [t.name for t in Base.metadata.sorted_tables]


def test_a_deleted_users_id_and_projects_id_are_never_handed_out_again(
    database: Database,
) -> None:
    with database.unit(Actor.system()) as uow:
        first = uow.users.create("first@example.com", "h")
        project = uow.projects.create(first.id, "p")
        first_id, project_id = first.id, project.id
    with database.unit(Actor.system()) as uow:
        assert uow.projects.delete(first_id, project_id)
        uow.session.delete(uow.users.get(first_id))
    with database.unit(Actor.system()) as uow:
        second = uow.users.create("second@example.com", "h")
        again = uow.projects.create(second.id, "p")
        assert second.id > first_id
        assert again.id > project_id
    with database.session(readonly=True) as session:
        assert session.get(User, first_id) is None
        assert session.get(Project, project_id) is None


def test_every_sqlite_table_is_autoincrement(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("PostgreSQL sequences never reuse ids by themselves")
    with database.engine.connect() as conn:
        for table in TABLES:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE type='table' AND name=:n"), {"n": table}
            ).scalar()
            assert sql is not None and "AUTOINCREMENT" in sql, table


OLD_USER = (
    "INSERT INTO users (email, password_hash, display_name, is_active, created_at, updated_at)"
    " VALUES (:email, 'h', '', 1, '2026-01-01', '2026-01-01')"
)
OLD_PROJECT = (
    "INSERT INTO projects (owner_id, name, description, status, parameters, created_at,"
    " updated_at) VALUES (:owner, 'kept', '', 'draft', '{}', '2026-01-01', '2026-01-01')"
)

OLD_AUDIT = (
    "INSERT INTO audit_log (actor, action, target_type, target_id, created_at)"
    " VALUES ('signup', 'user.create', 'user', :id, '2026-01-01')"
)


def _structure(url: str) -> dict[str, Any]:
    """What a table is made of, as SQLAlchemy reflects it (names sorted)."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            table: {
                "columns": sorted(
                    (c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)
                ),
                "foreign_keys": sorted(
                    (
                        f["name"],
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        f["options"].get("ondelete"),
                    )
                    for f in found.get_foreign_keys(table)
                ),
                "checks": sorted(c["name"] for c in found.get_check_constraints(table)),
                "uniques": sorted(u["name"] for u in found.get_unique_constraints(table)),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in found.get_indexes(table)
                ),
            }
            for table in TABLES
        }
    finally:
        engine.dispose()


def test_sqlite_migration_0003_keeps_rows_constraints_and_starts_above_used_ids(
    new_database_url: Callable[[str], str],
) -> None:
    url = new_database_url("sqlite")
    database = Database(url)
    try:
        migrations.upgrade(database, "0002")
        with database.engine.begin() as conn:  # rows as 0002 made them (no ORM: newer)
            for n in range(3):
                conn.execute(text(OLD_USER), {"email": f"u{n}@example.com"})
            ids = list(conn.execute(text("SELECT id FROM users ORDER BY id")).scalars())
            for user_id in ids:  # as UserRepository.create audits every new user
                conn.execute(text(OLD_AUDIT), {"id": str(user_id)})
            conn.execute(text(OLD_PROJECT), {"owner": ids[0]})
            project_id = conn.execute(text("SELECT id FROM projects")).scalar_one()
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": ids[-1]})
        migrations.upgrade(database)

        with database.unit(Actor.system()) as uow:
            assert uow.projects.get(ids[0], project_id) is not None
            assert uow.users.get(ids[0]).token_version == 1  # type: ignore[union-attr]
            newcomer = uow.users.create("new@example.com", "h")
            assert newcomer.id > ids[-1]  # the deleted (largest) id stays unused
        with pytest.raises(IntegrityError), database.engine.begin() as conn:  # CHECK kept
            conn.execute(text("UPDATE projects SET status = 'bogus'"))
        with database.engine.begin() as conn:  # ON DELETE CASCADE kept, and enforced
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": ids[0]})
            assert conn.execute(text("SELECT COUNT(*) FROM projects")).scalar() == 0

        fresh = new_database_url("sqlite")
        engine = create_engine(fresh)
        Base.metadata.create_all(engine)
        engine.dispose()
        assert _structure(url) == _structure(fresh)
    finally:
        database.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0003_downgrades_and_upgrades_again_with_the_data(
    backend: str, new_database_url: Callable[[str], str]
) -> None:
    database = Database(new_database_url(backend))
    try:
        migrations.upgrade(database)
        with database.unit(Actor.system()) as uow:
            user = uow.users.create("round@example.com", "h")
            uow.projects.create(user.id, "trip")
        migrations.downgrade(database, "0002")
        migrations.upgrade(database)
        with database.session(readonly=True) as session:
            assert session.query(Project).count() == 1
            assert session.query(User).one().token_version == 1
    finally:
        database.dispose()


def test_account_changes_move_the_token_version_and_are_audited(database: Database) -> None:
    with database.unit(Actor.system()) as uow:
        user = uow.users.create("versions@example.com", "h")
        user_id = user.id
        assert user.token_version == 1
    versions = []
    for change in ("deactivate", "reactivate", "password"):
        with database.unit(Actor.system("operator")) as uow:
            if change == "password":
                assert uow.users.set_password_hash(user_id, "h2")
            else:
                assert getattr(uow.users, change)(user_id) is not None
            versions.append(uow.users.get(user_id).token_version)  # type: ignore[union-attr]
    assert versions == [2, 3, 4]
    with database.unit(Actor.system()) as uow:
        assert uow.users.deactivate(987_654) is None
        assert uow.users.get(user_id).is_active  # type: ignore[union-attr]
        actions = [e.action for e in uow.audit.for_target("user", user_id)]
    assert {"user.deactivate", "user.reactivate", "user.password_change"} <= set(actions)


def test_deleting_a_user_keeps_the_audit_and_forgets_the_address(database: Database) -> None:
    with database.unit(Actor.system()) as uow:
        user = uow.users.create("gone@example.com", "h")
        first, second = uow.projects.create(user.id, "a"), uow.projects.create(user.id, "b")
        user_id = user.id
        assert uow.projects.ids_for_owner(user_id) == [first.id, second.id]
        assert uow.projects.owner_of(first.id) == user_id
    with database.unit(Actor.user(user_id)) as uow:
        for project_id in uow.projects.ids_for_owner(user_id):
            assert uow.projects.delete(user_id, project_id)
        assert uow.users.delete(user_id, projects=2)
        assert not uow.users.delete(user_id)
    with database.unit(Actor.system()) as uow:
        assert uow.users.get(user_id) is None
        assert uow.projects.owner_of(first.id) is None
        deletion = [e for e in uow.audit.for_target("user", user_id) if e.action == "user.delete"]
        assert len(deletion) == 1
        assert deletion[0].after == {"projects_deleted": 2}
        assert "gone@example.com" not in str(deletion[0].before)
        assert deletion[0].actor_user_id is None  # the actor's row is gone: SET NULL
