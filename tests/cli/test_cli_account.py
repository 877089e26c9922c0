"""``spinelift account``: an operator shows, deactivates, reactivates and deletes web app
accounts on the app's database and blob store (here: SQLite and local blobs, no Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinelift.cli.main import main
from spinelift.storage import migrations
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.db import Database
from spinelift.storage.models import Project, User
from spinelift.storage.repositories import Actor
from spinelift.web.settings import WebSettings


@pytest.fixture
def app_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Database, WebSettings]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    for name in ("SPINELIFT_REDIS_URL", "REDIS_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPINELIFT_DATABASE_URL", url)
    monkeypatch.setenv("SPINELIFT_DATA_DIR", str(tmp_path / "data"))
    database = Database(url)
    migrations.upgrade(database)
    return database, WebSettings()


def test_delete_needs_yes_then_removes_the_account_its_projects_and_blobs(
    app_data: tuple[Database, WebSettings], capsys: pytest.CaptureFixture[str]
) -> None:
    database, settings = app_data
    with database.unit(Actor.system()) as uow:
        user = uow.users.create("leaving@example.com", "h")
        project = uow.projects.create(user.id, "p")
        user_id, project_id = user.id, project.id
    blobs = blob_store_for(settings)
    blobs.put(f"projects/{project_id}/layers/1.png", b"png")

    assert main(["account", "delete", "leaving@example.com"]) != 0  # no --yes
    assert "--yes" in capsys.readouterr().err
    with database.session(readonly=True) as session:
        assert session.get(User, user_id) is not None

    assert main(["account", "delete", str(user_id), "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"account {user_id} deleted: 1 project(s), 1 blob(s)" in out
    assert "no Redis reachable" in out  # running apps learn it when their cache expires
    with database.session(readonly=True) as session:
        assert session.get(User, user_id) is None
        assert session.get(Project, project_id) is None
    assert blobs.list_keys(f"projects/{project_id}/") == []
    database.dispose()


def test_deactivate_and_reactivate_then_show(
    app_data: tuple[Database, WebSettings], capsys: pytest.CaptureFixture[str]
) -> None:
    database, _ = app_data
    with database.unit(Actor.system()) as uow:
        user_id = uow.users.create("paused@example.com", "h").id
    assert main(["account", "deactivate", "PAUSED@example.com"]) == 0
    assert main(["account", "show", str(user_id)]) == 0
    assert f"account {user_id} <paused@example.com>: deactivated" in capsys.readouterr().out
    assert main(["account", "reactivate", "paused@example.com"]) == 0
    assert "active" in capsys.readouterr().out
    with database.session(readonly=True) as session:
        user = session.get(User, user_id)
        assert user is not None and user.is_active and user.token_version == 3
    assert main(["account", "show", "nobody@example.com"]) != 0
    assert "NOT_FOUND" in capsys.readouterr().err
    database.dispose()
