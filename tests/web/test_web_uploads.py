"""Uploads are sniffed by their bytes, limited in size, stored under id-based keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from spinelift.io.psd import write_sample_psd
from spinelift.storage.db import Database
from spinelift.storage.models import Job, Upload
from spinelift.web.settings import WebSettings
from tests.web.support_web import make_client, sign_up_and_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _project(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"])


def test_psd_upload_is_stored_and_queued(
    client: TestClient, web_db: Database, tmp_path: Path
) -> None:
    headers = sign_up_and_in(client)
    pid = _project(client, headers)
    psd = write_sample_psd(tmp_path / "sample.psd").read_bytes()
    name = "../../evil name.psd"
    response = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": (name, psd, "text/plain")},  # the content type is ignored too
        headers=headers,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    with web_db.session(readonly=True) as session:
        upload = session.get(Upload, body["upload_id"])
        assert upload is not None
        assert upload.filename == name and upload.content_type == "image/vnd.adobe.photoshop"
        assert (
            upload.blob_key.startswith(f"projects/{pid}/uploads/") and ".." not in upload.blob_key
        )
        job = session.scalars(select(Job).where(Job.job_id == body["job_id"])).one()
        assert job.kind == "process_psd" and job.status == "queued"
        key = upload.blob_key
    stored = client.app.state.runtime.blobs.get(key)  # type: ignore[attr-defined]
    assert stored == psd


def test_png_named_psd_is_accepted_as_png(client: TestClient, web_db: Database) -> None:
    headers = sign_up_and_in(client)
    pid = _project(client, headers)
    response = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": ("art.psd", PNG, "image/vnd.adobe.photoshop")},
        headers=headers,
    )
    assert response.status_code == 202
    with web_db.session(readonly=True) as session:
        upload = session.get(Upload, response.json()["upload_id"])
        assert upload is not None and upload.content_type == "image/png"
        assert upload.blob_key.endswith(".png")


def test_text_file_is_422_with_what_was_found(client: TestClient) -> None:
    headers = sign_up_and_in(client)
    pid = _project(client, headers)
    response = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": ("art.psd", b"hello, I am not a PSD", "image/vnd.adobe.photoshop")},
        headers=headers,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "UNSUPPORTED_DOCUMENT"
    assert "hello" in error["details"]["found"]
    empty = client.post(
        f"/api/v1/projects/{pid}/uploads",
        files={"file": ("a.png", b"", "image/png")},
        headers=headers,
    )
    assert empty.status_code == 422 and empty.json()["error"]["details"]["found"] == "empty file"


def test_upload_over_the_limit_is_413(
    web_db: Database, settings_for: Callable[..., WebSettings]
) -> None:
    with make_client(settings_for(max_upload_size=1000), web_db) as client:
        headers = sign_up_and_in(client)
        pid = _project(client, headers)
        response = client.post(
            f"/api/v1/projects/{pid}/uploads",
            files={"file": ("big.png", PNG + b"\x00" * 5000, "image/png")},
            headers=headers,
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"
        # a file just under the limit (the body's framing is allowed on top) is fine
        ok = client.post(
            f"/api/v1/projects/{pid}/uploads",
            files={"file": ("small.png", PNG + b"\x00" * 800, "image/png")},
            headers=headers,
        )
        assert ok.status_code == 202
        huge = client.post(
            f"/api/v1/projects/{pid}/uploads",
            files={"file": ("huge.png", PNG + b"\x00" * 3_000_000, "image/png")},
            headers=headers,
        )
        assert huge.status_code == 413  # refused by the body limit before parsing
