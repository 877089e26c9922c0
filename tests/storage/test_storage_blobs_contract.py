"""One blob-store contract, run against the local directory store and against S3
(a real S3-compatible HTTP server: moto's standalone server)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from spinelift.storage import s3 as s3_module
from spinelift.storage.blobs import BlobStore, LocalBlobStore
from spinelift.storage.s3 import S3BlobStore


def s3_client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def make_s3_store(endpoint: str, prefix: str = "") -> S3BlobStore:
    store = S3BlobStore(f"b-{secrets.token_hex(4)}", prefix=prefix, client=s3_client(endpoint))
    store.ensure_bucket()
    return store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
    else:
        yield make_s3_store(request.getfixturevalue("s3_endpoint"), prefix="spinelift")


def test_put_then_get_exists_and_overwrite(store: BlobStore) -> None:
    assert not store.exists("projects/1/uploads/1.psd")
    store.put("projects/1/uploads/1.psd", b"first")
    assert store.exists("projects/1/uploads/1.psd")
    assert store.get("projects/1/uploads/1.psd") == b"first"
    store.put("projects/1/uploads/1.psd", b"second")
    assert store.get("projects/1/uploads/1.psd") == b"second"
    store.put("empty.bin", b"")
    assert store.get("empty.bin") == b""


def test_missing_keys_raise_key_error_and_delete_is_idempotent(store: BlobStore) -> None:
    with pytest.raises(KeyError):
        store.get("nothing/here.png")
    store.put("a/b.png", b"x")
    store.delete("a/b.png")
    store.delete("a/b.png")
    assert not store.exists("a/b.png")
    with pytest.raises(KeyError):
        store.get("a/b.png")


def test_list_keys_by_prefix(store: BlobStore) -> None:
    for key in ("projects/1/a.png", "projects/1/layers/2.png", "projects/10/a.png", "x.json"):
        store.put(key, b"k")
    assert store.list_keys("projects/1/") == ["projects/1/a.png", "projects/1/layers/2.png"]
    assert store.list_keys("projects/1") == [
        "projects/1/a.png",
        "projects/1/layers/2.png",
        "projects/10/a.png",
    ]
    assert store.list_keys() == [
        "projects/1/a.png",
        "projects/1/layers/2.png",
        "projects/10/a.png",
        "x.json",
    ]
    assert store.list_keys("nope/") == []


@pytest.mark.parametrize(
    "key",
    ["", "../etc/passwd", "a/../b", "/abs/path", "a//b", ".hidden", "Layer 1.png", "a/b/", "é.png"],
)
def test_invalid_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        store.put(key, b"x")
    with pytest.raises(ValueError):
        store.get(key)
    with pytest.raises(ValueError):
        store.exists(key)


def test_a_value_is_whole_or_absent(store: BlobStore) -> None:
    data = secrets.token_bytes(256 * 1024)
    store.put("big/blob.bin", data)
    assert store.get("big/blob.bin") == data
    assert store.list_keys("big/") == ["big/blob.bin"]  # no temporary files show


def test_local_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("a/b.bin", b"1" * 1000)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.bin"]


def test_s3_prefixes_keep_stores_apart(s3_endpoint: str) -> None:
    one = make_s3_store(s3_endpoint, prefix="one")
    two = S3BlobStore(one.bucket, prefix="two/", client=one.client)
    one.put("k.bin", b"1")
    two.put("k.bin", b"2")
    assert (one.get("k.bin"), two.get("k.bin")) == (b"1", b"2")
    assert one.list_keys() == ["k.bin"]
    names = [o["Key"] for o in one.client.list_objects_v2(Bucket=one.bucket)["Contents"]]
    assert sorted(names) == ["one/k.bin", "two/k.bin"]


def test_s3_large_values_go_multipart(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from boto3.s3.transfer import TransferConfig

    monkeypatch.setattr(s3_module, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
    store = make_s3_store(s3_endpoint)
    store._transfer = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    data = secrets.token_bytes(11 * 1024 * 1024)
    store.put("big/psd.psd", data)
    assert store.get("big/psd.psd") == data
    head = store.client.head_object(Bucket=store.bucket, Key="big/psd.psd")
    assert "-" in head["ETag"]  # a multipart upload's ETag is "<md5>-<parts>"
