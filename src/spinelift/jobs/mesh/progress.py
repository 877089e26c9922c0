"""A job's progress: into the job store at every stage, to the callback once per stage."""

from __future__ import annotations

import time
from typing import Any

from spinelift.jobs.mesh.notify import Notifier, payload
from spinelift.logs import request_id_var
from spinelift.storage.job_status import JobStatus
from spinelift.storage.job_store import JobRecord, JobStore


class ProgressReporter:
    """Called as ``reporter(percent, message)`` by ``build_mesh`` (seed 004's steps).

    The store always gets the latest stage; the callback gets one post per stage
    (a repeated percentage is not posted again), plus the final status.
    """

    def __init__(self, record: JobRecord, store: JobStore, notifier: Notifier) -> None:
        self.record = record
        self.store = store
        self.notifier = notifier
        self._posted: set[int] = set()

    def __call__(self, percent: int, message: str) -> None:
        self.store.update(self.record.job_id, progress=percent, message=message)
        if percent not in self._posted:
            self._posted.add(percent)
            self._notify(JobStatus.PROCESSING, percent, message)

    def started(self, attempts: int) -> None:
        self.store.update(
            self.record.job_id,
            status=JobStatus.PROCESSING,
            attempts=attempts,
            started_at=time.time(),
            message="Started",
            progress=0,
        )

    def completed(self, result_key: str, *, cached: bool, image_sha256: str) -> None:
        message = "Mesh generation complete" if self.record.kind == "mesh" else "Layers extracted"
        self.store.update(
            self.record.job_id,
            status=JobStatus.COMPLETED,
            progress=100,
            message=message,
            result_key=result_key,
            cached=cached,
            image_sha256=image_sha256,
            error=None,
            finished_at=time.time(),
        )
        self._notify(JobStatus.COMPLETED, 100, message, result_path=self._result_path())

    def failed(self, error: dict[str, Any]) -> None:
        self.store.update(
            self.record.job_id,
            status=JobStatus.FAILED,
            message=error["message"],
            error=error,
            finished_at=time.time(),
        )
        current = self.store.get(self.record.job_id).progress
        self._notify(JobStatus.FAILED, current, error["message"], error=error)

    def retrying(self, error: dict[str, Any]) -> None:
        self.store.update(
            self.record.job_id, status=JobStatus.QUEUED, message="Retrying", error=error
        )

    def _result_path(self) -> str:
        return f"/api/v1/mesh/{self.record.job_id}/result"

    def _notify(self, status: JobStatus, percent: int, message: str, **extra: Any) -> None:
        if not self.record.callback_url:
            return
        request_id = self.record.request_id or request_id_var.get()
        if request_id:
            extra["request_id"] = request_id
        body = payload(self.record.job_id, status.value, percent, message, **extra)
        self.notifier.send(self.record.callback_url, body)
