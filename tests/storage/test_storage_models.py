"""Schema guarantees the database enforces itself (both back-ends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from spinelift.storage.db import Database
from spinelift.storage.models import Job, Layer, Mesh, Project, User


def _owner_and_project(db: Database) -> tuple[int, int]:
    with db.session() as session:
        user = User(email="a@x.io", password_hash="h")
        session.add(user)
        session.flush()
        project = Project(owner_id=user.id, name="P")
        session.add(project)
        session.flush()
        return user.id, project.id


def test_times_come_back_timezone_aware_in_utc(database: Database) -> None:
    plus_two = timezone(timedelta(hours=2))
    with database.session() as session:
        user = User(
            email="a@x.io", password_hash="h", created_at=datetime(2026, 5, 1, 12, tzinfo=plus_two)
        )
        session.add(user)
    with database.session() as session:
        stored = session.scalars(select(User)).one()
        assert stored.created_at == datetime(2026, 5, 1, 10, tzinfo=UTC)
        assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(database: Database) -> None:
    with pytest.raises(StatementError), database.session() as session:
        session.add(User(email="a@x.io", password_hash="h", created_at=datetime(2026, 1, 1)))
        session.flush()


def test_statuses_outside_the_list_are_refused(database: Database) -> None:
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(Job(job_id="j", kind="generate_mesh", status="exploded"))
        session.flush()


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(Project(owner_id=12345, name="orphan"))
        session.flush()


def test_deleting_a_project_cascades_to_layers_meshes_and_jobs(database: Database) -> None:
    _, project_id = _owner_and_project(database)
    with database.session() as session:
        layer = Layer(project_id=project_id, name="L", position=0)
        session.add(layer)
        session.flush()
        session.add(Mesh(layer_id=layer.id, version=1, data={}, parameters={}))
        session.add(Job(job_id="j", kind="generate_mesh", project_id=project_id))
    with database.session() as session:
        session.delete(session.get(Project, project_id))
    with database.session() as session:
        assert session.scalars(select(Layer)).all() == []
        assert session.scalars(select(Mesh)).all() == []
        assert session.scalars(select(Job)).all() == []


def test_two_layers_cannot_share_a_position(database: Database) -> None:
    _, project_id = _owner_and_project(database)
    with pytest.raises(IntegrityError), database.session() as session:
        session.add_all(
            [
                Layer(project_id=project_id, name="a", position=0),
                Layer(project_id=project_id, name="b", position=0),
            ]
        )
        session.flush()
