"""The pieces the fault tests rely on, one at a time, on a real Redis and a real database:
dead workers' messages requeued on demand, only lost messages re-sent, the notification
job made with the project's final status, orphan uploads and temporary files removed."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from spinelift.config import ServiceSettings
from spinelift.jobs.broker import (
    SpineLiftRedisBroker,
    make_broker,
    message_job_ids,
    redis_client,
    requeue_dead_workers,
)
from spinelift.jobs.projects.actors import configure
from spinelift.jobs.projects.build_export import run_build_export
from spinelift.jobs.projects.cleanup import resend_stale, run_cleanup
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.enqueue import enqueue_generate_mesh
from spinelift.jobs.projects.events import EventBus
from spinelift.jobs.projects.generate_mesh import run_generate_mesh
from spinelift.jobs.projects.messages import QUEUE_NAME
from spinelift.jobs.projects.notification import run_notify_project
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.db import Database
from spinelift.storage.models import AuditEntry, Job, Notification
from spinelift.storage.repositories import Actor
from tests.reliability.support import RedisServer, seed_projects

QUEUE = QUEUE_NAME


def _deps(db: Database, redis_url: str, tmp: Path, broker: dramatiq.Broker) -> JobDeps:
    return JobDeps(db, LocalBlobStore(tmp / "blobs"), EventBus(redis_client(redis_url)), broker)


def test_a_dead_workers_unacknowledged_message_goes_back_to_the_queue_on_demand(
    redis_server: RedisServer,
) -> None:
    def broker() -> SpineLiftRedisBroker:
        return SpineLiftRedisBroker(url=redis_server.url, namespace="dead", heartbeat_timeout=200)

    sender, dead, alive = broker(), broker(), broker()
    sender.declare_queue(QUEUE)
    sender.enqueue(dramatiq.Message(QUEUE, "actor", ("job-1",), {}, {}))
    fetched = next(iter(dead.consume(QUEUE, prefetch=1, timeout=100)))  # never acknowledged
    assert fetched is not None and fetched.args == ("job-1",)
    assert message_job_ids(alive, QUEUE) == {"job-1"}  # held by the dead worker: not lost
    consumer = alive.consume(QUEUE, prefetch=1, timeout=100)
    assert next(iter(consumer)) is None  # nothing waiting: the message is held
    time.sleep(0.3)  # the dead worker's heartbeat is now older than the timeout
    assert requeue_dead_workers(alive, QUEUE)
    again = next(iter(alive.consume(QUEUE, prefetch=1, timeout=100)))
    assert again is not None and again.args == ("job-1",)
    assert requeue_dead_workers(StubBroker(), QUEUE) is False
    for b in (sender, dead, alive):
        b.close()


def test_only_the_queued_jobs_whose_message_is_gone_are_sent_again(
    make_database: Callable[[str], tuple[str, Database]],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    _url, db = make_database("sqlite")
    settings = ServiceSettings(redis_url=redis_server.url, key_prefix="resend", data_dir=tmp_path)
    broker = make_broker(settings)
    deps = _deps(db, redis_server.url, tmp_path, broker)
    (seeded,) = seed_projects(deps, 1, 2)
    kept, lost = (
        enqueue_generate_mesh(
            deps, owner_id=seeded.owner_id, project_id=seeded.project_id, layer_id=layer
        )
        for layer in seeded.layer_ids
    )
    client = redis_client(redis_server.url)
    messages = f"{settings.key_prefix}-dramatiq:{QUEUE}.msgs"
    for message_id, data in client.hgetall(messages).items():
        if dramatiq.Message.decode(data).args[0] == lost:  # the broker lost this one
            client.hdel(messages, message_id)
            client.lrem(f"{settings.key_prefix}-dramatiq:{QUEUE}", 0, message_id)
    assert message_job_ids(broker, QUEUE) == {kept}
    assert resend_stale(deps, older_than=3600) == 0  # not stale yet
    assert resend_stale(deps, older_than=0) == 1
    assert message_job_ids(broker, QUEUE) == {kept, lost}
    with db.session(readonly=True) as session:
        resent = list(
            session.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "job.resend"))
        )
    assert resent == [lost]
    assert resend_stale(deps, older_than=0) == 0  # both held now: nothing more to send
    broker.close()


def test_a_finished_projects_notification_survives_a_lost_message(
    make_database: Callable[[str], tuple[str, Database]],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    _url, db = make_database("postgresql")
    broker = StubBroker()
    broker.emit_after("process_boot")
    deps = _deps(db, redis_server.url, tmp_path, broker)
    configure(deps)
    (seeded,) = seed_projects(deps, 1, 1)
    job_id = enqueue_generate_mesh(
        deps, owner_id=seeded.owner_id, project_id=seeded.project_id, layer_id=seeded.layer_ids[0]
    )
    broker.flush_all()
    run_generate_mesh(deps, job_id)  # meshes the last layer ...
    broker.flush_all()
    with db.session(readonly=True) as session:
        (export,) = session.scalars(select(Job.job_id).where(Job.kind == "build_export"))
    run_build_export(deps, export)  # ... stores the export: the project completes ...
    broker.flush_all()  # ... and its Notification message is lost
    with db.session(readonly=True) as session:
        (notify,) = session.scalars(select(Job).where(Job.kind == "notification"))
        assert notify.status == "queued" and notify.project_id == seeded.project_id
        notify_id = notify.job_id
    assert resend_stale(deps, older_than=0) == 1
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join(QUEUE, timeout=30_000)
    finally:
        worker.stop()
    run_notify_project(deps, notify_id)  # a duplicate does nothing
    with db.session(readonly=True) as session:
        notes = session.scalar(select(func.count()).select_from(Notification))
        status = session.scalar(select(Job.status).where(Job.job_id == notify_id))
    assert (notes, status) == (1, "completed")
    broker.close()


def test_cleanup_removes_old_unrecorded_uploads_and_unfinished_writes(
    make_database: Callable[[str], tuple[str, Database]],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    _url, db = make_database("sqlite")
    deps = _deps(db, redis_server.url, tmp_path, StubBroker())
    (seeded,) = seed_projects(deps, 1, 1)
    pid = seeded.project_id
    old, young = int(time.time()) - 7200, int(time.time())
    orphan = f"projects/{pid}/uploads/{old}-{uuid.uuid4().hex}.psd"
    recorded = f"projects/{pid}/uploads/{old}-{uuid.uuid4().hex}.psd"
    fresh = f"projects/{pid}/uploads/{young}-{uuid.uuid4().hex}.psd"
    for key in (orphan, recorded, fresh):
        deps.blobs.put(key, b"8BPS")
    with db.unit(Actor.system("test")) as uow:
        uow.uploads.create(
            pid, blob_key=recorded, filename="a.psd", content_type="x", size_bytes=4, sha256="0"
        )
    folder = tmp_path / "blobs" / "projects" / str(pid) / "uploads"
    stale_temp, new_temp = folder / ".x.psd.0a1b.tmp", folder / ".y.psd.2c3d.tmp"
    stale_temp.write_bytes(b"half")
    new_temp.write_bytes(b"half")
    os.utime(stale_temp, (old, old))
    counts = run_cleanup(deps)
    assert counts["blobs_deleted"] == 1 and counts["temporaries_deleted"] == 1
    assert sorted(deps.blobs.list_keys(f"projects/{pid}/uploads/")) == sorted([recorded, fresh])
    assert not stale_temp.exists() and new_temp.exists()
