"""The mesh API end to end: real Redis, real worker processes, real HTTP peers."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.testclient import TestClient

from spinelift.net.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.service.conftest import Peer, Stack
from tests.service.support_service import AUTH, SECRET, png_bytes, wait_for

PARAMS = {"detail_factor": 0.01, "alpha_threshold": 10}


def submit_upload(client: TestClient, image: bytes, **fields: str) -> dict[str, Any]:
    form = {"parameters": json.dumps(PARAMS), **fields}
    response = client.post(
        "/api/v1/mesh/generate",
        files={"image": ("art.png", image, "image/png")},
        data=form,
        headers=AUTH,
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def poll(client: TestClient, job_id: str, timeout: float = 30) -> dict[str, Any]:
    def fetch() -> dict[str, Any]:
        response = client.get(f"/api/v1/mesh/{job_id}/status", headers=AUTH)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return wait_for(fetch, lambda b: b["status"] in ("completed", "failed"), timeout)


def assert_spine_mesh(attachment: dict[str, Any]) -> None:
    assert attachment["type"] == "mesh"
    hull, uvs, triangles = attachment["hull"], attachment["uvs"], attachment["triangles"]
    assert hull >= 3 and len(uvs) >= 2 * hull and len(triangles) % 3 == 0 and triangles
    assert all(0 <= v <= 1 for v in uvs)
    assert max(triangles) < len(uvs) // 2


def test_upload_is_meshed_by_a_worker_and_the_result_is_a_spine_mesh(client: TestClient) -> None:
    accepted = submit_upload(client, png_bytes(seed=1))
    assert accepted["status"] == "queued" and accepted["estimated_time"] > 0
    status = poll(client, accepted["job_id"])
    assert status["status"] == "completed", status
    assert status["progress"] == 100 and status["result_url"].endswith("/result")
    result = client.get(f"/api/v1/mesh/{accepted['job_id']}/result", headers=AUTH)
    assert result.status_code == 200
    assert_spine_mesh(result.json())


def test_a_long_poll_answers_when_the_job_finishes(client: TestClient) -> None:
    accepted = submit_upload(client, png_bytes(seed=11))
    response = client.get(
        f"/api/v1/mesh/{accepted['job_id']}/status", params={"wait": 20}, headers=AUTH
    )
    assert response.json()["status"] == "completed"


def test_image_url_is_fetched_by_the_worker(client: TestClient, peer: Peer) -> None:
    peer.files["/art.png"] = png_bytes(seed=2)
    response = client.post(
        "/api/v1/mesh/generate",
        json={"image_url": f"{peer.url}/art.png", "parameters": PARAMS},
        headers=AUTH,
    )
    assert response.status_code == 202, response.text
    status = poll(client, response.json()["job_id"])
    assert status["status"] == "completed", status
    assert_spine_mesh(client.get(status["result_url"], headers=AUTH).json())


def test_the_same_job_id_twice_is_one_job(client: TestClient, stack: Stack) -> None:
    first = submit_upload(client, png_bytes(seed=3), job_id="layer-42-v1")
    second = submit_upload(client, png_bytes(seed=4), job_id="layer-42-v1")
    assert first["job_id"] == second["job_id"] == "layer-42-v1"
    poll(client, "layer-42-v1")
    queued_messages = stack.redis.hlen(f"{stack.settings.key_prefix}-dramatiq:spinelift-mesh.msgs")
    assert queued_messages == 0  # the one message was processed, no second one exists
    assert client.get("/api/v1/mesh/layer-42-v1/status", headers=AUTH).json()["attempts"] == 1


def test_a_repeated_request_is_answered_from_the_cache_without_a_worker_run(
    client: TestClient, stack: Stack
) -> None:
    image = png_bytes(seed=5)
    first = submit_upload(client, image)
    assert poll(client, first["job_id"])["status"] == "completed"
    stats_key = f"{stack.settings.key_prefix}:stats"
    runs_before = float(stack.redis.hget(stats_key, "mesh_runs") or 0)
    second = submit_upload(client, image)
    assert second["status"] == "completed" and second["cached"] is True
    assert second["job_id"] != first["job_id"]
    assert float(stack.redis.hget(stats_key, "mesh_runs") or 0) == runs_before
    same = client.get(f"/api/v1/mesh/{second['job_id']}/result", headers=AUTH).content
    assert same == client.get(f"/api/v1/mesh/{first['job_id']}/result", headers=AUTH).content


def test_progress_callbacks_arrive_signed(client: TestClient, peer: Peer) -> None:
    accepted = submit_upload(client, png_bytes(seed=6), callback_url=f"{peer.url}/cb")
    assert poll(client, accepted["job_id"])["status"] == "completed"
    deadline = time.monotonic() + 10
    while not any(b'"completed"' in body for _, body in peer.posts):
        assert time.monotonic() < deadline, peer.posts
        time.sleep(0.05)
    payloads = []
    for headers, body in peer.posts:
        assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        payloads.append(json.loads(body))
    assert {p["job_id"] for p in payloads} == {accepted["job_id"]}
    for p in payloads:
        assert set(p) >= {"job_id", "status", "progress", "message", "timestamp"}
    stages = [p["progress"] for p in payloads if p["status"] == "processing"]
    assert len(stages) == len(set(stages)) >= 5  # one post per stage, not more
    assert payloads[-1]["status"] == "completed" and payloads[-1]["progress"] == 100


def test_an_unmeshable_image_fails_with_a_seed_004_error(client: TestClient) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (16, 16), (0, 0, 0, 0)).save(buffer, format="PNG")
    accepted = submit_upload(client, buffer.getvalue())
    status = poll(client, accepted["job_id"])
    assert status["status"] == "failed" and status["error"]["code"] == "NO_OPAQUE_PIXELS"
    assert set(status["error"]) == {"code", "message", "details"}
    result = client.get(f"/api/v1/mesh/{accepted['job_id']}/result", headers=AUTH)
    assert result.status_code == 409 and result.json()["error"]["code"] == "JOB_NOT_READY"
