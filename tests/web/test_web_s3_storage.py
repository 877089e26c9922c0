"""``SPINELIFT_STORAGE_BACKEND=s3``: every process builds its blob store from the same
settings, so an upload to the web app lands in the bucket where workers will read it
(a real S3-compatible server: moto's standalone server)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from spinelift.config import ServiceSettings
from spinelift.io.image import encode_png
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.db import Database
from spinelift.storage.models import Upload
from spinelift.storage.s3 import S3BlobStore
from spinelift.web.settings import WebSettings
from tests.storage.conftest import s3_endpoint  # noqa: F401
from tests.web.support_web import make_client, sign_up_and_in


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3's usual credential chain, as a deployment would set it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_the_default_is_local_files_in_the_data_dir(tmp_path: Path) -> None:
    store = blob_store_for(ServiceSettings(data_dir=tmp_path))
    assert isinstance(store, LocalBlobStore)
    store.put("uploads/a.png", b"x")
    assert (tmp_path / "blobs" / "uploads" / "a.png").read_bytes() == b"x"


def test_s3_without_a_bucket_is_refused_at_start_with_the_variable_to_set() -> None:
    with pytest.raises(ValidationError, match="SPINELIFT_S3_BUCKET"):
        WebSettings(storage_backend="s3")


def test_workers_and_the_web_app_share_the_bucket(
    s3_endpoint: str,  # noqa: F811
    s3_env: None,
    web_db: Database,
    settings_for: Callable[..., WebSettings],
) -> None:
    bucket = f"spinelift-{secrets.token_hex(4)}"
    s3 = {
        "storage_backend": "s3",
        "s3_bucket": bucket,
        "s3_prefix": "deploy-a",
        "s3_endpoint_url": s3_endpoint,
    }
    worker_store = blob_store_for(ServiceSettings(**s3))
    assert isinstance(worker_store, S3BlobStore)
    worker_store.ensure_bucket()
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[4:12, 4:12] = 255
    png = encode_png(rgba)
    with make_client(settings_for(**s3), web_db) as client:
        headers = sign_up_and_in(client)
        pid = client.post("/api/v1/projects", json={"name": "p"}, headers=headers).json()["id"]
        response = client.post(
            f"/api/v1/projects/{pid}/uploads",
            files={"file": ("art.png", png, "image/png")},
            headers=headers,
        )
        assert response.status_code == 202, response.text
        health = client.get("/health").json()
    with web_db.session(readonly=True) as session:
        key = session.scalars(select(Upload.blob_key).where(Upload.project_id == pid)).one()
    assert worker_store.get(key) == png  # what a worker on another machine reads
    listed = worker_store.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert f"deploy-a/{key}" in {item["Key"] for item in listed}  # under the prefix
    assert all(item["Key"].startswith("deploy-a/") for item in listed)
    assert health["dependencies"]["storage"] == "healthy", health
