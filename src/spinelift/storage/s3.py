"""S3-compatible blob store (AWS S3, MinIO, Ceph, R2, ...) over boto3.

Same contract as :class:`~spinelift.storage.blobs.LocalBlobStore`: keys are validated
by :func:`~spinelift.storage.blobs.validate_key`, and a blob is whole or absent (S3
makes an object visible only once a single PUT, or a multipart upload, completes;
bigger values go multipart). All keys live under an optional ``prefix`` in the
bucket, so several deployments can share one bucket.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from spinelift.storage.blobs import Readable, validate_key, validate_prefix

MULTIPART_THRESHOLD = 64 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore:
    """Blobs as objects ``<prefix><key>`` in ``bucket``."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        client: Any | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
    ) -> None:
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket = bucket
        self.prefix = validate_prefix(prefix)
        self.client: Any = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region_name,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )
        self._transfer = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD)

    def put(self, key: str, data: bytes) -> None:
        name = self._name(key)
        if len(data) < MULTIPART_THRESHOLD:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        else:
            self.client.upload_fileobj(io.BytesIO(data), self.bucket, name, Config=self._transfer)

    def put_stream(self, key: str, stream: Readable) -> None:
        # multipart past the threshold; boto3 aborts the upload if ``stream`` raises
        self.client.upload_fileobj(stream, self.bucket, self._name(key), Config=self._transfer)

    def open(self, key: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                raise KeyError(key) from None
            raise
        return cast(BinaryIO, response["Body"])

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                raise KeyError(key) from None
            raise
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def list_keys(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            keys.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", ()))
        return sorted(keys)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (development and tests)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _error_code(exc) not in _MISSING | {"NoSuchBucket"}:
                raise
            self.client.create_bucket(Bucket=self.bucket)

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
