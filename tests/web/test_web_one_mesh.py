"""One mesh per layer, everywhere (issue #13), with a real worker process: for every layer
of a multi-layer PSD the API's mesh is the attachment the downloaded export holds (same
uvs, triangles, hull and edges; vertices equal up to the layer's placement), before and
after re-tuning one layer; the web export equals ``spinelift convert`` of the same PSD
byte for byte; and the job an upload answers with completes with the whole run."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from spinelift.io.export import ExportOptions, export_document
from spinelift.io.psd import read_psd, write_sample_psd
from spinelift.web.settings import WebSettings
from tests.jobs.project_support import exported_meshes, same_mesh
from tests.polling import wait_until
from tests.web.support_web import sign_up_and_in

DEADLINE = 90.0


def _job_done(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        return job if job["status"] in ("completed", "failed") else None

    job = wait_until(done, timeout=DEADLINE)
    assert job is not None
    return job


def _project_done(client: TestClient, headers: dict[str, str], pid: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        project = client.get(f"/api/v1/projects/{pid}", headers=headers).json()
        return project if project["status"] in ("completed", "failed") else None

    project = wait_until(done, timeout=DEADLINE)
    assert project is not None
    return project


def _check_one_mesh_per_layer(client: TestClient, headers: dict[str, str], pid: int) -> int:
    """Every layer's API mesh is one of the export's mesh attachments and every export
    mesh is a layer's; returns the number of layers checked."""
    export = client.get(f"/api/v1/projects/{pid}/export", headers=headers)
    assert export.status_code == 200, export.text
    exported = exported_meshes(export.content)
    layers = client.get(f"/api/v1/projects/{pid}/layers", headers=headers).json()
    api = {}
    for layer in layers:
        response = client.get(f"/api/v1/projects/{pid}/layers/{layer['id']}/mesh", headers=headers)
        assert response.status_code == 200, response.text
        api[layer["name"]] = response.json()
        figures = layer["mesh"]["figures"]
        assert figures["hull"] == api[layer["name"]]["hull"], layer["name"]
    for name, mesh in api.items():
        assert any(same_mesh(mesh, other) for other in exported), f"{name}: not in the export"
    for other in exported:
        assert any(same_mesh(mesh, other) for mesh in api.values()), other.get("path")
    return len(api)


def test_the_api_mesh_is_the_exported_mesh_before_and_after_a_retune(
    stack: tuple[TestClient, WebSettings], tmp_path: Path
) -> None:
    client, _settings = stack
    headers = sign_up_and_in(client)
    pid = client.post("/api/v1/projects", json={"name": "hero"}, headers=headers).json()["id"]
    psd = write_sample_psd(tmp_path / "hero.psd").read_bytes()
    accepted = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": ("hero.psd", psd, "application/octet-stream")},
        headers=headers,
    )
    assert accepted.status_code == 202, accepted.text

    # the upload's job tells the truth: once it is completed, so is the whole run
    job = _job_done(client, headers, accepted.json()["job_id"])
    assert job["status"] == "completed", job
    project = client.get(f"/api/v1/projects/{pid}", headers=headers).json()
    assert project["status"] == "completed", project
    assert _check_one_mesh_per_layer(client, headers, pid) >= 10

    # the web export is `spinelift convert`'s, byte for byte
    download = client.get(f"/api/v1/projects/{pid}/export", headers=headers)
    web = zipfile.ZipFile(io.BytesIO(download.content))
    cli_zip = tmp_path / "cli" / "hero.zip"
    cli_zip.parent.mkdir()
    export_document(read_psd(tmp_path / "hero.psd"), cli_zip, ExportOptions(workers=1))
    cli = zipfile.ZipFile(cli_zip)
    assert sorted(web.namelist()) == sorted(cli.namelist())
    for name in cli.namelist():
        assert web.read(name) == cli.read(name), name

    # re-tune one layer: the project is processing until the new export is stored
    layers = client.get(f"/api/v1/projects/{pid}/layers", headers=headers).json()
    tuned = layers[len(layers) // 2]
    retune = client.patch(
        f"/api/v1/projects/{pid}/layers/{tuned['id']}",
        json={"parameters": {"detail_factor": 0.001}},
        headers=headers,
    )
    assert retune.status_code == 202, retune.text
    assert _job_done(client, headers, retune.json()["job_id"])["status"] == "completed"
    assert _project_done(client, headers, pid)["status"] == "completed"
    after = client.get(f"/api/v1/projects/{pid}/layers", headers=headers).json()
    assert [x["mesh"]["version"] for x in after if x["id"] == tuned["id"]] == [2]
    _check_one_mesh_per_layer(client, headers, pid)


def test_a_renamed_project_builds_its_export_again_even_back_to_an_old_name(
    stack: tuple[TestClient, WebSettings], tmp_path: Path
) -> None:
    client, _settings = stack
    headers = sign_up_and_in(client)
    pid = client.post("/api/v1/projects", json={"name": "first"}, headers=headers).json()["id"]
    psd = write_sample_psd(tmp_path / "hero.psd").read_bytes()
    accepted = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": ("hero.psd", psd, "application/octet-stream")},
        headers=headers,
    )
    assert _job_done(client, headers, accepted.json()["job_id"])["status"] == "completed"

    def names() -> list[str]:
        answer = client.get(f"/api/v1/projects/{pid}/export", headers=headers)
        assert answer.status_code == 200, answer.text
        return sorted(zipfile.ZipFile(io.BytesIO(answer.content)).namelist())

    assert any(name.startswith("first") for name in names())
    for name in ("second", "first"):  # back to a version whose blobs were replaced
        client.patch(f"/api/v1/projects/{pid}", json={"name": name}, headers=headers)
        pending = client.get(f"/api/v1/projects/{pid}/export", headers=headers)
        assert pending.status_code == 409, pending.text
        details = pending.json()["error"]["details"]
        assert details["retry_after"] >= 1
        assert _job_done(client, headers, details["job_id"])["status"] == "completed"
        assert any(entry.startswith(name) for entry in names())
