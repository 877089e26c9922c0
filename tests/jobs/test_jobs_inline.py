"""A run's jobs run in-line (:mod:`spinelift.jobs.projects.inline`): the ProcessPsd
worker meshes its layers itself while their messages stay queued, a worker taking those
messages at the same time meshes no layer twice, a crash in-line goes back to its
message, and a consumer whose prefetch is full takes the next message as soon as one is
acknowledged. StubBroker, real Redis (events), SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from typing import Any

import dramatiq
import pytest
from sqlalchemy import func, select

from spinelift.core.pipeline import build_mesh
from spinelift.jobs.broker import SpineLiftRedisBroker
from spinelift.jobs.projects import actors, generate_mesh
from spinelift.jobs.projects.enqueue import enqueue_process_psd
from spinelift.jobs.projects.events import project_snapshot
from spinelift.jobs.projects.inline import mesh_inline
from spinelift.jobs.projects.mesh_client import client_for
from spinelift.jobs.projects.messages import ACTOR_GENERATE_MESH, QUEUE_NAME
from spinelift.jobs.projects.process_psd import run_process_psd
from spinelift.storage.models import Job, JobKind, Mesh, Notification
from spinelift.storage.repositories import Actor
from tests.jobs.project_support import (  # noqa: F401
    SAMPLE_LAYERS,
    Setup,
    project_setup_fixture,
)
from tests.service.support_service import REDIS_URL, require_redis
from tests.storage.conftest import _migrated, database, postgres_databases  # noqa: F401


@dataclasses.dataclass(frozen=True)
class _Seen:
    job_id: str
    status: str
    attempts: int


def _mesh_jobs(s: Setup, project_id: int) -> list[_Seen]:
    with s.db.session(readonly=True) as session:
        query = select(Job.job_id, Job.status, Job.attempts).where(
            Job.project_id == project_id, Job.kind == JobKind.GENERATE_MESH.value
        )
        return [_Seen(*row) for row in session.execute(query)]


def _meshes_per_layer(s: Setup) -> list[int]:
    with s.db.session(readonly=True) as session:
        query = select(func.count()).select_from(Mesh).group_by(Mesh.layer_id)
        return list(session.scalars(query))


def _queued_actors(s: Setup) -> list[str]:
    messages = [dramatiq.Message.decode(m) for m in list(s.broker.queues[QUEUE_NAME].queue)]
    return [m.actor_name for m in messages]


def _start(s: Setup) -> tuple[int, int, str]:
    """(owner, project, ProcessPsd job id) of a new upload whose message is taken away:
    the test runs the actor body itself."""
    owner, project_id, upload_id = s.new_project()
    job_id = enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.broker.flush_all()
    return owner, project_id, job_id


def test_the_document_job_meshes_its_layers_and_their_messages_find_them_done(
    project_setup: Setup,
) -> None:
    s = project_setup
    owner, project_id, job_id = _start(s)
    actors.process_psd(job_id)  # no worker: the actor body alone
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "completed"
    assert [layer["status"] for layer in snap["layers"]] == ["completed"] * SAMPLE_LAYERS
    assert s.stored_export(owner, project_id)  # the run's export, built in-line too
    with s.db.unit(Actor.system()) as uow:
        assert uow.jobs.require(job_id).status == "completed"
    jobs = _mesh_jobs(s, project_id)
    assert len(jobs) == SAMPLE_LAYERS
    assert all((j.status, j.attempts) == ("completed", 1) for j in jobs)
    # every mesh job's message was sent all the same (a lost worker loses nothing)
    assert _queued_actors(s).count(ACTOR_GENERATE_MESH) == SAMPLE_LAYERS
    s.run_worker()  # the messages: nothing left to do
    assert _meshes_per_layer(s) == [1] * SAMPLE_LAYERS
    assert all((j.status, j.attempts) == ("completed", 1) for j in _mesh_jobs(s, project_id))
    with s.db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_worker_taking_the_messages_meanwhile_meshes_no_layer_twice(
    project_setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    s = project_setup
    caplog.set_level(logging.INFO)
    owner, project_id, job_id = _start(s)
    worker = dramatiq.Worker(s.broker, worker_threads=1, worker_timeout=10)
    worker.start()
    try:
        actors.process_psd(job_id)  # while the worker takes the mesh messages
        s.broker.join(QUEUE_NAME, timeout=60_000)
    finally:
        worker.stop()
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "completed"
    assert _meshes_per_layer(s) == [1] * SAMPLE_LAYERS
    jobs = _mesh_jobs(s, project_id)
    assert all((j.status, j.attempts) == ("completed", 1) for j in jobs)
    with s.db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
    # a job reached by both found claimed finds nothing to do: no error, no retry
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_layer_that_crashes_in_line_is_meshed_again_by_its_message(
    project_setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = project_setup
    owner, project_id, job_id = _start(s)
    real = build_mesh
    calls: list[int] = []

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a crash in the middle of the first layer meshed in-line")
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_mesh, "build_mesh", crash_once)
    actors.process_psd(job_id)  # the other layers are meshed all the same
    crashed = [j for j in _mesh_jobs(s, project_id) if j.status != "completed"]
    assert [(j.status, j.attempts) for j in crashed] == [("queued", 1)]
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "processing"
    s.run_worker()  # its message, sent again: the second attempt meshes it
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "completed"
    assert _meshes_per_layer(s) == [1] * SAMPLE_LAYERS
    again = next(j for j in _mesh_jobs(s, project_id) if j.job_id == crashed[0].job_id)
    assert (again.status, again.attempts) == ("completed", 2)


def test_delegated_meshing_is_left_to_the_messages(project_setup: Setup) -> None:
    s = project_setup
    _, project_id, job_id = _start(s)
    mesh_jobs = run_process_psd(s.deps, job_id)
    assert len(mesh_jobs) == SAMPLE_LAYERS
    delegated = dataclasses.replace(s.deps, mesh_client=client_for("http://127.0.0.1:9", "t"))
    mesh_inline(delegated, mesh_jobs)  # the mesh service's jobs wait for it, not for a CPU
    assert all(j.status == "queued" for j in _mesh_jobs(s, project_id))


def test_a_full_prefetch_is_refilled_as_soon_as_a_message_is_acknowledged() -> None:
    require_redis()
    broker = SpineLiftRedisBroker(url=REDIS_URL, namespace=f"sltest-{uuid.uuid4().hex[:10]}")
    queue = "prompt-test"
    broker.declare_queue(queue)
    try:
        for index in range(2):
            message: dramatiq.Message[Any] = dramatiq.Message(
                queue_name=queue, actor_name="a", args=(index,), kwargs={}, options={}
            )
            broker.enqueue(message)
        # an hour's idle timeout: only an acknowledgement can wake the full consumer
        consumer = broker.consume(queue, prefetch=1, timeout=3_600_000)
        first = next(m for m in consumer if m is not None)
        woke = threading.Event()

        def wait_full() -> None:
            assert next(consumer) is None  # full: it waits for an acknowledgement
            woke.set()

        waiter = threading.Thread(target=wait_full, daemon=True)
        waiter.start()
        assert not woke.wait(0.2)  # still full
        consumer.ack(first)
        assert woke.wait(30)
        second = next(m for m in consumer if m is not None)
        assert second.args == (1,)
        consumer.ack(second)
        consumer.close()
    finally:
        broker.flush_all()
        broker.close()
