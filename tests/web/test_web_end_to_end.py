"""The whole flow with a real worker process: upload the sample PSD, watch the WebSocket
until the project completes, inspect the layers and meshes, regenerate one layer (only
it gets mesh version 2), download the Spine export."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from spinelift.io.psd import write_sample_psd
from spinelift.storage.db import Database
from spinelift.storage.models import AuditEntry
from spinelift.web.settings import WebSettings
from tests.polling import wait_until
from tests.runtime.conftest import require_runtime
from tests.runtime.spine_runtime import check_export
from tests.web.support_web import sign_up_and_in

DEADLINE = 60.0


def _watch_until_completed(ws: Any, bus: Any, project_id: int) -> list[dict[str, Any]]:
    """Every event until the project's completed/failed one; a watchdog publishes a
    ``timeout`` event after :data:`DEADLINE` so a broken flow fails instead of hanging."""
    watchdog = threading.Timer(DEADLINE, bus.publish, args=(project_id, {"type": "timeout"}))
    watchdog.start()
    events: list[dict[str, Any]] = []
    try:
        while True:
            event = ws.receive_json()
            events.append(event)
            assert event["type"] != "timeout", f"no completion within {DEADLINE} s: {events}"
            if event["type"] == "project" and event["status"] in ("completed", "failed"):
                return events
    finally:
        watchdog.cancel()


def test_upload_watch_inspect_regenerate_export(
    stack: tuple[TestClient, WebSettings], web_db: Database, tmp_path: Path
) -> None:
    client, _settings = stack
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    headers = sign_up_and_in(client)
    pid = client.post("/api/v1/projects", json={"name": "Hero"}, headers=headers).json()["id"]
    token = headers["Authorization"].removeprefix("Bearer ")
    psd = write_sample_psd(tmp_path / "sample.psd").read_bytes()

    with client.websocket_connect(f"/api/v1/projects/{pid}/events?token={token}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        channel = runtime.events.channel(pid)
        wait_until(lambda: runtime.redis.pubsub_numsub(channel)[0][1] >= 1, timeout=30)
        accepted = client.post(
            f"/api/v1/projects/{pid}/uploads",
            files={"file": ("sample.psd", psd, "application/octet-stream")},
            headers=headers,
        )
        assert accepted.status_code == 202, accepted.text
        early = client.get(f"/api/v1/projects/{pid}/export", headers=headers)
        assert early.status_code == 409 and early.json()["error"]["code"] == "CONFLICT"
        events = _watch_until_completed(ws, runtime.events, pid)

    assert events[-1]["status"] == "completed", events[-1]
    assert any(e["type"] == "layer" and e["status"] == "completed" for e in events)
    job = client.get(f"/api/v1/jobs/{accepted.json()['job_id']}", headers=headers).json()
    assert job["status"] == "completed" and job["kind"] == "process_psd"

    layers = client.get(f"/api/v1/projects/{pid}/layers", headers=headers).json()
    assert len(layers) >= 2
    for layer in layers:
        assert layer["status"] == "completed", layer
        assert layer["mesh"]["version"] == 1
        assert layer["mesh"]["figures"]["vertices"] >= 3
    first = layers[0]["id"]
    attachment = client.get(f"/api/v1/projects/{pid}/layers/{first}/mesh", headers=headers)
    assert attachment.status_code == 200
    assert {"vertices", "triangles", "uvs"} <= set(attachment.json())

    bad = client.patch(
        f"/api/v1/projects/{pid}/layers/{first}",
        json={"parameters": {"detail_factor": -1}},
        headers=headers,
    )
    assert bad.status_code == 422 and "detail_factor" in bad.json()["error"]["details"]["fields"]
    again = client.patch(
        f"/api/v1/projects/{pid}/layers/{first}",
        json={"parameters": {"detail_factor": 0.03}},
        headers=headers,
    )
    assert again.status_code == 202
    job_id = again.json()["job_id"]
    wait_until(
        lambda: (
            client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["status"]
            in ("completed", "failed")
        ),
        timeout=DEADLINE,
    )
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["status"] == "completed"
    # the project is processing again until the export of its new version is stored
    wait_until(
        lambda: (
            client.get(f"/api/v1/projects/{pid}", headers=headers).json()["status"]
            in ("completed", "failed")
        ),
        timeout=DEADLINE,
    )
    after = {
        x["id"]: x for x in client.get(f"/api/v1/projects/{pid}/layers", headers=headers).json()
    }
    assert after[first]["mesh"]["version"] == 2
    assert after[first]["mesh"]["parameters"]["detail_factor"] == 0.03
    assert after[first]["parameters"] == {"detail_factor": 0.03}
    assert all(x["mesh"]["version"] == 1 for lid, x in after.items() if lid != first)

    export = client.get(f"/api/v1/projects/{pid}/export", headers=headers)
    assert export.status_code == 200, export.text
    assert export.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert any(n.endswith(".json") for n in names), names
    assert any(n.endswith(".atlas") for n in names), names
    # the official Spine 4.2 runtime loads the downloaded project, every slot a mesh
    require_runtime()
    unpacked = tmp_path / "export"
    zipfile.ZipFile(io.BytesIO(export.content)).extractall(unpacked)
    loaded = check_export(unpacked)
    assert len(loaded["slots"]) == len(after)
    assert all(slot["type"] == "mesh" and slot["region"] for slot in loaded["slots"])

    notes = wait_until(
        lambda: client.get("/api/v1/notifications", headers=headers).json(), timeout=10
    )
    assert notes[0]["kind"] == "project.finished"
    with web_db.session(readonly=True) as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"user.create", "user.signin", "project.create", "upload.create"} <= actions
    assert {"layer.parameters", "layer.regenerate", "mesh.create"} <= actions
