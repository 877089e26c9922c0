"""Repositories read as a specification, each test on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from spinelift.errors import ConflictError, JobNotFoundError, JobStateError
from spinelift.storage.db import Database
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, LayerStatus, ProjectStatus
from spinelift.storage.repositories import Actor, JobRepository, UnitOfWork

SYSTEM = Actor.system()
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_user(db: Database, email: str = "ada@example.com") -> int:
    with db.unit(SYSTEM) as uow:
        return uow.users.create(email, "argon2$hash").id


def make_project(db: Database, owner_id: int, name: str = "Hero") -> int:
    with db.unit(Actor.user(owner_id)) as uow:
        return uow.projects.create(owner_id, name).id


# users


def test_users_are_found_by_email_in_any_case(database: Database) -> None:
    user_id = make_user(database, "Ada@Example.COM ")
    with database.unit(SYSTEM) as uow:
        found = uow.users.find_by_email("ada@example.com")
        assert found is not None and found.id == user_id
        assert found.email == "ada@example.com"
        assert found.password_hash == "argon2$hash"
        assert uow.users.find_by_email("nobody@example.com") is None


def test_an_email_registers_once_whatever_its_case(database: Database) -> None:
    make_user(database, "ada@example.com")
    with database.unit(SYSTEM) as uow:
        with pytest.raises(ConflictError):
            uow.users.create("ADA@example.com", "other")
        uow.users.create("bob@example.com", "h")  # the session is still usable
    with database.session() as session:
        assert UnitOfWork(session, SYSTEM).users.find_by_email("bob@example.com") is not None


def test_the_password_hash_is_never_in_the_audit_log(database: Database) -> None:
    user_id = make_user(database)
    with database.unit(Actor.user(user_id)) as uow:
        assert uow.users.set_password_hash(user_id, "new-hash")
        rows = uow.audit.for_target("user", user_id)
    assert [r.action for r in rows] == ["user.create", "user.password_change"]
    assert "hash" not in repr([(r.before, r.after) for r in rows])


# projects: scoped by owner


def test_another_users_project_reads_as_absent(database: Database) -> None:
    ada, bob = make_user(database, "ada@x.io"), make_user(database, "bob@x.io")
    project_id = make_project(database, ada)
    with database.unit(Actor.user(bob)) as uow:
        assert uow.projects.get(bob, project_id) is None
        assert uow.projects.list_for_owner(bob) == []
        assert uow.projects.update(bob, project_id, name="mine now") is None
        assert uow.projects.delete(bob, project_id) is False
    with database.unit(Actor.user(ada)) as uow:
        project = uow.projects.get(ada, project_id)
        assert project is not None and project.name == "Hero"
        assert [p.id for p in uow.projects.list_for_owner(ada)] == [project_id]
        assert uow.projects.count(ada) == 1


def test_project_update_and_delete_are_audited_with_before_and_after(database: Database) -> None:
    ada = make_user(database)
    project_id = make_project(database, ada)
    with database.unit(Actor.user(ada)) as uow:
        uow.projects.update(ada, project_id, name="Villain", parameters={"detail_factor": 0.5})
    with database.unit(Actor.user(ada)) as uow:
        assert uow.projects.delete(ada, project_id)
        assert uow.projects.get(ada, project_id) is None
    with database.unit(SYSTEM) as uow:
        rows = uow.audit.for_target("project", project_id)
    assert [r.action for r in rows] == ["project.create", "project.update", "project.delete"]
    update = rows[1]
    assert update.before == {"name": "Hero", "parameters": {}}
    assert update.after == {"name": "Villain", "parameters": {"detail_factor": 0.5}}
    assert update.actor == f"user:{ada}" and update.actor_user_id == ada
    assert rows[2].after is None and rows[2].before is not None


def test_project_status_is_set_by_jobs(database: Database) -> None:
    ada = make_user(database)
    project_id = make_project(database, ada)
    with database.unit(Actor.job("psd-1")) as uow:
        project = uow.projects.set_status(project_id, ProjectStatus.PROCESSING)
        assert project is not None and project.processing_started_at is not None
        uow.projects.set_status(project_id, ProjectStatus.FAILED, error="bad PSD")
        row = uow.audit.for_target("project", project_id)[-1]
    assert row.actor == "job:psd-1"
    assert row.before == {"status": "processing", "error": None}
    assert row.after == {"status": "failed", "error": "bad PSD"}


def test_deleting_a_user_deletes_their_projects(database: Database) -> None:
    ada = make_user(database)
    project_id = make_project(database, ada)
    with database.session() as session:
        from spinelift.storage.models import Project, User

        session.delete(session.get(User, ada))
        session.flush()
        session.expire_all()
        assert session.get(Project, project_id) is None


# uploads, layers, meshes


def test_uploads_belong_to_a_project(database: Database) -> None:
    ada, bob = make_user(database, "a@x.io"), make_user(database, "b@x.io")
    project_id = make_project(database, ada)
    with database.unit(Actor.user(ada)) as uow:
        upload = uow.uploads.create(
            project_id,
            blob_key=f"projects/{project_id}/uploads/1.psd",
            filename="My Hero (final).psd",
            content_type="image/vnd.adobe.photoshop",
            size_bytes=1234,
            sha256="ab" * 32,
        )
        assert uow.uploads.latest_for_project(project_id) == upload
        assert uow.uploads.get_for_owner(ada, upload.id) == upload
        assert uow.uploads.get_for_owner(bob, upload.id) is None


def test_layers_are_created_in_bulk_and_listed_with_their_latest_mesh(database: Database) -> None:
    ada = make_user(database)
    project_id = make_project(database, ada)
    with database.unit(Actor.job("psd-1")) as uow:
        layers = uow.layers.bulk_create(
            project_id,
            [
                {"name": "Head", "bounds": {"x": 10, "y": 20, "width": 64, "height": 32}},
                {"name": "Body", "opacity": 0.5, "blend_mode": "multiply", "has_mask": True},
                {"name": "Hidden", "visible": False},
            ],
        )
        head, body, _ = layers
        uow.meshes.add_version(head.id, {"vertices": [1]}, {"detail_factor": 0.01})
        uow.meshes.add_version(head.id, {"vertices": [2]}, {"detail_factor": 0.02}, job_id="m2")
        uow.meshes.add_version(body.id, {"vertices": [3]}, {})
    with database.unit(Actor.user(ada)) as uow:
        listed = uow.layers.list_with_meshes(project_id)
    assert [(x.layer.name, x.layer.position) for x in listed] == [
        ("Head", 0),
        ("Body", 1),
        ("Hidden", 2),
    ]
    assert listed[0].layer.bounds == {"x": 10, "y": 20, "width": 64, "height": 32}
    assert listed[1].layer.opacity == 0.5 and listed[1].layer.has_mask
    assert listed[2].layer.visible is False
    assert listed[0].mesh is not None and listed[0].mesh.version == 2
    assert listed[0].mesh.data == {"vertices": [2]} and listed[0].mesh.job_id == "m2"
    assert listed[1].mesh is not None and listed[1].mesh.version == 1
    assert listed[2].mesh is None
    assert all(x.layer.status == LayerStatus.PENDING for x in listed)


def test_meshes_keep_every_version(database: Database) -> None:
    ada = make_user(database)
    project_id = make_project(database, ada)
    with database.unit(SYSTEM) as uow:
        (layer,) = uow.layers.bulk_create(project_id, [{"name": "Arm"}])
        for n in range(3):
            uow.meshes.add_version(layer.id, {"n": n}, {"n": n})
        assert [m.version for m in uow.meshes.versions(layer.id)] == [1, 2, 3]
        latest = uow.meshes.latest(layer.id)
        assert latest is not None and latest.data == {"n": 2}
        first = uow.meshes.get(layer.id, 1)
        assert first is not None and first.parameters == {"n": 0}
        with pytest.raises(LookupError):
            uow.meshes.add_version(999_999, {}, {})


def test_layer_status_changes_are_audited(database: Database) -> None:
    ada, bob = make_user(database, "a@x.io"), make_user(database, "b@x.io")
    project_id = make_project(database, ada)
    with database.unit(SYSTEM) as uow:
        (layer,) = uow.layers.bulk_create(project_id, [{"name": "Arm"}])
        uow.layers.set_status(layer.id, LayerStatus.PROCESSING)
        uow.layers.set_status(layer.id, LayerStatus.FAILED, error="NO_OPAQUE_PIXELS")
        assert uow.layers.get_for_owner(ada, layer.id) is not None
        assert uow.layers.get_for_owner(bob, layer.id) is None
        rows = uow.audit.for_target("layer", layer.id)
    assert [(r.before, r.after) for r in rows] == [
        ({"status": "pending", "error": None}, {"status": "processing", "error": None}),
        (
            {"status": "processing", "error": None},
            {"status": "failed", "error": "NO_OPAQUE_PIXELS"},
        ),
    ]


# jobs


def test_creating_a_job_twice_returns_the_first_row(database: Database) -> None:
    with database.unit(SYSTEM) as uow:
        job, created = uow.jobs.create("mesh_1_ab", JobKind.GENERATE_MESH, payload={"a": 1})
        assert created and job.status == JobStatus.QUEUED and job.attempts == 0
    with database.unit(SYSTEM) as uow:
        again, created = uow.jobs.create("mesh_1_ab", JobKind.GENERATE_MESH, payload={"a": 2})
        assert not created and again.id == job.id and again.payload == {"a": 1}
        assert [r.action for r in uow.audit.for_target("job", "mesh_1_ab")] == ["job.create"]


def test_a_job_moves_queued_processing_completed_with_audit(database: Database) -> None:
    clock = Clock()
    with database.unit(SYSTEM, clock=clock) as uow:
        uow.jobs.create("j", JobKind.PROCESS_PSD)
    with database.unit(Actor.job("j"), clock=clock) as uow:
        clock.now += timedelta(seconds=5)
        job = uow.jobs.claim("j")
        assert job.status == JobStatus.PROCESSING and job.attempts == 1
        assert job.started_at == clock.now and job.heartbeat_at == clock.now
        clock.now += timedelta(seconds=5)
        assert uow.jobs.heartbeat("j", progress=40, message="Tracing")
        job = uow.jobs.complete("j", {"layers": 3})
    with database.unit(SYSTEM) as uow:
        job = uow.jobs.require("j")
        assert job.status == JobStatus.COMPLETED and job.progress == 100
        assert job.result == {"layers": 3} and job.finished_at == clock.now
        rows = uow.audit.for_target("job", "j")
    assert [r.action for r in rows] == ["job.create", "job.claim", "job.complete"]
    assert rows[1].before is not None and rows[1].before["status"] == "queued"
    assert rows[1].after is not None and rows[1].after["attempts"] == 1
    assert rows[2].before is not None and rows[2].before["progress"] == 40
    assert rows[2].after is not None and rows[2].after["status"] == "completed"
    assert rows[2].actor == "job:j"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], JobStatus.COMPLETED),  # queued -> completed
        (["claim", "complete"], JobStatus.PROCESSING),  # completed is final
        (["claim", "complete"], JobStatus.FAILED),
        (["claim"], JobStatus.PROCESSING),  # a second worker cannot claim it
        (["fail"], JobStatus.COMPLETED),
    ],
)
def test_transitions_from_the_wrong_status_are_refused(
    database: Database, path: list[str], refused: JobStatus
) -> None:
    with database.unit(SYSTEM) as uow:
        uow.jobs.create("j", JobKind.GENERATE_MESH)
        for step in path:
            if step == "fail":
                uow.jobs.fail("j", {"code": "X", "message": "boom"})
            else:
                getattr(uow.jobs, step)("j")
        before = uow.jobs.require("j").status
        with pytest.raises(JobStateError) as info:
            uow.jobs.transition("j", refused)
        assert info.value.details["status"] == before
        assert uow.jobs.require("j").status == before


def test_a_failed_job_can_be_retried_and_counts_attempts(database: Database) -> None:
    with database.unit(SYSTEM) as uow:
        uow.jobs.create("j", JobKind.GENERATE_MESH)
        uow.jobs.claim("j")
        failed = uow.jobs.fail("j", {"code": "TRIANGULATION_FAILED", "message": "no"})
        assert failed.error == {"code": "TRIANGULATION_FAILED", "message": "no"}
        assert uow.jobs.requeue("j").status == JobStatus.QUEUED
        job = uow.jobs.claim("j")
        assert job.attempts == 2 and job.error is None
        assert not uow.jobs.heartbeat("nope")


def test_unknown_jobs_raise_not_found(database: Database) -> None:
    with database.unit(SYSTEM) as uow:
        assert uow.jobs.get("nope") is None
        with pytest.raises(JobNotFoundError):
            uow.jobs.claim("nope")


def test_stale_jobs_are_found_for_cleanup_and_resending(database: Database) -> None:
    clock = Clock()
    with database.unit(SYSTEM, clock=clock) as uow:
        for job_id in ("old-queued", "old-running", "fresh-running", "done"):
            uow.jobs.create(job_id, JobKind.GENERATE_MESH)
        uow.jobs.claim("old-running")
        uow.jobs.claim("done")
        uow.jobs.complete("done")
        clock.now += timedelta(minutes=10)
        uow.jobs.create("fresh-queued", JobKind.GENERATE_MESH)
        uow.jobs.claim("fresh-running")
        clock.now += timedelta(minutes=1)
        stale_running = uow.jobs.stale_processing(timedelta(minutes=5))
        stale_queued = uow.jobs.stale_queued(timedelta(minutes=5))
        both = uow.jobs.find_stale(
            heartbeat_older_than=timedelta(minutes=5), queued_older_than=timedelta(minutes=5)
        )
        assert [j.job_id for j in stale_running] == ["old-running"]
        assert [j.job_id for j in stale_queued] == ["old-queued"]
        assert sorted(j.job_id for j in both) == ["old-queued", "old-running"]
        # a heartbeat makes a job fresh; re-sending restarts the queued clock
        uow.jobs.heartbeat("old-running")
        uow.jobs.mark_enqueued("old-queued")
        assert uow.jobs.stale_processing(timedelta(minutes=5)) == []
        assert uow.jobs.stale_queued(timedelta(minutes=5)) == []
        # the Cleanup job puts a dead worker's job back in the queue
        clock.now += timedelta(minutes=6)
        dead = uow.jobs.stale_processing(timedelta(minutes=5))
        assert [j.job_id for j in dead] == ["old-running", "fresh-running"]
        assert uow.jobs.requeue(dead[0].job_id).status == JobStatus.QUEUED
        with pytest.raises(JobStateError):
            uow.jobs.mark_enqueued("done")


def test_two_sessions_creating_one_job_id_make_one_row(database: Database) -> None:
    barrier = threading.Barrier(2)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            barrier.wait(timeout=5)
            with database.unit(SYSTEM) as uow:
                job, created = uow.jobs.create("race", JobKind.GENERATE_MESH)
                results.append((job.id, created))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len({job_id for job_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]


def test_a_lost_insert_race_returns_the_winners_row(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique constraint + savepoint path, made deterministic: the first look-up
    misses (as when another session has not committed yet), the insert conflicts."""
    with database.unit(SYSTEM) as uow:
        winner, _ = uow.jobs.create("race", JobKind.GENERATE_MESH)
    original = JobRepository.get
    calls = {"n": 0}

    def get_missing_once(self: JobRepository, job_id: str):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return None if calls["n"] == 1 else original(self, job_id)

    monkeypatch.setattr(JobRepository, "get", get_missing_once)
    with database.unit(SYSTEM) as uow:
        job, created = uow.jobs.create("race", JobKind.GENERATE_MESH)
        assert not created and job.id == winner.id
        uow.jobs.create("other", JobKind.CLEANUP)  # the transaction goes on
    monkeypatch.undo()
    with database.unit(SYSTEM) as uow:
        assert uow.jobs.get("other") is not None


def test_a_failed_unit_of_work_leaves_nothing_behind(database: Database) -> None:
    with pytest.raises(RuntimeError), database.unit(SYSTEM) as uow:
        uow.jobs.create("j", JobKind.GENERATE_MESH)
        raise RuntimeError("boom")
    with database.unit(SYSTEM) as uow:
        assert uow.jobs.get("j") is None
        assert uow.audit.recent() == []


# audit log and notifications


def test_audit_records_user_actions_and_is_append_only(database: Database) -> None:
    from spinelift.storage.models import AppendOnlyError

    ada = make_user(database)
    with database.unit(Actor.user(ada)) as uow:
        entry = uow.audit.record(None, "session.login", ("user", ada), None, {"ip": "127.0.0.1"})
        assert entry.created_at.tzinfo is not None
        assert [e.action for e in uow.audit.by_user(ada)] == ["session.login"]
    with pytest.raises(AppendOnlyError), database.unit(SYSTEM) as uow:
        row = uow.audit.recent(limit=1)[0]
        row.action = "forged"
        uow.session.flush()
    with pytest.raises(AppendOnlyError), database.unit(SYSTEM) as uow:
        uow.session.delete(uow.audit.recent(limit=1)[0])
        uow.session.flush()


def test_notifications_are_listed_and_read_by_their_user_only(database: Database) -> None:
    ada, bob = make_user(database, "a@x.io"), make_user(database, "b@x.io")
    with database.unit(Actor.job("notify-1")) as uow:
        first = uow.notifications.create(ada, "mesh.completed", "Head is ready", data={"l": 1})
        uow.notifications.create(ada, "mesh.failed", "Arm failed")
        uow.notifications.create(bob, "mesh.completed", "Bob's")
    with database.unit(Actor.user(bob)) as uow:
        assert not uow.notifications.mark_read(bob, first.id)
    with database.unit(Actor.user(ada)) as uow:
        assert [n.title for n in uow.notifications.list_for_user(ada)] == [
            "Arm failed",
            "Head is ready",
        ]
        assert uow.notifications.unread_count(ada) == 2
        assert uow.notifications.mark_read(ada, first.id)
        assert not uow.notifications.mark_read(ada, first.id)
        assert [n.title for n in uow.notifications.list_for_user(ada, unread_only=True)] == [
            "Arm failed"
        ]
        assert uow.notifications.mark_all_read(ada) == 1
        assert uow.notifications.unread_count(ada) == 0
        assert uow.notifications.unread_count(bob) == 1


def test_readonly_sessions_see_committed_rows_and_never_write(database: Database) -> None:
    user_id = make_user(database)
    with database.session(readonly=True) as session:
        uow = UnitOfWork(session, SYSTEM)
        assert uow.users.find_by_email("ada@example.com") is not None
        uow.notifications.create(user_id, "k", "rolled back at the end")
    with database.session(readonly=True) as session:
        assert UnitOfWork(session, SYSTEM).notifications.unread_count(user_id) == 0
