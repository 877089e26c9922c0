"""Workers killed with SIGKILL in the middle of mesh jobs: every job still completes,
exactly once.

The web app's project jobs: at least 100 GenerateMesh jobs (``SPINELIFT_CHAOS_JOBS`` for
a longer run) on PostgreSQL (and 30 on SQLite), two worker process groups, one of them
SIGKILLed each time both are in the middle of a job, and started again (kills stop for the
last 10 % of the jobs, see :class:`Chaos`). The kills are triggered by the jobs, not by a
timer, so they happen on any machine, fast or slow. Then: every job completed, one mesh row
per layer (made by that layer's job), every layer and project completed, one notification
per project, attempts recorded. The mesh service's workers: 30 jobs, the same kills; every
job completed once (the completion counter equals the job count) and its result served.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from spinelift.config import ServiceSettings
from spinelift.errors import JobNotFoundError
from spinelift.io.image import encode_png
from spinelift.jobs.broker import make_broker, redis_client
from spinelift.jobs.mesh.context import job_store
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.enqueue import enqueue_generate_mesh
from spinelift.jobs.projects.events import EventBus
from spinelift.service import create_app
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.db import Database
from spinelift.storage.job_store import JobStatus as RemoteStatus
from spinelift.storage.models import AuditEntry, Job, Layer, Mesh, Notification, Project
from tests.polling import wait_until
from tests.reliability.support import (
    HEAVY_PARAMETERS,
    RECOVERY_ENV,
    Chaos,
    RedisServer,
    WorkerGroup,
    layer_art,
    mesh_worker_command,
    project_env,
    project_worker_command,
    ready,
    report,
    running,
    seed_projects,
)
from tests.service.support_service import AUTH, make_settings, worker_env

CHAOS_JOBS = int(os.environ.get("SPINELIFT_CHAOS_JOBS", "100"))


@pytest.mark.parametrize(("backend", "jobs"), [("postgresql", CHAOS_JOBS), ("sqlite", 30)])
def test_killed_workers_lose_and_duplicate_no_project_job(
    backend: str,
    jobs: int,
    make_database: Callable[[str], tuple[str, Database]],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    url, db = make_database(backend)
    settings = ServiceSettings(
        redis_url=redis_server.url, key_prefix="chaos", data_dir=tmp_path / "data"
    )
    deps = JobDeps(
        db,
        LocalBlobStore(settings.blob_dir),
        EventBus(redis_client(redis_server.url), "chaos"),
        make_broker(settings),
    )
    projects = 4 if jobs >= 100 else 2
    seeded = seed_projects(deps, projects, -(-jobs // projects))
    groups = [
        WorkerGroup(project_worker_command(), project_env(settings, url), tmp_path / f"w{i}.log")
        for i in range(2)
    ]

    def processing() -> set[tuple[str, int]]:
        with db.session(readonly=True) as session:
            query = select(Job.job_id, Job.attempts).where(Job.status == "processing")
            return {(job_id, attempts) for job_id, attempts in session.execute(query)}

    def enough() -> bool:  # the last 10 % of the jobs run without kills (see Chaos)
        with db.session(readonly=True) as session:
            query = select(func.count()).where(
                Job.kind == "generate_mesh", Job.status != "completed"
            )
            return int(session.scalar(query.select_from(Job)) or 0) < max(2, jobs // 10)

    def unfinished() -> int:
        with db.session(readonly=True) as session:
            done = ("completed", "failed")
            query = select(func.count()).select_from(Project).where(Project.status.not_in(done))
            notes = session.scalar(select(func.count()).select_from(Notification))
            return int(session.scalar(query) or 0) + (len(seeded) - int(notes or 0))

    started = time.monotonic()
    with running(groups), Chaos(groups, running=processing, enough=enough) as chaos:
        wait_until(lambda: ready(groups), timeout=120, what="every worker consuming")
        for s in seeded:
            for layer_id in s.layer_ids:
                enqueue_generate_mesh(
                    deps, owner_id=s.owner_id, project_id=s.project_id, layer_id=layer_id
                )
        try:
            wait_until(
                lambda: unfinished() == 0,
                timeout=120 + 2 * jobs,
                every=0.2,
                what="every project completed and notified",
            )
        except AssertionError:
            raise AssertionError(groups[0].log_text()[-3000:]) from None
        wall = time.monotonic() - started

    with db.session(readonly=True) as session:
        mesh_jobs = session.execute(
            select(Job.job_id, Job.layer_id, Job.status, Job.attempts).where(
                Job.kind == "generate_mesh"
            )
        ).all()
        meshes = session.execute(select(Mesh.layer_id, Mesh.version, Mesh.job_id)).all()
        layer_states = set(session.scalars(select(Layer.status)))
        project_states = list(session.scalars(select(Project.status)))
        note_projects = Counter(n["project_id"] for n in session.scalars(select(Notification.data)))
        notify_states = Counter(
            session.scalars(select(Job.status).where(Job.kind == "notification"))
        )
        requeues = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "job.requeue")
        )
    layer_count = sum(len(s.layer_ids) for s in seeded)
    states = Counter(job.status for job in mesh_jobs)
    per_layer = Counter(mesh.layer_id for mesh in meshes)
    job_of_layer = {job.layer_id: job.job_id for job in mesh_jobs}
    interrupted = [job for job in mesh_jobs if job.attempts > 1]
    figures = report(
        f"worker_kills_project_jobs_{backend}",
        {
            "database": backend,
            "jobs": len(mesh_jobs),
            "workers": len(groups),
            "kills": chaos.kills,
            "jobs_rerun_after_a_kill": len(interrupted),
            "extra_attempts": sum(job.attempts - 1 for job in mesh_jobs),
            "max_attempts_of_a_job": max(job.attempts for job in mesh_jobs),
            "requeues_audited": int(requeues or 0),
            "completed": states["completed"],
            "failed": states["failed"],
            "lost": layer_count - len(per_layer),
            "duplicated_mesh_rows": sum(n - 1 for n in per_layer.values()),
            "wall_seconds": round(wall, 1),
            "jobs_per_second": round(len(mesh_jobs) / wall, 2),
        },
    )
    assert len(mesh_jobs) == layer_count >= jobs
    assert states == {"completed": layer_count}, figures
    assert all(job.attempts >= 1 for job in mesh_jobs)
    assert len(meshes) == layer_count and set(per_layer.values()) == {1}, figures
    assert all(mesh.version == 1 and mesh.job_id == job_of_layer[mesh.layer_id] for mesh in meshes)
    assert layer_states == {"completed"}
    assert project_states == ["completed"] * len(seeded)
    assert sorted(note_projects.values()) == [1] * len(seeded)
    assert notify_states == {"completed": len(seeded)}
    # the kills really hit running jobs, and those jobs ran again
    assert chaos.kills >= 1 and interrupted, figures


def test_killed_mesh_service_workers_lose_and_duplicate_no_job(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    jobs = 30
    settings = make_settings(
        "meshchaos", tmp_path / "data", redis_url=redis_server.url, job_retries=3
    )
    env = {**worker_env(settings), **RECOVERY_ENV}
    groups = [WorkerGroup(mesh_worker_command(), env, tmp_path / f"mesh{i}.log") for i in range(2)]
    store = job_store(settings)
    ids = [f"chaos-{i}" for i in range(jobs)]

    def processing() -> set[tuple[str, int]]:
        runs = set()
        for job_id in ids:
            with contextlib.suppress(JobNotFoundError):  # not posted yet
                record = store.get(job_id)
                if record.status is RemoteStatus.PROCESSING:
                    runs.add((job_id, record.attempts))
        return runs

    def enough() -> bool:  # the last 10 % of the jobs run without kills (see Chaos)
        return sum(store.get(job_id).status is not RemoteStatus.COMPLETED for job_id in ids) < 3

    def finished() -> bool:
        return all(store.get(job_id).status in (RemoteStatus.COMPLETED, RemoteStatus.FAILED)
                   for job_id in ids)  # fmt: skip

    pngs = [encode_png(layer_art(1000 + i, size=768), compress_level=1) for i in range(jobs)]
    started = time.monotonic()
    with (
        TestClient(create_app(settings)) as client,
        running(groups),
        Chaos(groups, running=processing, enough=enough) as chaos,
    ):
        wait_until(lambda: ready(groups), timeout=120, what="every worker consuming")
        for job_id, png in zip(ids, pngs, strict=True):
            accepted = client.post(
                "/api/v1/mesh/generate",
                files={"image": ("part.png", png, "image/png")},
                data={"parameters": json.dumps(HEAVY_PARAMETERS), "job_id": job_id},
                headers=AUTH,
            )
            assert accepted.status_code == 202, accepted.text
        try:
            wait_until(finished, timeout=180, every=0.2, what="every mesh job finished")
        except AssertionError:
            raise AssertionError(groups[0].log_text()[-3000:]) from None
        wall = time.monotonic() - started
        results = [client.get(f"/api/v1/mesh/{job_id}/result", headers=AUTH) for job_id in ids]
    records = [store.get(job_id) for job_id in ids]
    stats = store.stats()
    figures = report(
        "worker_kills_mesh_service",
        {
            "jobs": jobs,
            "workers": len(groups),
            "kills": chaos.kills,
            "jobs_rerun_after_a_kill": sum(r.attempts > 1 for r in records),
            "extra_attempts": sum(r.attempts - 1 for r in records),
            "completed": sum(r.status is RemoteStatus.COMPLETED for r in records),
            "completions_counted": int(stats.get("jobs_completed", 0)),
            "mesh_runs": int(stats.get("mesh_runs", 0)),
            "wall_seconds": round(wall, 1),
        },
    )
    assert [r.status for r in records] == [RemoteStatus.COMPLETED] * jobs, figures
    assert stats.get("jobs_completed") == jobs, figures  # each job completed exactly once
    assert all(r.status_code == 200 and len(r.json()["vertices"]) >= 6 for r in results)
    assert chaos.kills >= 1 and any(r.attempts > 1 for r in records), figures
