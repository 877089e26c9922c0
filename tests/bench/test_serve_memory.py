"""``spinelift serve`` caps glibc's malloc arenas (what bench/load.py's soak showed to keep
the API processes' memory flat), unless the operator set ``MALLOC_ARENA_MAX`` already."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

PROBE = "from spinelift.cli.serve_command import limit_malloc_arenas; print(limit_malloc_arenas())"


def _probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_the_arena_cap_applies_on_glibc() -> None:
    if platform.libc_ver()[0] != "glibc":
        pytest.skip(f"not glibc ({platform.libc_ver()}): nothing to cap")
    assert _probe() == "True"


def test_an_operators_malloc_arena_max_wins() -> None:
    assert _probe(MALLOC_ARENA_MAX="4") == "False"
