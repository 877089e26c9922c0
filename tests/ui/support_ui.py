"""Helpers of the browser UI tests: a live web app (uvicorn on a free port, in a thread)
with a real Redis, a migrated SQLite file and a real worker process, driven by Debian's
Chromium (``/usr/bin/chromium``) through the Python ``playwright`` package. Playwright's
own browser download is never used (``playwright install`` is never run).

Without Chromium, the ``playwright`` package or the vendored Spine player the tests skip
with the reason shown; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import io
import os
import secrets
import socket
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from PIL import Image

from spinelift.storage import migrations
from spinelift.storage.db import Database
from spinelift.web.app import create_app
from spinelift.web.routes_ui import player_installed, vendor_dir
from spinelift.web.settings import WebSettings
from tests.polling import wait_until
from tests.web.support_web import (
    PASSWORD,
    cleanup,
    make_settings,
    new_prefix,
    require_redis,
    start_worker,
    stop_worker,
)

REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = REPO / "tests-output" / "ui"
CHROMIUM = os.environ.get("SPINE_CHECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu-sandbox",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # WebGL (the Spine player) without a GPU: ANGLE on SwiftShader, software rendering
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
]
VIEWPORT = {"width": 1440, "height": 900}
"""a laptop screen"""
DEADLINE_MS = 90_000
"""generous waits: the machine is shared and has 2 cores"""


def _missing(problem: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem} (CI=true: the browser UI tests need it)")
    pytest.skip(problem)


def require_chromium() -> Any:
    """The ``playwright.sync_api`` module, once Chromium and the package are there."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"Chromium not found at {CHROMIUM} (make runtimes installs Debian's, as root)")
    try:
        from playwright import sync_api
    except ImportError as exc:  # pragma: no cover - dev extras not installed
        _missing(f"the playwright package is missing ({exc}): pip install -e '.[dev]'")
    return sync_api


def require_player() -> None:
    if not player_installed():
        _missing(f"the Spine web player is not vendored in {vendor_dir()} (run make runtimes)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveApp:
    """A running web app + worker; ``url`` is its base URL."""

    url: str
    settings: WebSettings
    db: Database

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60.0)

    def sign_up(self, email: str | None = None) -> tuple[str, str]:
        """A new account through the API: (e-mail, access token)."""
        email = email or f"artist-{secrets.token_hex(4)}@example.com"
        with self.client() as client:
            made = client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
            assert made.status_code == 201, made.text
            signed = client.post("/api/v1/auth/signin", json={"email": email, "password": PASSWORD})
            assert signed.status_code == 200, signed.text
            return email, str(signed.json()["access_token"])


def start_app(tmp: Path) -> tuple[LiveApp, Callable[[], None]]:
    """Start the app (uvicorn thread), its database and a worker; returns (app, stop)."""
    redis_client = require_redis()
    database = Database(f"sqlite:///{tmp / 'ui.db'}")
    migrations.upgrade(database)
    prefix = new_prefix()
    # every page of a module signs up from 127.0.0.1: the per-address sign-up limit
    # (SPINELIFT_SIGNUP_RATE) is not what these tests are about
    settings = make_settings(prefix, tmp / "data", database, signup_rate="1000/hour")
    worker = start_worker(settings)
    port = free_port()
    app = create_app(settings, db=database)
    # in a thread, uvicorn leaves the process's signal handlers alone
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="ui-test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            stop_worker(worker)
            raise RuntimeError("the web app did not start within 30 s")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=20)
        stop_worker(worker)
        database.dispose()
        cleanup(redis_client, prefix)
        redis_client.close()

    return LiveApp(f"http://127.0.0.1:{port}", settings, database), stop


def shot(page: Any, name: str, **options: Any) -> Path:
    """Save a screenshot of the page (or ``locator=``) as tests-output/ui/NAME.png."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    locator = options.pop("locator", None)
    (locator or page).screenshot(path=str(path), **options)
    return path


def png_array(data: bytes) -> np.ndarray:
    """RGB pixels of PNG bytes as float32 in 0..255."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)


def zip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def sign_in_ui(tab: Any, email: str) -> None:
    """Sign in through the sign-in form; waits for the projects page."""
    tab.goto("/signin")
    tab.get_by_label("E-mail").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in", exact=True).click()
    tab.locator("#dropzone").wait_for()


def new_project(app: LiveApp, token: str, name: str) -> int:
    with app.client(token) as client:
        made = client.post("/api/v1/projects", json={"name": name})
        assert made.status_code == 201, made.text
        return int(made.json()["id"])


def upload(app: LiveApp, token: str, project_id: int, filename: str, data: bytes) -> None:
    with app.client(token) as client:
        sent = client.post(
            f"/api/v1/projects/{project_id}/uploads",
            files={"file": (filename, data, "application/octet-stream")},
        )
        assert sent.status_code == 202, sent.text


def wait_finished(app: LiveApp, token: str, project_id: int, timeout: float = 90.0) -> str:
    """Poll the API until the project is completed or failed; its status."""
    with app.client(token) as client:

        def finished() -> str | None:
            status = str(client.get(f"/api/v1/projects/{project_id}").json()["status"])
            return status if status in ("completed", "failed") else None

        return wait_until(finished, timeout=timeout, what=f"project {project_id} finished")


def png_bytes(rgba: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def blob_png(width: int = 64, height: int = 48, left: int = 8, top: int = 6) -> bytes:
    """A small opaque ellipse on a transparent canvas, as PNG bytes."""
    yy, xx = np.mgrid[0:height, 0:width]
    inside = ((xx - left - 20) / 18.0) ** 2 + ((yy - top - 16) / 14.0) ** 2 <= 1.0
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[inside] = (220, 120, 60, 255)
    return png_bytes(rgba)
