"""Shared set-up of the project-job tests: a user, a project, an uploaded PSD, deps on a
StubBroker with real Redis (events) and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dramatiq
import numpy as np
import pytest
import redis
from dramatiq.brokers.stub import StubBroker

from spinelift.io.psd import write_sample_psd
from spinelift.jobs.projects.actors import configure, declare_actors
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.events import EventBus
from spinelift.jobs.projects.export_version import current_version
from spinelift.jobs.projects.messages import QUEUE_NAME
from spinelift.storage.blob_keys import export_key
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.db import Database
from spinelift.storage.repositories import Actor, UnitOfWork
from tests.service.support_service import cleanup, require_redis

SAMPLE_LAYERS = 13


@dataclass
class Setup:
    deps: JobDeps
    broker: StubBroker
    redis: redis.Redis
    prefix: str
    tmp: Path

    @property
    def db(self) -> Database:
        return self.deps.db

    def new_project(self, psd: bytes | None = None, name: str = "Hero") -> tuple[int, int, int]:
        """(owner id, project id, upload id) of a new project with ``psd`` uploaded
        (default: the sample character)."""
        if psd is None:
            psd = sample_psd(self.tmp)
        digest = hashlib.sha256(psd).hexdigest()
        key = f"uploads/{digest}.psd"
        self.deps.blobs.put(key, psd)
        with self.db.unit(Actor.system()) as uow:
            user = uow.users.create(f"{uuid.uuid4().hex[:8]}@example.com", "x" * 20)
            project = uow.projects.create(user.id, name)
            upload = uow.uploads.create(
                project.id,
                blob_key=key,
                filename="hero.psd",
                content_type="image/vnd.adobe.photoshop",
                size_bytes=len(psd),
                sha256=digest,
            )
            return user.id, project.id, upload.id

    def stored_export(self, owner_id: int, project_id: int) -> bytes:
        """The export zip the BuildExport job stored for the project's current version."""
        with self.db.session(readonly=True) as session:
            uow = UnitOfWork(session, Actor.user(owner_id))
            project = uow.projects.get(owner_id, project_id)
            assert project is not None
            version = current_version(uow, project_id, project.name)
        return self.deps.blobs.get(export_key(project_id, version.fingerprint))

    def run_worker(self, timeout: float = 30.0) -> None:
        """Process every message (including the ones sent while processing)."""
        worker = dramatiq.Worker(self.broker, worker_threads=1, worker_timeout=50)
        worker.start()
        try:
            self.broker.join(QUEUE_NAME, timeout=int(timeout * 1000))
        finally:
            worker.stop()


_SAMPLE: dict[str, bytes] = {}


def sample_psd(tmp: Path) -> bytes:
    if "psd" not in _SAMPLE:
        _SAMPLE["psd"] = write_sample_psd(tmp / "sample.psd").read_bytes()
    return _SAMPLE["psd"]


@pytest.fixture(name="project_setup")
def project_setup_fixture(database: Database, tmp_path: Path) -> Iterator[Setup]:
    client = require_redis()
    prefix = f"sltest-{uuid.uuid4().hex[:10]}"
    broker = StubBroker()
    broker.emit_after("process_boot")
    deps = JobDeps(database, LocalBlobStore(tmp_path / "blobs"), EventBus(client, prefix), broker)
    declare_actors(broker)
    configure(deps)
    yield Setup(deps, broker, client, prefix, tmp_path)
    broker.close()
    cleanup(client, prefix)


def exported_meshes(zip_bytes: bytes) -> list[dict[str, Any]]:
    """The mesh attachments of an export zip's skeleton."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json"))
        skeleton = json.loads(archive.read(name))
    return [
        attachment
        for skin in skeleton["skins"]
        for slot in skin["attachments"].values()
        for attachment in slot.values()
        if attachment.get("type") == "mesh"
    ]


def same_mesh(api: dict[str, Any], exported: dict[str, Any]) -> bool:
    """The same mesh: uvs, triangles, hull, edges, size equal; vertices equal up to one
    offset (the layer's placement on its bone), to the 0.001 px the JSON keeps."""
    keys = ("uvs", "triangles", "hull", "edges", "width", "height")
    if any(api[key] != exported[key] for key in keys):
        return False
    a = np.asarray(api["vertices"], dtype=np.float64).reshape(-1, 2)
    b = np.asarray(exported["vertices"], dtype=np.float64).reshape(-1, 2)
    if a.shape != b.shape:
        return False
    offset = b[0] - a[0]
    return bool(np.abs(b - a - offset).max() <= 0.0021)
