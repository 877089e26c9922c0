"""Job ids are checked at the door (one safe alphabet, 422 stating the rule), absolute
URLs come from the configured service URL (never the Host header), and a PSD is never
decoded in the API process: even a synchronous extract_layers runs in a worker, under
the document budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinelift.errors import DocumentTooLargeError
from spinelift.io.psd import write_sample_psd
from spinelift.jobs.mesh.context import job_store
from spinelift.jobs.mesh.layers_task import extract_layers
from spinelift.jobs.mesh.submission import JOB_ID_RULE
from spinelift.service import create_app
from tests.service.conftest import Stack
from tests.service.support_service import AUTH, png_bytes

BAD_IDS = ["probe:colon", "../etc", "a/b", "-leading-dash", "x" * 129, "sp ace", "é"]


@pytest.mark.parametrize("job_id", BAD_IDS)
def test_a_job_id_outside_the_alphabet_is_422_with_the_rule(
    client: TestClient, job_id: str, tmp_path: Path
) -> None:
    psd = write_sample_psd(tmp_path / "a.psd", scale=0.25).read_bytes()
    answers = [
        client.post(
            "/api/v1/mesh/generate",
            files={"image": ("a.png", png_bytes(seed=3), "image/png")},
            data={"job_id": job_id},
            headers=AUTH,
        ),
        client.post(
            "/api/extract_layers",
            files={"psd_file": ("a.psd", psd)},
            data={"job_id": job_id},
            headers=AUTH,
        ),
    ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "INVALID_PARAMETERS"
        assert error["message"] == JOB_ID_RULE


@pytest.mark.parametrize("job_id", ["probe:colon", "sp ace", "-x"])
def test_reading_a_job_by_a_bad_id_is_422(client: TestClient, job_id: str) -> None:
    for route in ("status", "result"):
        answer = client.get(f"/api/v1/mesh/{job_id}/{route}", headers=AUTH)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["message"] == JOB_ID_RULE


def test_status_urls_come_from_the_configured_url_not_the_host_header(stack: Stack) -> None:
    settings = stack.app_settings(service_url="https://mesh.example.org/")
    with TestClient(create_app(settings)) as client:
        accepted = client.post(
            "/api/v1/mesh/generate",
            files={"image": ("a.png", png_bytes(seed=5), "image/png")},
            headers={**AUTH, "Host": "attacker.example"},
        )
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    assert accepted.json()["status_url"] == (
        f"https://mesh.example.org/api/v1/mesh/{job_id}/status"
    )
    unset = stack.app_settings(service_url=None, host="127.0.0.1", port=8123)
    with TestClient(create_app(unset)) as client:
        status = client.get(
            f"/api/v1/mesh/{job_id}/status", headers={**AUTH, "Host": "attacker.example"}
        )
    assert "attacker" not in status.text


def test_a_synchronous_extraction_runs_in_a_worker_under_the_budget(
    stack: Stack, tmp_path: Path
) -> None:
    psd = write_sample_psd(tmp_path / "hero.psd", scale=0.5).read_bytes()
    store = job_store(stack.settings)

    def extract_jobs() -> dict[str, str]:
        found = {}
        for key in stack.redis.scan_iter(f"{stack.settings.key_prefix}:job:*"):
            record = store.get(key.decode().rsplit(":", 1)[1])
            if record.kind == "extract_layers":
                found[record.job_id] = record.status.value
        return found

    before = extract_jobs()
    with TestClient(create_app(stack.app_settings())) as client:
        answer = client.post(
            "/api/extract_layers", files={"psd_file": ("h.psd", psd)}, headers=AUTH
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["layers"]
    new = {k: v for k, v in extract_jobs().items() if k not in before}
    assert list(new.values()) == ["completed"]  # a worker did it, as a job
    with pytest.raises(DocumentTooLargeError) as refused:  # what the worker runs
        extract_layers(psd, stack.app_settings(max_document_layers=2), "h.psd")
    assert "max_document_layers" in refused.value.message
