"""Redis stopped for ~10 s (``SPINELIFT_REDIS_OUTAGE``) while project jobs are queued and
running, then started again *empty* (no persistence): every message it held is gone.

The database is the source of truth: once Redis is back the workers reconnect and their
recovery pass re-sends every job whose message is gone; jobs made during the outage
(their send failed) are sent too. Every job completes exactly once, every project is
notified once, and the web app, which answered 503 on ``/health`` meanwhile, is healthy
again and takes a new upload that completes.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from spinelift.config import ServiceSettings
from spinelift.io.image import encode_png
from spinelift.jobs.broker import make_broker, redis_client
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.enqueue import enqueue_generate_mesh
from spinelift.jobs.projects.events import EventBus
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.db import Database
from spinelift.storage.models import AuditEntry, Job, Mesh, Notification, Project
from spinelift.web.app import create_app
from spinelift.web.settings import WebSettings
from tests.polling import wait_until
from tests.reliability.support import (
    RedisServer,
    WorkerGroup,
    layer_art,
    project_env,
    project_worker_command,
    report,
    running,
    seed_projects,
)
from tests.web.support_web import sign_up_and_in

OUTAGE = float(os.environ.get("SPINELIFT_REDIS_OUTAGE", "10"))


def test_every_job_completes_after_redis_comes_back_empty(
    make_database: Callable[[str], tuple[str, Database]],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    url, db = make_database("postgresql")
    data_dir = tmp_path / "data"
    settings = ServiceSettings(redis_url=redis_server.url, key_prefix="outage", data_dir=data_dir)
    deps = JobDeps(
        db,
        LocalBlobStore(settings.blob_dir),
        EventBus(redis_client(redis_server.url), "outage"),
        make_broker(settings),
    )
    seeded = seed_projects(deps, 2, 20)
    groups = [
        WorkerGroup(project_worker_command(), project_env(settings, url), tmp_path / f"w{i}.log")
        for i in range(2)
    ]
    web_settings = WebSettings(
        redis_url=redis_server.url,
        key_prefix="outage",
        data_dir=data_dir,
        database_url=url,
        jwt_secret="outage-secret-" + "x" * 40,
        log_level="WARNING",
    )

    def count(*conditions: Any) -> int:
        with db.session(readonly=True) as session:
            query = select(func.count()).select_from(Job).where(*conditions)
            return int(session.scalar(query) or 0)

    mesh = Job.kind == "generate_mesh"
    with running(groups), TestClient(create_app(web_settings, db=db)) as app:
        headers = sign_up_and_in(app)
        for s in seeded:
            for layer_id in s.layer_ids:
                enqueue_generate_mesh(
                    deps, owner_id=s.owner_id, project_id=s.project_id, layer_id=layer_id
                )
        wait_until(lambda: count(mesh, Job.status == "completed") >= 5, timeout=90, what="5 done")
        redis_server.stop()
        stopped = time.monotonic()
        at_stop = {
            "completed": count(mesh, Job.status == "completed"),
            "processing": count(mesh, Job.status == "processing"),
            "queued": count(mesh, Job.status == "queued"),
        }
        during = app.get("/health")
        # jobs made while Redis is down: their rows are committed, their sends fail
        extra = seed_projects(deps, 1, 4)
        for s in extra:
            for layer_id in s.layer_ids:
                enqueue_generate_mesh(
                    deps, owner_id=s.owner_id, project_id=s.project_id, layer_id=layer_id
                )
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
        redis_server.start()
        back = time.monotonic()
        wait_until(
            lambda: (
                count(mesh, Job.status.not_in(("completed", "failed"))) == 0
                and count(Job.kind == "notification", Job.status == "completed") == 3
            ),
            timeout=120,
            what="every job done after the outage",
        )
        recovered = time.monotonic() - back
        after = wait_until(
            lambda: (r := app.get("/health")).status_code == 200 and r, timeout=30, what="health"
        )
        project = app.post("/api/v1/projects", json={"name": "After"}, headers=headers).json()
        png = encode_png(layer_art(99, size=256))
        upload = app.post(
            f"/api/v1/projects/{project['id']}/uploads",
            files={"file": ("after.png", png, "image/png")},
            headers=headers,
        )
        assert upload.status_code == 202, upload.text
        wait_until(
            lambda: (
                app.get(f"/api/v1/projects/{project['id']}", headers=headers).json()["status"]
                == "completed"
            ),
            timeout=60,
            what="the upload made after the outage completed",
        )
        wait_until(
            lambda: count(Job.kind == "notification", Job.status == "completed") == 4,
            timeout=30,
            what="its notification",
        )

    seeded_layers = sum(len(s.layer_ids) for s in seeded + extra)
    with db.session(readonly=True) as session:
        states = Counter(session.scalars(select(Job.status).where(mesh)))
        per_layer = Counter(session.scalars(select(Mesh.layer_id)))
        projects = Counter(session.scalars(select(Project.status)))
        notes = Counter(n["project_id"] for n in session.scalars(select(Notification.data)))
        resends = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "job.resend")
        )
        requeues = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "job.requeue")
        )
    figures = report(
        "redis_outage",
        {
            "database": "postgresql",
            "jobs": seeded_layers + 1,
            "outage_seconds": round(back - stopped, 1),
            "at_stop": at_stop,
            "jobs_made_during_outage": sum(len(s.layer_ids) for s in extra),
            "resent_queued_jobs": int(resends or 0),
            "requeued_running_jobs": int(requeues or 0),
            "seconds_from_redis_back_to_all_done": round(recovered, 1),
            "health_during": [during.status_code, during.json()["dependencies"]["broker"]],
            "completed": states["completed"],
            "lost": seeded_layers + 1 - len(per_layer),
            "duplicated_mesh_rows": sum(n - 1 for n in per_layer.values()),
        },
    )
    assert at_stop["queued"] > 0, figures  # the outage hit queued jobs
    assert states == {"completed": seeded_layers + 1}, figures
    assert len(per_layer) == seeded_layers + 1 and set(per_layer.values()) == {1}, figures
    assert projects == {"completed": 4}
    assert sorted(notes.values()) == [1, 1, 1, 1]
    assert (resends or 0) > 0  # messages lost with Redis were sent again from the rows
    assert during.status_code == 503 and during.json()["dependencies"]["broker"] == "unhealthy"
    assert after.json()["status"] == "healthy"
