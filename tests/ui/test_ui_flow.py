"""The browser UI end to end, in headless Chromium against a live app and a real worker:
sign up, drop the sample PSD, watch every layer mesh live, tune one layer and see its
mesh change, preview the export in the official Spine web player next to the composite,
download the zip and a layer's mesh JSON. A screenshot of each step goes to
tests-output/ui/ (two of them are the README's pictures)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from spinelift.io.psd import write_sample_psd
from tests.ui.conftest import PageLog
from tests.ui.support_ui import (
    DEADLINE_MS,
    LiveApp,
    blob_png,
    new_project,
    png_array,
    require_player,
    shot,
    sign_in_ui,
    upload,
    zip_names,
)

SAMPLE_LAYERS = 13
"""layers of the sample character (spinelift.samples)"""
PREVIEW_BACKGROUND = (0x1B, 0x1F, 0x27)
"""the preview's background colour (preview.js PREVIEW_BACKGROUND)"""


def _token(page: Any) -> str:
    token = page.evaluate("() => sessionStorage.getItem('spinelift.token')")
    assert token, "no access token in sessionStorage"
    return str(token)


def _frames_drawn(tab: Any) -> None:
    """Return once two animation frames have passed: a redraw the page asked for (the
    viewer draws in requestAnimationFrame) is on the canvas, however slow the machine."""
    tab.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def _clear_toasts(tab: Any) -> None:
    """Remove the passing notifications, so that the screenshots show the page itself."""
    tab.evaluate("() => document.querySelectorAll('.toast').forEach((t) => t.remove())")


def _differs_from_background(rgb: np.ndarray) -> np.ndarray:
    return np.abs(rgb - np.asarray(PREVIEW_BACKGROUND, dtype=np.float32)).sum(axis=2) > 40


def test_sign_up_upload_watch_tune_preview_download(
    page: tuple[Any, PageLog], live_app: LiveApp, tmp_path: Path
) -> None:
    tab, log = page
    psd = write_sample_psd(tmp_path / "hero.psd")

    # 1. sign up (the first page of a new visitor is the sign-in page)
    tab.goto("/")
    tab.wait_for_url(re.compile(r"/signin"))
    tab.get_by_role("heading", name="Sign in", exact=True).wait_for()
    shot(tab, "01-signin")
    tab.get_by_role("button", name="Create an account").click()
    tab.get_by_label("E-mail").fill("ui-artist@example.com")
    tab.get_by_label("Password").fill("correct horse battery")
    tab.get_by_role("button", name="Create account").click()
    tab.locator("#dropzone").wait_for()
    assert tab.get_by_role("heading", name="Projects", exact=True).is_visible()
    shot(tab, "02-projects")

    # 2. a new project from the PSD (the file chooser of the drop zone)
    tab.set_input_files("#file-input", str(psd))
    tab.wait_for_url(re.compile(r"/projects/\d+$"), timeout=DEADLINE_MS)
    project_id = int(tab.url.rsplit("/", 1)[1])
    assert tab.locator("#project-title").inner_text() == "hero"
    shot(tab, "03-processing")

    # 3. every layer completes in the live view (the WebSocket, not polling)
    tab.locator("body[data-project-status=completed]").wait_for(timeout=DEADLINE_MS)
    rows = tab.locator("#layer-list li[data-layer-id]")
    done = tab.locator("#layer-list li[data-status=completed]")
    # (page.wait_for_function evaluates strings: the page's CSP refuses that, so poll)
    deadline = time.monotonic() + DEADLINE_MS / 1000
    while done.count() < SAMPLE_LAYERS and time.monotonic() < deadline:
        tab.wait_for_timeout(100)
    assert rows.count() == SAMPLE_LAYERS
    assert done.count() == SAMPLE_LAYERS
    assert tab.locator("#live-mode").get_attribute("data-mode") == "live"
    assert (
        tab.locator("#summary").inner_text() == f"{SAMPLE_LAYERS} of {SAMPLE_LAYERS} layers meshed"
    )
    tab.locator(f"#stage-canvas[data-meshes='{SAMPLE_LAYERS}']").wait_for()
    token = _token(tab)
    with live_app.client(token) as api:
        layers = {x["name"]: x for x in api.get(f"/api/v1/projects/{project_id}/layers").json()}
    assert len(layers) == SAMPLE_LAYERS and all(x["status"] == "completed" for x in layers.values())
    tab.locator("#layer-list .layer-select", has_text="hair").click()
    tab.locator("#inspector-name", has_text="hair").wait_for()
    assert tab.locator("#fig-vertices").inner_text() == str(
        layers["hair"]["mesh"]["figures"]["vertices"]
    )
    _frames_drawn(tab)  # the selection's frame
    _clear_toasts(tab)
    shot(tab, "04-meshes")
    before = png_array(tab.locator("#stage-canvas").screenshot())
    vertices_before = int(tab.locator("#fig-vertices").inner_text())

    # 4. tune: the finest detail (Home on the slider) regenerates hair only
    slider = tab.locator("[data-param=detail_factor] input[type=range]")
    assert tab.get_by_label("Detail").first.get_attribute("type") == "range"
    slider.focus()
    started = time.monotonic()
    slider.press("Home")
    tab.locator("#fig-version", has_text="v2").wait_for(timeout=DEADLINE_MS)
    tab.locator("#regen-note").wait_for(timeout=DEADLINE_MS)
    seen_after = time.monotonic() - started
    regen_ms = int(tab.locator("#regen-note").get_attribute("data-ms") or -1)
    print(
        f"\nUI: slider released -> new mesh drawn: {regen_ms} ms in the page,"
        f" {seen_after:.2f} s seen by the test"
    )
    vertices_after = int(tab.locator("#fig-vertices").inner_text())
    assert vertices_after > vertices_before  # finer detail keeps more hull vertices
    _frames_drawn(tab)
    after = png_array(tab.locator("#stage-canvas").screenshot())
    changed = (np.abs(after - before).sum(axis=2) > 30).sum()
    assert changed > 50, f"the drawn mesh did not change ({changed} pixels differ)"
    with live_app.client(token) as api:
        hair = api.get(f"/api/v1/projects/{project_id}/layers/{layers['hair']['id']}/mesh").json()
        again = {x["name"]: x for x in api.get(f"/api/v1/projects/{project_id}/layers").json()}
    assert len(hair["vertices"]) // 2 == vertices_after
    assert again["hair"]["parameters"] == {"detail_factor": 0.001}
    assert again["hair"]["mesh"]["version"] == 2
    assert all(x["mesh"]["version"] == 1 for name, x in again.items() if name != "hair")
    _clear_toasts(tab)
    shot(tab, "05-tuned")

    # the stage: a layer's mesh toggle, click-to-select, drag to pan
    stage = tab.locator("#stage-canvas")
    tab.get_by_label("Show the mesh of torso").uncheck()
    _frames_drawn(tab)
    hidden = png_array(stage.screenshot())
    assert (np.abs(hidden - after).sum(axis=2) > 30).sum() > 20, "torso's mesh is still drawn"
    tab.get_by_label("Show the mesh of torso").check()
    box = stage.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.mouse.click(cx, cy)  # the middle of the character
    picked = tab.locator("#inspector-name").inner_text()
    assert picked != "hair" and picked in layers
    assert tab.locator("#layer-list li.selected .layer-name").inner_text() == picked
    still = png_array(stage.screenshot())
    tab.mouse.move(cx, cy)
    tab.mouse.down()
    tab.mouse.move(cx + 120, cy + 40, steps=6)
    tab.mouse.up()
    _frames_drawn(tab)
    assert tab.locator("#inspector-name").inner_text() == picked  # a drag never selects
    panned = png_array(stage.screenshot())
    assert (np.abs(panned - still).sum(axis=2) > 30).sum() > 1000, "the drag did not pan"
    tab.get_by_role("button", name="Fit", exact=True).click()
    tab.locator("#layer-list .layer-select", has_text="hair").click()

    # apply hair's settings to every layer: each is regenerated with them
    tab.get_by_role("button", name="Apply to all layers").click()
    tab.locator(".toast", has_text=f"Settings applied to {SAMPLE_LAYERS} layers.").wait_for()
    deadline = time.monotonic() + DEADLINE_MS / 1000
    with live_app.client(token) as api:
        while True:
            tuned = api.get(f"/api/v1/projects/{project_id}/layers").json()
            if all(
                x["mesh"]["version"] > again[x["name"]]["mesh"]["version"]
                and x["status"] == "completed"
                for x in tuned
            ):
                break
            assert time.monotonic() < deadline, tuned
            time.sleep(0.2)
    assert all(x["parameters"] == {"detail_factor": 0.001} for x in tuned)
    assert all(x["mesh"]["parameters"]["detail_factor"] == 0.001 for x in tuned)
    while done.count() < SAMPLE_LAYERS and time.monotonic() < deadline:
        tab.wait_for_timeout(100)
    assert done.count() == SAMPLE_LAYERS

    # 5. the Spine preview: the official player draws the export like the composite
    require_player()
    tab.get_by_role("tab", name="Spine preview").click()
    tab.locator("#player-box[data-state=ready]").wait_for(timeout=DEADLINE_MS)
    _frames_drawn(tab)
    _clear_toasts(tab)
    shot(tab, "06-preview")
    composite = png_array(tab.locator("#composite-canvas").screenshot())
    player = png_array(tab.locator("#player-box canvas").screenshot())
    assert composite.shape == player.shape, (composite.shape, player.shape)
    art = _differs_from_background(player)
    assert art.mean() > 0.05, f"the Spine player's canvas is blank ({art.mean():.3f} drawn)"
    reference = _differs_from_background(composite)
    overlap = (art & reference).sum() / max(1, (art | reference).sum())
    difference = np.abs(player - composite).mean()
    print(
        f"UI: Spine player vs composite: silhouette IoU {overlap:.3f},"
        f" mean |diff| {difference:.2f}/255"
    )
    assert overlap > 0.95, (
        f"the player's drawing does not line up with the composite (IoU {overlap:.3f})"
    )
    assert difference < 4.0, f"the player's drawing differs from the composite ({difference:.2f})"

    # 6. downloads: the Spine zip and the selected layer's mesh JSON
    tab.get_by_role("tab", name="Meshes").click()
    with tab.expect_download(timeout=DEADLINE_MS) as download_info:
        tab.locator("#download-zip").click()
    archive = Path(download_info.value.path()).read_bytes()
    assert download_info.value.suggested_filename == "hero.zip"
    names = zip_names(archive)
    assert "hero.json" in names and "hero.atlas" in names and "hero.png" in names, names
    with tab.expect_download(timeout=DEADLINE_MS) as mesh_info:
        tab.locator("#download-mesh").click()
    mesh = json.loads(Path(mesh_info.value.path()).read_text(encoding="utf-8"))
    assert mesh["vertices"] == hair["vertices"] and mesh["triangles"] == hair["triangles"]
    assert mesh_info.value.suggested_filename == "hair.mesh.json"
    shot(tab, "07-downloaded")

    assert not log.dialogs
    assert not log.own_errors(), log.own_errors()


def test_polling_fallback_failure_retry_and_reset(
    page: tuple[Any, PageLog], live_app: LiveApp
) -> None:
    """With the WebSocket refused, the page follows the processing by polling; a layer
    tuned into failure shows its error and a retry button; reset brings it back."""
    tab, log = page
    refused: list[str] = []

    def refuse(ws: Any) -> None:  # the server never sees it: as if a proxy dropped it
        refused.append(ws.url)
        ws.close(code=1011, reason="refused by the test")

    tab.route_web_socket(re.compile(r"/events"), refuse)
    email, token = live_app.sign_up()
    project = new_project(live_app, token, "Polled")
    sign_in_ui(tab, email)
    tab.goto(f"/projects/{project}")
    tab.locator("#live-mode[data-mode=polling]").wait_for(timeout=DEADLINE_MS)
    assert refused, "the page never tried the WebSocket"
    upload(live_app, token, project, "part.png", blob_png())
    tab.locator("#layer-list li[data-status=completed]").wait_for(timeout=DEADLINE_MS)
    tab.locator("body[data-project-status=completed]").wait_for(timeout=DEADLINE_MS)
    assert tab.locator("#live-mode").get_attribute("data-mode") == "polling"
    vertices = tab.locator("#fig-vertices").inner_text()
    shot(tab, "11-polling")

    # every pixel below the threshold: meshing fails, the error and Retry show
    alpha = tab.locator("[data-param=alpha_threshold] input[type=range]")
    alpha.focus()
    alpha.press("End")
    row = tab.locator("#layer-list li[data-layer-id]")
    tab.locator("#layer-list li[data-status=failed]").wait_for(timeout=DEADLINE_MS)
    error = tab.locator("#inspector .error-box")
    error.wait_for()
    assert "NO_OPAQUE_PIXELS" in error.inner_text()
    assert "NO_OPAQUE_PIXELS" in row.locator(".layer-line").inner_text()
    assert row.get_by_role("button", name="Retry part").is_visible()
    shot(tab, "12-layer-failed")

    # Retry runs the same settings again (and fails again); Reset brings the defaults back
    row.get_by_role("button", name="Retry part").click()
    tab.locator("#layer-list li[data-status=failed]").wait_for(timeout=DEADLINE_MS)
    tab.get_by_role("button", name="Reset to defaults").click()
    tab.locator("#layer-list li[data-status=completed]").wait_for(timeout=DEADLINE_MS)
    tab.locator("#fig-version", has_text="v2").wait_for(timeout=DEADLINE_MS)
    assert tab.locator("#fig-vertices").inner_text() == vertices
    assert tab.locator("[data-param=alpha_threshold] output").inner_text() == "10"
    with live_app.client(token) as api:
        jobs = api.get(f"/api/v1/projects/{project}/layers").json()
    assert jobs[0]["parameters"] == {} and jobs[0]["mesh"]["version"] == 2
    assert not log.own_errors(), log.own_errors()
