"""Where the shared corpus of real files lives, for the tests that read it.

``../shared`` beside the repository (as CI has it), or ``SPINELIFT_SHARED``.
When it is missing a test is skipped with the reason shown, except under
``CI=true``, where a missing corpus is a failure, never a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared folder (it may not exist: see :func:`require`)."""
    return Path(os.environ.get("SPINELIFT_SHARED") or REPO / ".." / "shared")


def require(relative: str) -> Path:
    """The path ``relative`` inside the shared folder, or skip (fail under CI) without it."""
    path = shared_dir() / relative
    if not path.exists():
        message = f"shared corpus file not found: {path} (set SPINELIFT_SHARED)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
