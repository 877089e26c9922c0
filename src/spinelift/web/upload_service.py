"""Uploads: sniff the bytes (never trust the name or the content type), stream them to
an id-based blob key in chunks (bounded memory; over ``SPINELIFT_MAX_UPLOAD_SIZE`` is
413), record the upload, queue the ProcessPsd job. Nothing is decoded here: reading the
document (and the document budget) is the worker's (:mod:`spinelift.jobs.projects.upload`).

Whole or absent, whenever the process stops: the web server hands the route a file
only once its whole body has arrived; the blob store writes atomically (a reader never
sees part of a blob); the upload row and its job row are committed together, after the
blob is stored. A stop between the blob and the rows leaves a blob no row refers to:
never served, and deleted by the Cleanup job once an hour old (its key starts with the
time it was stored). A stop after the commit leaves a queued job whose message may not
have been sent: the workers' recovery pass sends it.

Accepted: Photoshop documents (``8BPS`` + version 1 = PSD, 2 = PSB) and PNG images (the
PNG signature). A PNG named ``.psd`` is accepted as the PNG it is: what the bytes are
decides, not the name.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from spinelift.errors import InvalidParametersError, RequestTooLargeError, UnsupportedDocumentError
from spinelift.io.psd.limits import (
    DEFAULT_MAX_CANVAS,
    DEFAULT_MAX_PIXELS,
    check_header,
    read_header,
)
from spinelift.jobs.projects.enqueue import create_process_psd
from spinelift.jobs.projects.messages import send_job
from spinelift.storage.blob_keys import upload_key
from spinelift.storage.models import JobKind
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web.project_service import require_project
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import Accepted

MAX_PNG_FILES = 200
"""most PNG files one layered upload may hold"""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHUNK = 1024 * 1024
HEAD = 32
"""bytes read to tell what a file is (and, for a PSD, its 26-byte header)"""


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    extension: str
    content_type: str


PSD = Kind("psd", "psd", "image/vnd.adobe.photoshop")
PSB = Kind("psb", "psb", "image/vnd.adobe.photoshop")
PNG = Kind("png", "png", "image/png")


def sniff(head: bytes) -> Kind:
    """What the first bytes say the file is; :class:`UnsupportedDocumentError` (422)
    with what was found otherwise."""
    if head.startswith(b"8BPS") and len(head) >= 6:
        version = int.from_bytes(head[4:6], "big")
        if version in (1, 2):
            return PSD if version == 1 else PSB
        raise UnsupportedDocumentError(
            f"Photoshop document version {version} is not supported (1 = PSD, 2 = PSB)",
            details={"found": f"8BPS version {version}"},
        )
    if head.startswith(PNG_SIGNATURE):
        return PNG
    raise UnsupportedDocumentError(
        "not a PSD, PSB or PNG file (the content decides, not the name)",
        details={"found": describe(head), "accepted": ["psd", "psb", "png"]},
    )


def describe(head: bytes) -> str:
    """A short, safe description of unknown leading bytes."""
    if not head:
        return "empty file"
    sample = head[:16]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and text.isprintable():
        return f"text starting {text!r}"
    return f"bytes {sample.hex(' ')}"


class _Metered:
    """A reader over ``head`` then ``stream`` that counts and hashes what passes and
    raises :class:`RequestTooLargeError` (413) past ``limit`` bytes."""

    def __init__(self, head: bytes, stream: BinaryIO, limit: int) -> None:
        self.head, self.stream, self.limit = head, stream, limit
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        if self.head:
            chunk, self.head = self.head, b""
        else:
            chunk = self.stream.read(CHUNK if size is None or size < 0 else min(size, CHUNK))
        self.size += len(chunk)
        if self.size > self.limit:
            raise RequestTooLargeError(
                f"the file is larger than {self.limit} bytes",
                details={"max_upload_size": self.limit},
            )
        self.sha256.update(chunk)
        return chunk


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file in the blob store, not yet recorded."""

    key: str
    kind: Kind
    filename: str
    size: int
    sha256: str


def store_file(
    runtime: WebRuntime,
    project_id: int,
    stream: BinaryIO,
    filename: str,
    limit: int,
    *,
    only: Kind | None = None,
) -> StoredFile:
    """Sniff ``stream`` (its first bytes; a PSD's header is checked against the canvas
    limits, nothing is decoded) and copy it to the blob store in chunks: memory stays
    bounded whatever its size. Past ``limit`` bytes: 413, nothing stored. ``only``: the
    one kind accepted (else 422)."""
    head = stream.read(HEAD)
    kind = sniff(head)
    if only is not None and kind != only:
        raise InvalidParametersError(
            f"{filename!r} is not a {only.name.upper()} file",
            details={"fields": {"files": f"{only.name.upper()} files only"}},
        )
    if kind in (PSD, PSB):
        header = read_header(io.BytesIO(head), filename)
        check_header(header, filename, DEFAULT_MAX_CANVAS, DEFAULT_MAX_PIXELS)
    key = upload_key(project_id, kind.extension)
    metered = _Metered(head, stream, limit)
    runtime.blobs.put_stream(key, metered)  # atomic: whole or absent
    return StoredFile(key, kind, filename[:255], metered.size, metered.sha256.hexdigest())


def upload(
    runtime: WebRuntime,
    owner_id: int,
    project_id: int,
    stream: BinaryIO,
    filename: str,
    request_id: str,
) -> Accepted:
    """One PSD, PSB or PNG file: stored, recorded, its ProcessPsd job queued."""
    with runtime.db.session(readonly=True) as session:
        require_project(UnitOfWork(session, Actor.user(owner_id)), owner_id, project_id)
    stored = store_file(runtime, project_id, stream, filename, runtime.settings.max_upload_size)
    return record(runtime, owner_id, project_id, [stored], request_id)


def record(
    runtime: WebRuntime,
    owner_id: int,
    project_id: int,
    files: list[StoredFile],
    request_id: str,
) -> Accepted:
    """Record stored files as one upload (one row each, in order) and queue the
    ProcessPsd job that reads them as one document; the answer names that job (it
    completes when the whole run does: the export is stored)."""
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        require_project(uow, owner_id, project_id)  # still there (and still ours)
        rows = [
            uow.uploads.create(
                project_id,
                blob_key=stored.key,
                filename=stored.filename,
                content_type=stored.kind.content_type,
                size_bytes=stored.size,
                sha256=stored.sha256,
            )
            for stored in files
        ]
        upload_id = rows[0].id
        job_id = create_process_psd(
            uow,
            owner_id=owner_id,
            project_id=project_id,
            upload_id=upload_id,
            upload_ids=[row.id for row in rows] if len(rows) > 1 else None,
            request_id=request_id,
        )
    send_job(runtime.jobs, job_id, JobKind.PROCESS_PSD.value, request_id=request_id)
    return Accepted(job_id=job_id, upload_id=upload_id)


def upload_pngs(
    runtime: WebRuntime,
    owner_id: int,
    project_id: int,
    files: Sequence[tuple[str, BinaryIO]],
    request_id: str,
) -> Accepted:
    """Several PNGs as one layered upload: each streamed to the blob store (their sizes
    together at most ``SPINELIFT_MAX_UPLOAD_SIZE``), recorded as one upload, read by the
    worker as one document exactly as ``spinelift convert`` reads a folder of PNGs (one
    layer per file in file-name order; :mod:`spinelift.jobs.projects.upload`)."""
    if not files:
        raise InvalidParametersError("no PNG file", details={"fields": {"files": "required"}})
    if len(files) > MAX_PNG_FILES:
        raise InvalidParametersError(
            f"at most {MAX_PNG_FILES} PNG files per upload",
            details={"fields": {"files": f"{len(files)} files"}},
        )
    with runtime.db.session(readonly=True) as session:
        require_project(UnitOfWork(session, Actor.user(owner_id)), owner_id, project_id)
    left = runtime.settings.max_upload_size
    stored: list[StoredFile] = []
    try:
        for name, stream in files:
            one = store_file(runtime, project_id, stream, name, left, only=PNG)
            stored.append(one)
            left -= one.size
    except BaseException:
        for one in stored:  # nothing of a refused upload is kept
            runtime.blobs.delete(one.key)
        raise
    return record(runtime, owner_id, project_id, stored, request_id)
