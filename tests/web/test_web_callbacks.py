"""``POST /api/v1/mesh/progress``: the mesh service's signed progress callbacks are
checked, then relayed to the project's live events and the job's progress; anything
unsigned, stale, malformed or for an attempt that is not current changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spinelift.net.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from spinelift.storage.db import Database
from spinelift.storage.models import Job, JobKind
from spinelift.storage.repositories import Actor
from spinelift.web.settings import WebSettings
from tests.polling import wait_until
from tests.web.support_web import make_client

CALLBACK_SECRET = "callback-" + "c" * 40
URL = "/api/v1/mesh/progress"


def _signed(body: dict[str, Any], secret: str = CALLBACK_SECRET, age: int = 0) -> dict[str, Any]:
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    stamp = int(time.time()) - age
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(secret, stamp, raw),
        },
    }


@pytest.fixture
def running_job(web_db: Database) -> tuple[int, int, str]:
    """(project id, layer id, job id) of a GenerateMesh job on its first attempt."""
    with web_db.unit(Actor.system()) as uow:
        user = uow.users.create("cb@example.com", "x" * 20)
        project = uow.projects.create(user.id, "Hero")
        (layer,) = uow.layers.bulk_create(project.id, [{"name": "arm"}])
        job, _ = uow.jobs.create(
            "job-cb-1",
            JobKind.GENERATE_MESH,
            user_id=user.id,
            project_id=project.id,
            layer_id=layer.id,
        )
        uow.jobs.claim(job.job_id, message="Meshing")
        return project.id, layer.id, job.job_id


@pytest.fixture
def client(web_db: Database, settings_for: Callable[..., WebSettings]) -> Iterator[TestClient]:
    with make_client(settings_for(callback_secret=CALLBACK_SECRET), web_db) as test_client:
        yield test_client


def _payload(remote_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "job_id": remote_id,
        "status": "processing",
        "progress": 40,
        "message": "Triangulating",
        "timestamp": "2026-11-23T10:00:00Z",
        **changes,
    }


def test_a_signed_callback_is_relayed_to_the_events_and_the_job(
    client: TestClient, web_db: Database, running_job: tuple[int, int, str]
) -> None:
    project_id, layer_id, job_id = running_job
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    pubsub = runtime.redis.pubsub()
    pubsub.subscribe(runtime.events.channel(project_id))
    try:
        response = client.post(URL, **_signed(_payload(f"{job_id}.1")))
        assert response.status_code == 200, response.text
        assert response.json() == {"relayed": True}

        def layer_event() -> dict[str, Any] | None:
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            return json.loads(message["data"]) if message else None

        event = wait_until(layer_event, timeout=30)
    finally:
        pubsub.close()
    assert isinstance(event.pop("ts"), float)  # the bus stamps every event
    assert event == {
        "type": "layer",
        "project_id": project_id,
        "layer_id": layer_id,
        "status": "processing",
        "progress": 40,
        "message": "Triangulating",
    }
    with web_db.session(readonly=True) as session:
        job = session.query(Job).filter(Job.job_id == job_id).one()
        assert (job.progress, job.message) == (40, "Triangulating")


@pytest.mark.parametrize(
    "changes",
    [
        {"job_id": "job-cb-1.2"},  # a later attempt than the job's: not current
        {"job_id": "job-cb-1"},  # not one of our remote ids
        {"job_id": "job-other.1"},
        {"status": "completed", "progress": 100},  # the long poll owns the result
        {"progress": "lots"},
    ],
)
def test_callbacks_that_are_not_for_the_current_attempt_change_nothing(
    client: TestClient,
    web_db: Database,
    running_job: tuple[int, int, str],
    changes: dict[str, Any],
) -> None:
    _, _, job_id = running_job
    response = client.post(URL, **_signed(_payload(f"{job_id}.1", **changes)))
    assert response.status_code == 200 and response.json() == {"relayed": False}
    with web_db.session(readonly=True) as session:
        job = session.query(Job).filter(Job.job_id == job_id).one()
        assert (job.progress, job.message) == (0, "Meshing")


def test_unsigned_stale_or_forged_callbacks_are_refused(
    client: TestClient, running_job: tuple[int, int, str]
) -> None:
    _, _, job_id = running_job
    body = _payload(f"{job_id}.1")
    good = _signed(body)
    cases = {
        "unsigned": {"content": good["content"]},
        "other key": _signed(body, secret="another-secret-" + "z" * 30),
        "stale": _signed(body, age=3600),
        "body changed": {**good, "content": good["content"].replace(b"40", b"41")},
    }
    for name, request in cases.items():
        response = client.post(URL, **request)
        assert response.status_code == 401, name
        assert response.json()["error"]["code"] == "UNAUTHORIZED", name


def test_callbacks_are_refused_when_no_secret_is_configured(
    web_db: Database, settings_for: Callable[..., WebSettings], running_job: tuple[int, int, str]
) -> None:
    with make_client(settings_for(), web_db) as client:
        response = client.post(URL, **_signed(_payload(f"{running_job[2]}.1")))
    assert response.status_code == 401
    assert "SPINELIFT_CALLBACK_SECRET" in response.json()["error"]["message"]


def test_a_signed_body_that_is_not_a_json_object_is_a_400(client: TestClient) -> None:
    stamp = int(time.time())
    for raw in (b"[1, 2]", b"not json", b"[" * 50_000):  # the last: nested too deep
        response = client.post(
            URL,
            content=raw,
            headers={
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(CALLBACK_SECRET, stamp, raw),
            },
        )
        assert 400 <= response.status_code < 500
        assert response.json()["error"]["code"] == "INVALID_PARAMETERS"
