"""Delegated meshing with live progress: the real mesh service (app + a real worker
process) posts each stage's signed callback to the real web app, which checks the
signature and relays it; the project still completes from the long poll.

The mesh service reaches the web app on 127.0.0.1 only because that host is on its
``SPINELIFT_URL_ALLOW_HOSTS`` list: without it the SSRF guard refuses the callback URL.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from spinelift.config import MESH_PROGRESS_PATH
from spinelift.io.image import encode_png
from spinelift.jobs.projects.actors import configure
from spinelift.jobs.projects.enqueue import enqueue_process_psd
from spinelift.jobs.projects.events import project_snapshot
from spinelift.jobs.projects.mesh_client import MeshServiceClient
from spinelift.service import create_app as create_service
from spinelift.storage.db import Database
from spinelift.web.app import create_app as create_web
from spinelift.web.settings import WebSettings
from tests.jobs.project_support import Setup, project_setup_fixture  # noqa: F401
from tests.polling import wait_until
from tests.service.support_service import (
    REDIS_URL,
    SECRET,
    TOKEN,
    cleanup,
    make_settings,
    new_prefix,
    require_redis,
    start_workers,
    stop_workers,
)
from tests.storage.conftest import _migrated, database, postgres_databases  # noqa: F401

METRICS_TOKEN = "metrics-" + "t" * 40


class LiveServer:
    """An ASGI app under uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app: object) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def mesh_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mesh service allowing callbacks to 127.0.0.1 by name (no allow_private)."""
    client = require_redis()
    prefix = new_prefix()
    settings = make_settings(
        prefix, tmp_path_factory.mktemp("mesh-service"), url_allow_hosts="127.0.0.1"
    )
    workers = start_workers(settings, processes=1, threads=2)
    try:
        with LiveServer(create_service(settings)) as server:
            yield server.url
    finally:
        stop_workers(workers)
        cleanup(client, prefix)


def _web_settings(s: Setup, db: Database) -> WebSettings:
    return WebSettings(
        redis_url=REDIS_URL,
        key_prefix=s.prefix,
        data_dir=s.tmp / "web",
        database_url=db.url.render_as_string(hide_password=False),
        jwt_secret="jwt-" + "j" * 40,
        callback_secret=SECRET,  # the mesh service's signing key
        metrics_token=METRICS_TOKEN,
        log_level="WARNING",
    )


def _progress_answers(web_url: str) -> dict[str, float]:
    import httpx

    text = httpx.get(
        f"{web_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    ).text
    return {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "spinelift_http_requests_total"
        and sample.labels.get("route") == MESH_PROGRESS_PATH
    }


def test_delegated_jobs_send_signed_progress_that_the_web_app_accepts(
    project_setup: Setup, mesh_service: str
) -> None:
    s = project_setup
    web = create_web(_web_settings(s, s.db), db=s.db, blobs=s.deps.blobs, broker=s.broker)
    with LiveServer(web) as web_server:
        client = MeshServiceClient(
            mesh_service, TOKEN, callback_url=web_server.url + MESH_PROGRESS_PATH
        )
        configure(replace(s.deps, mesh_client=client))
        rgba = np.zeros((300, 400, 4), dtype=np.uint8)
        rgba[40:260, 30:370] = (200, 80, 40, 255)
        rgba[120:180, 150:250, 3] = 0  # a hole: more stages of work
        # a pixel of its own per run: the service's result cache would skip the stages
        rgba[0, np.random.default_rng().integers(0, 400)] = (9, 9, 9, 255)
        owner, project_id, upload_id = s.new_project(psd=encode_png(rgba), name="Remote")
        enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
        s.run_worker()
        snap = project_snapshot(s.db, owner, project_id)
        assert snap is not None and snap["project"]["status"] == "completed"
        assert [layer["status"] for layer in snap["layers"]] == ["completed"]

        # the service's callbacks (one per stage, sent in the background) reach the web
        # app and pass its signature check: answered 200, none refused
        def answers() -> dict[str, float] | None:
            seen = _progress_answers(web_server.url)
            return seen if seen.get("200", 0) >= 3 else None

        seen = wait_until(answers, timeout=20, every=0.2, what="3 accepted callbacks")
        assert seen is not None
        assert set(seen) == {"200"}, seen  # no 401: every callback was signed right
