"""The job actor's policy, on Dramatiq's StubBroker (real Redis for the job store).

Success records progress and a cached result; an engine error is final (one
attempt); a crash is retried with backoff and then final as INTERNAL_ERROR; a job
past its time limit is failed as JOB_TIMEOUT; callbacks get one post per stage.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from spinelift.config import ServiceSettings
from spinelift.core.pipeline import build_mesh
from spinelift.errors import EmptyImageError
from spinelift.jobs.broker import add_middleware
from spinelift.jobs.mesh.actors import declare_actor
from spinelift.jobs.mesh.context import JobContext, set_context
from spinelift.storage.blob_keys import mesh_upload_key
from spinelift.storage.blobs import LocalBlobStore
from spinelift.storage.job_status import JobStatus
from spinelift.storage.job_store import JobRecord, JobStore
from tests.service.support_service import (
    cleanup,
    make_settings,
    new_prefix,
    png_bytes,
    require_redis,
)


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, url: str, payload: dict[str, Any]) -> None:
        self.sent.append((url, payload))


class Harness:
    def __init__(self, settings: ServiceSettings, store: JobStore, ctx: JobContext) -> None:
        self.settings, self.store, self.ctx = settings, store, ctx
        self.broker = StubBroker()
        add_middleware(self.broker, settings)
        self.actor = declare_actor(self.broker, settings)
        self.broker.emit_after("process_boot")  # starts the time-limit watcher, as the CLI does

    def run(self, record: JobRecord, *, timeout: float = 20) -> JobRecord:
        self.store.create(record)
        self.actor.send_with_options(args=(record.job_id,), request_id="req-1")
        worker = dramatiq.Worker(self.broker, worker_threads=1, worker_timeout=50)
        worker.start()
        try:
            self.broker.join(self.settings.queue_name, fail_fast=False, timeout=int(timeout * 1000))
            worker.join()
        finally:
            worker.stop()
        return self.store.get(record.job_id)

    def record(self, job_id: str, **changes: Any) -> JobRecord:
        data = png_bytes()
        self.ctx.blobs.put(mesh_upload_key("abc"), data)
        values: dict[str, Any] = {
            "job_id": job_id,
            "input_key": mesh_upload_key("abc"),
            "callback_url": "https://receiver.example/cb",
            "created_at": time.time(),
        }
        values.update(changes)
        return JobRecord(**values)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    client = require_redis()
    prefix = new_prefix()
    settings = make_settings(prefix, tmp_path, job_retries=1, job_timeout=0.5)
    store = JobStore(client, prefix=prefix, ttl=600)
    ctx = JobContext(settings, store, LocalBlobStore(tmp_path / "blobs"), RecordingNotifier())
    set_context(ctx)
    try:
        yield Harness(settings, store, ctx)
    finally:
        set_context(None)
        cleanup(client, prefix)


def notifier(h: Harness) -> RecordingNotifier:
    assert isinstance(h.ctx.notifier, RecordingNotifier)
    return h.ctx.notifier


def test_a_job_completes_with_its_result_cached_and_one_callback_per_stage(h: Harness) -> None:
    done = h.run(h.record("ok"))
    assert done.status is JobStatus.COMPLETED and done.progress == 100 and done.attempts == 1
    attachment = json.loads(h.ctx.blobs.get(done.result_key))
    assert attachment["type"] == "mesh" and attachment["hull"] >= 3
    posts = [p for _, p in notifier(h).sent]
    percents = [p["progress"] for p in posts if p["status"] == "processing"]
    assert percents == sorted(set(percents)) and 70 in percents  # once per stage, in order
    assert posts[-1]["status"] == "completed" and posts[-1]["request_id"] == "req-1"
    assert set(posts[0]) >= {"job_id", "status", "progress", "message", "timestamp"}
    again = h.run(h.record("ok-again"))  # same pixels and settings: no second mesh run
    assert again.cached and again.result_key == done.result_key
    assert h.store.stats()["mesh_runs"] == 1


def test_an_engine_error_is_final_and_not_retried(h: Harness) -> None:
    def empty(*args: Any, **kwargs: Any) -> Any:
        raise EmptyImageError("nothing above the alpha threshold")

    h.ctx.builder = empty
    failed = h.run(h.record("empty"))
    assert failed.status is JobStatus.FAILED and failed.attempts == 1
    assert failed.error is not None and failed.error["code"] == "NO_OPAQUE_PIXELS"
    assert notifier(h).sent[-1][1]["status"] == "failed"


def test_a_crash_is_retried_then_succeeds(h: Harness) -> None:
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("worker hiccup")
        return build_mesh(*args, **kwargs)

    h.ctx.builder = flaky
    done = h.run(h.record("flaky"))
    assert done.status is JobStatus.COMPLETED and done.attempts == 2 and len(calls) == 2


def test_a_crash_on_every_attempt_fails_as_internal_error(h: Harness) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("always broken")

    h.ctx.builder = broken
    failed = h.run(h.record("broken"))
    assert failed.status is JobStatus.FAILED and failed.attempts == 2  # 1 + job_retries
    assert failed.error is not None and failed.error["code"] == "INTERNAL_ERROR"


def test_a_job_past_its_time_limit_fails_as_job_timeout(h: Harness) -> None:
    def slow(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # Python bytecode: the time limit can interrupt
            time.sleep(0.01)
        raise AssertionError("not interrupted")

    h.ctx.builder = slow
    failed = h.run(h.record("slow"))
    assert failed.status is JobStatus.FAILED and failed.attempts == 1
    assert failed.error is not None and failed.error["code"] == "JOB_TIMEOUT"


def test_a_redelivered_message_of_a_finished_job_does_nothing(h: Harness) -> None:
    record = h.record("finished", status=JobStatus.COMPLETED, result_key="results/x.json")
    assert h.run(record).attempts == 0
    assert notifier(h).sent == []


# the fixture is named for readability in the tests above
h = harness
