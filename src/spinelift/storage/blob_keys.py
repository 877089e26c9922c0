"""The blob-key layout of both apps, in one place: every key is built from ids, times or
content hashes, never from a user-chosen name.

The mesh service (content addresses, so the same input is stored once):

* ``uploads/<image sha256>.bin``: a submitted image (:func:`mesh_upload_key`);
* ``results/<image sha256>-<settings sha256>.json``: its mesh attachment for those
  settings, the result cache (:func:`mesh_result_key`).

The web app (Cleanup recognises each kind by its pattern):

* ``projects/<project>/uploads/<unix time>-<32 hex>.<psd|psb|png>``: an uploaded file
  (the time lets Cleanup tell an upload being recorded from one that never will be);
* ``projects/<project>/layers/<layer>.png``: a layer's pixels as extracted;
* ``projects/<project>/exports/<fingerprint>.zip``: the Spine export of one version of
  the project (the fingerprint names the layers, mesh versions and canvas it was built
  from, see :mod:`spinelift.jobs.projects.export_version`), and
  ``projects/<project>/exports/<fingerprint>.player.json``: the same export's files for
  the UI's Spine player.

Everything under ``projects/<project>/`` goes when the project is deleted.
"""

from __future__ import annotations

import re
import time
import uuid

UPLOAD_EXTENSIONS = ("psd", "psb", "png")

LAYER_KEY = re.compile(r"^projects/(\d+)/layers/(\d+)\.png$")
"""a layer image key: groups (project id, layer id)"""
UPLOAD_KEY = re.compile(r"^projects/(\d+)/uploads/(\d{10})-[0-9a-f]{32}\.(?:psd|psb|png)$")
"""an upload key: groups (project id, unix time)"""
EXPORT_KEY = re.compile(r"^projects/(\d+)/exports/([0-9a-f]{32})\.(?:zip|player\.json)$")
"""an export key: groups (project id, fingerprint)"""


def project_prefix(project_id: int) -> str:
    """Every blob of the project starts with this."""
    return f"projects/{project_id}/"


def upload_key(project_id: int, extension: str) -> str:
    """A fresh key for an uploaded file of type ``extension`` (``psd``, ``psb``, ``png``)."""
    if extension not in UPLOAD_EXTENSIONS:
        raise ValueError(f"not an upload extension: {extension!r}")
    return f"projects/{project_id}/uploads/{int(time.time())}-{uuid.uuid4().hex}.{extension}"


def layer_image_key(project_id: int, layer_id: int) -> str:
    """Blob key of a layer's PNG."""
    return f"projects/{project_id}/layers/{layer_id}.png"


def export_prefix(project_id: int) -> str:
    return f"projects/{project_id}/exports/"


def export_key(project_id: int, fingerprint: str) -> str:
    """Blob key of the export zip of the project version ``fingerprint`` (32 hex digits)."""
    return f"{export_prefix(project_id)}{_checked(fingerprint)}.zip"


def player_files_key(project_id: int, fingerprint: str) -> str:
    """Blob key of the player files (JSON) of the project version ``fingerprint``."""
    return f"{export_prefix(project_id)}{_checked(fingerprint)}.player.json"


def _checked(fingerprint: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}", fingerprint):
        raise ValueError(f"not an export fingerprint: {fingerprint!r}")
    return fingerprint


def mesh_upload_key(image_hash: str) -> str:
    """The mesh service's key of uploaded bytes (content-addressed: stored once)."""
    return f"uploads/{image_hash}.bin"


def mesh_result_key(image_hash: str, settings_hash: str) -> str:
    """The mesh service's key of the mesh attachment JSON for this image and settings."""
    return f"results/{image_hash}-{settings_hash}.json"
