"""End to end on real transport: a real Redis broker, a real ``dramatiq`` worker process
(``spinelift.jobs.projects.actors:setup_worker``), a SQLite file database; the sample PSD
becomes a completed project while the test watches the events through
:meth:`EventBus.subscribe`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from spinelift.config import ServiceSettings
from spinelift.jobs.broker import make_broker, redis_client
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.enqueue import enqueue_process_psd
from spinelift.jobs.projects.events import EventBus, project_snapshot
from spinelift.jobs.projects.messages import QUEUE_NAME
from spinelift.storage import migrations
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.db import Database
from spinelift.storage.models import Notification
from tests.jobs.project_support import SAMPLE_LAYERS, Setup
from tests.service.support_service import REDIS_URL, cleanup, require_redis


def test_a_real_worker_processes_the_sample_psd_and_streams_events(tmp_path: Path) -> None:
    client = require_redis()
    prefix = f"sltest-{uuid.uuid4().hex[:10]}"
    url = f"sqlite:///{tmp_path / 'web.db'}"
    db = Database(url)
    migrations.upgrade(db)
    settings = ServiceSettings(redis_url=REDIS_URL, key_prefix=prefix, data_dir=tmp_path)
    broker = make_broker(settings)
    deps = JobDeps(db, LocalBlobStore(settings.blob_dir), EventBus(client, prefix), broker)
    s = Setup(deps, broker, client, prefix, tmp_path)  # type: ignore[arg-type]  # helpers only
    owner, project_id, upload_id = s.new_project()
    env = {
        **os.environ,
        "SPINELIFT_REDIS_URL": REDIS_URL,
        "SPINELIFT_KEY_PREFIX": prefix,
        "SPINELIFT_DATA_DIR": str(tmp_path),
        "SPINELIFT_DATABASE_URL": url,
        "SPINELIFT_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "dramatiq", "spinelift.jobs.projects.actors:setup_worker"]
    command += ["--processes", "1", "--threads", "2", "--queues", QUEUE_NAME]
    worker = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        events = asyncio.run(_watch(deps, owner, project_id, upload_id, client_url=REDIS_URL))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # the Notification job runs right after
            with db.session(readonly=True) as session:
                titles = list(session.scalars(select(Notification.title)))
            if titles:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=20)
        broker.close()
        cleanup(client, prefix)
        db.dispose()
    assert titles == [f"Project Hero finished: {SAMPLE_LAYERS} layers, 0 failed"], output[-3000:]
    snap = project_snapshot(db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "completed"
    assert len(snap["layers"]) == SAMPLE_LAYERS
    assert all(layer["mesh"] and layer["status"] == "completed" for layer in snap["layers"])
    layer_ids = {layer["id"] for layer in snap["layers"]}
    completed = {
        e["layer_id"] for e in events if e["type"] == "layer" and e["status"] == "completed"
    }
    assert completed == layer_ids
    assert events[-1] == {**events[-1], "type": "project", "status": "completed"}


async def _watch(
    deps: JobDeps, owner: int, project_id: int, upload_id: int, *, client_url: str
) -> list[dict[str, Any]]:
    """Subscribe, start the job once subscribed, collect events until the project ends."""
    events: list[dict[str, Any]] = []
    channel = deps.events.channel(project_id)
    probe = redis_client(client_url)

    async def collect() -> None:
        async for event in deps.events.subscribe(project_id):
            events.append(event)
            if event["type"] == "project" and event["status"] in ("completed", "failed"):
                return

    task = asyncio.create_task(collect())
    while not dict(probe.pubsub_numsub(channel)).get(channel.encode()):  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
    await asyncio.to_thread(
        enqueue_process_psd, deps, owner_id=owner, project_id=project_id, upload_id=upload_id
    )
    await asyncio.wait_for(task, timeout=60)
    return events
