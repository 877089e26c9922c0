"""Uploads: sniff the bytes (never trust the name or the content type), store them under
an id-based blob key, record the upload, queue the ProcessPsd job.

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
import time
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from spinelift.errors import RequestTooLargeError, UnsupportedDocumentError
from spinelift.jobs.project_jobs import create_process_psd, send_job
from spinelift.storage.models import JobKind
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web.project_service import require_project
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import Accepted

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHUNK = 1024 * 1024


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


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """All of ``stream``, or :class:`RequestTooLargeError` (413) past ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise RequestTooLargeError(
                f"the file is larger than {limit} bytes", details={"max_upload_size": limit}
            )
        parts.append(chunk)
    return b"".join(parts)


def upload(
    runtime: WebRuntime,
    owner_id: int,
    project_id: int,
    stream: BinaryIO,
    filename: str,
    request_id: str,
) -> Accepted:
    with runtime.db.session(readonly=True) as session:
        require_project(UnitOfWork(session, Actor.user(owner_id)), owner_id, project_id)
    data = read_limited(stream, runtime.settings.max_upload_size)
    kind = sniff(data[:32])
    key = upload_key(project_id, kind)
    runtime.blobs.put(key, data)  # atomic: whole or absent
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        require_project(uow, owner_id, project_id)  # still there (and still ours)
        row = uow.uploads.create(
            project_id,
            blob_key=key,
            filename=filename[:255],
            content_type=kind.content_type,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        upload_id = row.id
        job_id = create_process_psd(
            uow,
            owner_id=owner_id,
            project_id=project_id,
            upload_id=upload_id,
            request_id=request_id,
        )
    send_job(runtime.jobs, job_id, JobKind.PROCESS_PSD.value, request_id=request_id)
    return Accepted(job_id=job_id, upload_id=upload_id)


def upload_key(project_id: int, kind: Kind) -> str:
    """``projects/<id>/uploads/<unix time>-<random hex>.<ext>``: ids and time only (the
    time lets Cleanup tell an upload being recorded from one that never will be)."""
    return f"projects/{project_id}/uploads/{int(time.time())}-{uuid.uuid4().hex}.{kind.extension}"
