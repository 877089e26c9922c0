"""Fixtures for the official-runtime checks: skip without Node/Chromium, but fail in CI.

Locally a missing ``node``, missing npm packages (``tools/spine-check/setup.sh``) or a
missing Chromium skips these tests with the reason shown by ``-ra``; with ``CI=true`` the
same gap fails them, so CI can never pass without having run the runtimes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.runtime.spine_runtime import SpineRenderer, missing_tools


def require_runtime(*, render: bool = False) -> None:
    """Skip (or, with CI=true, fail) the calling test when the runtime cannot run."""
    missing = missing_tools(render=render)
    if not missing:
        return
    reason = "official Spine runtime unavailable: " + "; ".join(missing)
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spine_renderer() -> Iterator[SpineRenderer]:
    """One headless Chromium with spine-webgl for the whole session (per xdist worker)."""
    require_runtime(render=True)
    with SpineRenderer() as renderer:
        yield renderer


@pytest.fixture
def node_runtime() -> None:
    """Skip (or fail in CI) unless ``node`` and spine-core are installed."""
    require_runtime(render=False)
