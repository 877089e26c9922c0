"""The browser UI: one HTML shell for every page, our own ES modules and CSS under
``/static``, and the vendored Spine web player under ``/vendor`` (never a CDN).

The pages (``/``, ``/signin``, ``/projects``, ``/projects/{id}``) all answer the same
shell; ``/static/app.js`` picks the view from the path and talks to the JSON API with the
access token as ``Authorization: Bearer`` (no cookie, so no CSRF surface). The shell
carries a strict Content-Security-Policy: scripts, styles and connections from this
origin only, no inline script and no ``<style>`` element, images also from
``data:``/``blob:`` URIs (the Spine player's textures and the layer images). The one
exception is narrow: the Spine web player builds its frame from an HTML string with two
``style`` attributes (and a third on its error panel), which no player option avoids;
``style-src-attr`` allows exactly those attribute values by their SHA-256
(:data:`PLAYER_STYLE_ATTRIBUTES`, ``'unsafe-hashes'``: attributes whose text is one of
these, nothing else), so the browser logs no violation and the player lays out as
designed. Scripts are untouched (``script-src 'self'``).

``SPINELIFT_UI_VENDOR_DIR`` names the folder holding ``spine-player/spine-player.js``
and ``spine-player.css`` (default: ``spinelift/web/ui/vendor``, which
``tools/ui-vendor/setup.sh`` fills from the npm package). Without it the UI still works
and its preview panel says how to install the player.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

UI_DIR = Path(__file__).resolve().parent / "ui"
STATIC_DIR = UI_DIR / "static"
DEFAULT_VENDOR_DIR = UI_DIR / "vendor"
PLAYER_FILES = ("spine-player/spine-player.js", "spine-player/spine-player.css")

PLAYER_STYLE_ATTRIBUTES = (
    "position:relative;height:100%",
    "display:block;width:100%;height:100%",
    "background:#000;color:#fff;position:absolute;top:0;width:100%;height:100%;display:flex;"
    "justify-content:center;align-items:center;overflow:auto;z-index:999",
)
"""the ``style`` attributes the vendored spine-player 4.2 writes (its frame, its canvas,
its error panel): allowed by hash, see the module docstring"""


def _style_hash(value: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(value.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-elem 'self'",
        "style-src-attr 'unsafe-hashes' " + " ".join(map(_style_hash, PLAYER_STYLE_ATTRIBUTES)),
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def vendor_dir(configured: Path | None = None) -> Path:
    """Where the vendored front-end packages are: ``configured`` (the setting
    ``SPINELIFT_UI_VENDOR_DIR``), else the package's own ``ui/vendor``."""
    return configured.expanduser() if configured else DEFAULT_VENDOR_DIR


def player_installed(folder: Path | None = None) -> bool:
    """Whether the Spine web player's files are in the vendor folder."""
    base = folder or vendor_dir()
    return all((base / name).is_file() for name in PLAYER_FILES)


def _shell() -> HTMLResponse:
    html = (UI_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers=SECURITY_HEADERS)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def home() -> HTMLResponse:
    return _shell()


@router.api_route("/signin", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def signin() -> HTMLResponse:
    return _shell()


@router.api_route("/projects", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def projects() -> HTMLResponse:
    return _shell()


@router.api_route("/projects/{project_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def project(project_id: str) -> HTMLResponse:
    return _shell()  # the page itself says when the id names no project of the user


def install(app: FastAPI, vendor: Path | None = None) -> None:
    """Add the pages, ``/static`` and (when installed) ``/vendor`` to ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    folder = vendor_dir(vendor)
    if folder.is_dir():
        app.mount("/vendor", StaticFiles(directory=folder), name="ui-vendor")
