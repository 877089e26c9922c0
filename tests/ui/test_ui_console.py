"""No page of the browser UI logs a console error or a CSP violation, the Spine preview
included (the official player builds its frame with two style attributes, allowed by
hash in the page's CSP; see spinelift.web.routes_ui). The ``page`` fixture turns every
CSP violation into a console error and fails a test on any console error it did not
announce; this test walks every page and view to give each the chance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spinelift.io.psd import write_sample_psd
from tests.ui.conftest import PageLog
from tests.ui.support_ui import (
    LiveApp,
    new_project,
    require_player,
    sign_in_ui,
    upload,
    wait_finished,
)

DEADLINE_MS = 90_000


def test_every_page_and_the_spine_preview_log_no_console_error(
    page: tuple[Any, PageLog], live_app: LiveApp, tmp_path: Path
) -> None:
    require_player()
    tab, log = page
    email, token = live_app.sign_up()
    project_id = new_project(live_app, token, "hero")
    upload(
        live_app, token, project_id, "hero.psd", write_sample_psd(tmp_path / "h.psd").read_bytes()
    )
    assert wait_finished(live_app, token, project_id) == "completed"

    tab.goto("/signin")
    tab.get_by_role("heading", name="Sign in", exact=True).wait_for()
    sign_in_ui(tab, email)  # then the projects page
    tab.goto(f"/projects/{project_id}")
    tab.locator("body[data-project-status=completed]").wait_for(timeout=DEADLINE_MS)
    tab.get_by_role("tab", name="Spine preview").click()
    tab.locator("#player-box[data-state=ready]").wait_for(timeout=DEADLINE_MS)
    tab.get_by_role("tab", name="Meshes").click()
    tab.goto("/projects")
    tab.locator("#dropzone").wait_for()
    tab.evaluate("() => new Promise((done) => requestAnimationFrame(() => done(null)))")
    assert not log.own_errors(), log.own_errors()
