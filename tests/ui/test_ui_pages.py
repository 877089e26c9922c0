"""The UI's pages are safe and usable: names and messages from the user's data show as
text (never markup), every control has a label and a name, the keyboard reaches the main
controls, text contrast meets WCAG AA, the pages carry a strict CSP; and the endpoints
the UI reads (scene, layer image, export files, parameter schema, PNG layers upload) are
right and owner-scoped."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import fields
from typing import Any

import numpy as np
from PIL import Image

from spinelift.core.settings import MeshSettings
from tests.ui.conftest import PageLog
from tests.ui.support_ui import (
    DEADLINE_MS,
    LiveApp,
    blob_png,
    new_project,
    png_bytes,
    shot,
    sign_in_ui,
    upload,
    wait_finished,
)

HOSTILE_PROJECT = "<script>alert(1)</script><img src=x onerror=alert(2)>"
HOSTILE_LAYER = "<img src=x onerror=alert(3)>"

UNLABELLED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const byLabel = el.labels && [...el.labels].some((l) => l.textContent.trim());
    if (!byLabel && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby")) {
      bad.push(el.outerHTML.slice(0, 160));
    }
  }
  for (const el of document.querySelectorAll("button, [role=tab], a[href]")) {
    const name = (el.getAttribute("aria-label") || el.textContent || "").trim();
    if (!name) bad.push(el.outerHTML.slice(0, 160));
  }
  return bad;
}"""

CONTRAST = """(selectors) => {
  const rgba = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) =>
    top.slice(0, 3).map((v, i) => v * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let color = [18, 21, 27, 1];
    for (const c of layers.reverse()) color = over(c, color);
    return color;
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const out = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.textContent.trim() || el.closest("[hidden]") || el.disabled) continue;
      const bg = background(el);
      const fg = over(rgba(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const text = el.textContent.trim().slice(0, 30);
      out.push({ selector, text, ratio: (a + 0.05) / (b + 0.05) });
    }
  }
  return out;
}"""

TEXT_SELECTORS = [
    "h1",
    "h2",
    "label",
    ".lead",
    ".muted",
    ".hint",
    ".btn",
    ".badge",
    ".layer-name",
    ".layer-line",
    ".figure dt",
    ".figure dd",
    ".panel-title",
    ".param-value",
    ".summary",
    ".crumbs a",
    ".tabs [role=tab]",
    ".live-indicator",
    ".project-meta",
    "figcaption",
]


def _check_contrast(tab: Any, where: str) -> int:
    found = tab.evaluate(CONTRAST, TEXT_SELECTORS)
    low = [x for x in found if x["ratio"] < 4.5]
    assert not low, f"{where}: text below 4.5:1 contrast: {low}"
    return len(found)


def _focused(tab: Any) -> str:
    return str(
        tab.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? [e.id, e.className, e.getAttribute('name') || ''].join('|') : ''; }"
        )
    )


def test_names_and_messages_from_user_data_show_as_text(
    page: tuple[Any, PageLog], live_app: LiveApp
) -> None:
    tab, log = page
    email, token = live_app.sign_up()
    project = new_project(live_app, token, HOSTILE_PROJECT)
    upload(live_app, token, project, f"{HOSTILE_LAYER}.png", blob_png())
    broken = new_project(live_app, token, "empty art")
    empty = png_bytes(np.zeros((8, 8, 4), dtype=np.uint8))
    upload(live_app, token, broken, "<b>void</b>.png", empty)
    assert wait_finished(live_app, token, project) == "completed"
    assert wait_finished(live_app, token, broken) == "failed"

    sign_in_ui(tab, email)
    card = tab.locator(".project-name", has_text="<script>")
    card.wait_for()
    assert card.inner_text() == HOSTILE_PROJECT
    assert tab.locator("main script, main img").count() == 0

    tab.goto(f"/projects/{project}")
    tab.locator("body[data-project-status=completed]").wait_for(timeout=DEADLINE_MS)
    tab.locator("#layer-list li[data-status=completed]").first.wait_for(timeout=DEADLINE_MS)
    assert tab.locator("#project-title").inner_text() == HOSTILE_PROJECT
    assert tab.locator("#crumbs [aria-current=page]").inner_text() == HOSTILE_PROJECT
    assert tab.title() == f"{HOSTILE_PROJECT} · SpineLift"
    assert tab.locator("#layer-list .layer-name").inner_text() == HOSTILE_LAYER
    assert tab.locator("#inspector-name").inner_text() == HOSTILE_LAYER
    assert tab.get_by_label(f"Show the mesh of {HOSTILE_LAYER}").is_checked()
    scripts = tab.evaluate("() => [...document.scripts].map((s) => s.getAttribute('src'))")
    assert scripts == ["/static/app.js"], scripts
    assert tab.locator("img[src=x], main img").count() == 0
    shot(tab, "08-escaped-names")

    tab.goto(f"/projects/{broken}")
    banner = tab.locator("#project-banner")
    banner.wait_for()
    assert "<b>void</b>.png" in banner.inner_text()
    assert banner.locator("b").count() == 0
    assert tab.get_by_role("button", name="Upload another file").is_visible()
    shot(tab, "09-failed-project")
    assert not log.dialogs, log.dialogs
    assert not log.own_errors(), log.own_errors()


def test_labels_keyboard_contrast_and_csp(page: tuple[Any, PageLog], live_app: LiveApp) -> None:
    tab, log = page
    email, token = live_app.sign_up()
    project = new_project(live_app, token, "Keyboard")
    upload(live_app, token, project, "part.png", blob_png())
    assert wait_finished(live_app, token, project) == "completed"

    with live_app.client() as client:
        for path in ("/", "/signin", "/projects", f"/projects/{project}"):
            answer = client.get(path)
            assert answer.status_code == 200
            csp = answer.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "default-src 'none'" in csp, csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
            assert answer.headers["x-content-type-options"] == "nosniff"

    tab.goto("/signin")
    tab.locator("#auth-title").wait_for()
    assert tab.evaluate(UNLABELLED) == []
    checked = _check_contrast(tab, "sign-in")
    sign_in_ui(tab, email)
    assert tab.evaluate(UNLABELLED) == []
    checked += _check_contrast(tab, "projects")

    tab.goto(f"/projects/{project}")
    tab.locator("body[data-project-status=completed]").wait_for(timeout=DEADLINE_MS)
    tab.locator("#stage-canvas[data-meshes='1']").wait_for(timeout=DEADLINE_MS)
    assert tab.evaluate(UNLABELLED) == []
    checked += _check_contrast(tab, "project")
    assert checked > 40  # the check saw the pages' text

    # Tab from the top: the skip link first, then every main control in turn
    tab.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached = []
    for _ in range(60):
        tab.keyboard.press("Tab")
        reached.append(_focused(tab))
    assert reached[0].startswith("|skip-link"), reached[:3]
    wanted = {
        "download zip": lambda f: f.startswith("download-zip|"),
        "layer": lambda f: "layer-select" in f,
        "mesh toggle": lambda f: "mesh-toggle" in f,
        "stage tab": lambda f: f.startswith("tab-meshes|"),
        "zoom": lambda f: "btn-icon" in f,
        "canvas": lambda f: f.startswith("stage-canvas|"),
        "detail slider": lambda f: f.endswith("|detail_factor"),
        "reset": lambda f: f.startswith("reset-defaults|"),
    }
    missing = [name for name, test in wanted.items() if not any(test(f) for f in reached)]
    assert not missing, f"Tab never reached {missing}: {reached}"

    # the stage answers the keyboard: + zooms, 0 fits again
    canvas = tab.locator("#stage-canvas")
    canvas.focus()
    fitted = tab.locator("#zoom-label").inner_text()
    canvas.press("+")
    assert tab.locator("#zoom-label").inner_text() != fitted
    canvas.press("0")
    assert tab.locator("#zoom-label").inner_text() == fitted
    shot(tab, "10-keyboard")
    assert not log.own_errors(), log.own_errors()


def test_ui_endpoints_are_right_and_owner_scoped(live_app: LiveApp) -> None:
    _, token = live_app.sign_up()
    _, other = live_app.sign_up()
    project = new_project(live_app, token, "Endpoints")
    first = blob_png(left=2, top=2)
    second = blob_png(left=20, top=14)
    with live_app.client(token) as client:
        # several PNGs become one layered upload, stacked in file-name order
        sent = client.post(
            f"/api/v1/projects/{project}/uploads/layers",
            files=[
                ("files", ("b_front.png", second, "image/png")),
                ("files", ("a_back.png", first, "image/png")),
            ],
        )
        assert sent.status_code == 202, sent.text
        refused = client.post(
            f"/api/v1/projects/{project}/uploads/layers",
            files=[("files", ("x.png", b"hello world, not a png", "image/png"))],
        )
        assert refused.status_code == 422, refused.text
    assert wait_finished(live_app, token, project) == "completed"

    with live_app.client(token) as client:
        scene = client.get(f"/api/v1/projects/{project}/scene").json()
        assert (scene["width"], scene["height"]) == (64, 48)
        assert [x["name"] for x in scene["layers"]] == ["a_back", "b_front"]
        back, front = scene["layers"]
        assert back["bounds"]["x"] < front["bounds"]["x"]
        assert all(x["mesh_ms"] is not None and x["mesh_ms"] >= 0 for x in scene["layers"])
        assert all(x["mesh"]["figures"]["vertices"] >= 3 for x in scene["layers"])

        image = client.get(f"/api/v1/projects/{project}/layers/{front['id']}/image")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        pixels = np.asarray(Image.open(io.BytesIO(image.content)).convert("RGBA"))
        assert pixels.shape[:2] == (front["bounds"]["height"], front["bounds"]["width"])
        source = np.asarray(Image.open(io.BytesIO(second)).convert("RGBA"))
        assert int(pixels[:, :, 3].astype(int).sum()) == int(source[:, :, 3].astype(int).sum())

        files = client.get(f"/api/v1/projects/{project}/export/files").json()
        assert files["viewport"] == {"x": -32.0, "y": 0.0, "width": 64.0, "height": 48.0}
        skeleton = files["files"][files["skeleton"]]
        assert skeleton.startswith("data:application/json;base64,")
        data = json.loads(base64.b64decode(skeleton.split(",", 1)[1]))
        assert len(data["slots"]) == 2
        assert files["files"][files["atlas"]].startswith("data:text/plain;base64,")
        assert any(v.startswith("data:image/png;base64,") for v in files["files"].values())
        assert "preview.png" not in files["files"]

        schema = {x["name"]: x for x in client.get("/api/v1/mesh-parameters").json()}
        assert list(schema) == [f.name for f in fields(MeshSettings)]
        assert schema["detail_factor"] == {
            "name": "detail_factor",
            "type": "float",
            "default": 0.01,
            "min": 0.001,
            "max": 0.05,
            "choices": None,
        }
        assert schema["padding"]["type"] == "int" and schema["padding"]["max"] == 64
        assert schema["island_policy"]["choices"] == ["bridge", "drop_small", "largest"]
        assert schema["hull_steiner_points"]["type"] == "bool"

    # another user's project is a 404 on every one of them, exactly like a missing one
    paths = [
        f"/api/v1/projects/{project}/scene",
        f"/api/v1/projects/{project}/export/files",
        f"/api/v1/projects/{project}/layers/{front['id']}/image",
    ]
    with live_app.client(other) as client:
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 404, (path, answer.text)
            assert answer.json()["error"]["code"] == "NOT_FOUND"
        sent = client.post(
            f"/api/v1/projects/{project}/uploads/layers",
            files=[("files", ("a.png", first, "image/png"))],
        )
        assert sent.status_code == 404
    with live_app.client() as client:
        assert client.get(paths[0]).status_code == 401
