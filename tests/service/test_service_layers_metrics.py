"""extract_layers (seed 000) on the sample PSD, sync and as a job; /metrics."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from spinelift.io.psd import write_sample_psd
from spinelift.service import create_app
from tests.service.conftest import Stack
from tests.service.support_service import AUTH, png_bytes, wait_for


def sample_psd(tmp_path: Path) -> bytes:
    return write_sample_psd(tmp_path / "sample.psd").read_bytes()


def check_layers(body: dict[str, Any]) -> None:
    layers = body["layers"]
    assert layers and [layer["position"] for layer in layers] == list(range(len(layers)))
    for layer in layers:
        assert set(layer) >= {"name", "image_data", "position", "bounds", "opacity", "blend_mode"}
        assert set(layer["metadata"]) == {"visible", "has_mask"}
        image = Image.open(io.BytesIO(base64.b64decode(layer["image_data"])))
        assert image.format == "PNG"
        assert image.size == (layer["bounds"]["width"], layer["bounds"]["height"])
    assert len({(lyr["bounds"]["x"], lyr["bounds"]["y"]) for lyr in layers}) > 1


def test_extract_layers_returns_each_layer_with_its_position(
    client: TestClient, tmp_path: Path
) -> None:
    response = client.post(
        "/api/extract_layers",
        files={"psd_file": ("hero.psd", sample_psd(tmp_path), "image/vnd.adobe.photoshop")},
        data={"project_id": "7"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    check_layers(response.json())


def test_a_large_psd_is_extracted_by_a_job(stack: Stack, tmp_path: Path) -> None:
    with TestClient(create_app(stack.app_settings(psd_sync_max_bytes=0))) as client:
        response = client.post(
            "/api/extract_layers",
            files={"psd_file": ("hero.psd", sample_psd(tmp_path), "application/octet-stream")},
            headers=AUTH,
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        status = wait_for(
            lambda: client.get(f"/api/v1/mesh/{job_id}/status", headers=AUTH).json(),
            lambda b: b["status"] in ("completed", "failed"),
            30,
        )
        assert status["status"] == "completed", status
        check_layers(client.get(f"/api/v1/mesh/{job_id}/result", headers=AUTH).json())


def test_a_damaged_psd_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/extract_layers", files={"psd_file": ("x.psd", b"8BPS-not-really")}, headers=AUTH
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "DOCUMENT_INVALID"


def test_metrics_expose_requests_jobs_and_queue_depth(client: TestClient) -> None:
    accepted = client.post(
        "/api/v1/mesh/generate",
        files={"image": ("a.png", png_bytes(seed=77), "image/png")},
        headers=AUTH,
    ).json()
    wait_for(
        lambda: client.get(f"/api/v1/mesh/{accepted['job_id']}/status", headers=AUTH).json(),
        lambda b: b["status"] == "completed",
        30,
    )
    text = client.get("/metrics", headers=AUTH).text
    for name in (
        "spinelift_http_requests_total",
        "spinelift_http_request_duration_seconds_bucket",
        "spinelift_jobs_submitted_total",
        "spinelift_queue_depth",
        'spinelift_jobs_finished_total{status="completed"}',
        'spinelift_jobs_finished_total{status="failed"}',
        "spinelift_job_duration_seconds_count",
        "spinelift_mesh_runs_total",
    ):
        assert name in text, name
    assert 'route="/api/v1/mesh/{job_id}/status"' in text
