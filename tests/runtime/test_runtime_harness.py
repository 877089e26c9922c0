"""The official Spine 4.2 runtimes load and draw a tiny export written by hand here.

The export: a 64x48 "PSD" canvas holding one 16x16 square (four coloured quadrants) whose
top-left corner is at canvas pixel (20, 10). The atlas page is 32x32 (magenta, so a wrong
region shows) with the square at (4, 4); the skeleton has a root bone and a child bone at
the square's centre in skeleton space (origin at the canvas's bottom-left corner, y up),
one slot and one unweighted mesh of 5 vertices (the hull and the centre).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.runtime.conftest import require_runtime
from tests.runtime.spine_runtime import (
    SpineRenderer,
    SpineRuntimeError,
    check_export,
    render_export,
)

CANVAS_W, CANVAS_H = 64, 48
SQUARE = 16
SQUARE_AT = (20, 10)  # top-left corner on the canvas, y down
PAGE_SIZE = 32
REGION_AT = (4, 4)
SPINE_VERSION = "4.2.43"
QUADRANTS = {  # (column, row) of each 8x8 quadrant -> colour
    (0, 0): (255, 0, 0, 255),
    (1, 0): (0, 255, 0, 255),
    (0, 1): (0, 0, 255, 255),
    (1, 1): (255, 255, 0, 255),
}
# the mesh in image pixels (y down): the hull clockwise on screen, then the centre
MESH_PX = [(0, 0), (16, 0), (16, 16), (0, 16), (8, 8)]
TRIANGLES = [0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4]


def square_image() -> Image.Image:
    image = Image.new("RGBA", (SQUARE, SQUARE))
    half = SQUARE // 2
    for (col, row), colour in QUADRANTS.items():
        image.paste(colour, (col * half, row * half, (col + 1) * half, (row + 1) * half))
    return image


def expected_composite() -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The PSD composite: the square on a transparent canvas."""
    canvas = Image.new("RGBA", (CANVAS_W, CANVAS_H), (0, 0, 0, 0))
    canvas.paste(square_image(), SQUARE_AT)
    return np.asarray(canvas)


def expected_world_vertices() -> list[float]:
    """Skeleton space: x = canvas x, y = canvas height - canvas y."""
    out: list[float] = []
    for px, py in MESH_PX:
        out += [SQUARE_AT[0] + px, CANVAS_H - (SQUARE_AT[1] + py)]
    return out


def write_square_export(directory: Path, *, region_name: str = "square") -> Path:
    """Write skeleton JSON, atlas and page PNG by hand into ``directory``; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    page = Image.new("RGBA", (PAGE_SIZE, PAGE_SIZE), (255, 0, 255, 255))
    page.paste(square_image(), REGION_AT)
    page.save(directory / "square.png")
    (directory / "square.atlas").write_text(
        "square.png\n"
        f"size:{PAGE_SIZE},{PAGE_SIZE}\n"
        "filter:Linear,Linear\n"
        "pma:false\n"
        f"{region_name}\n"
        f"bounds:{REGION_AT[0]},{REGION_AT[1]},{SQUARE},{SQUARE}\n",
        encoding="utf-8",
    )
    half = SQUARE / 2
    centre = (SQUARE_AT[0] + half, CANVAS_H - (SQUARE_AT[1] + half))
    mesh = {
        "type": "mesh",
        "uvs": [c / SQUARE for p in MESH_PX for c in p],
        "triangles": TRIANGLES,
        # attachment space: origin at the image centre, y up
        "vertices": [v for px, py in MESH_PX for v in (px - half, half - py)],
        "hull": 4,
        "edges": [0, 2, 2, 4, 4, 6, 6, 0],
        "width": SQUARE,
        "height": SQUARE,
    }
    skeleton = {
        "skeleton": {
            "hash": "hand-made",
            "spine": SPINE_VERSION,
            "x": SQUARE_AT[0],
            "y": CANVAS_H - SQUARE_AT[1] - SQUARE,
            "width": SQUARE,
            "height": SQUARE,
            "images": "./",
            "audio": "",
        },
        "bones": [
            {"name": "root"},
            {"name": "square", "parent": "root", "x": centre[0], "y": centre[1]},
        ],
        "slots": [{"name": "square", "bone": "square", "attachment": "square"}],
        "skins": [{"name": "default", "attachments": {"square": {"square": mesh}}}],
        "animations": {},
    }
    (directory / "square.json").write_text(json.dumps(skeleton, indent=1), encoding="utf-8")
    return directory


# ---------------------------------------------------------------- spine-core in Node


def test_spine_core_reads_the_export(tmp_path: Path, node_runtime: None) -> None:
    report = check_export(write_square_export(tmp_path / "export"))

    assert report["runtime"]["package"] == "@esotericsoftware/spine-core"
    assert report["runtime"]["version"].startswith("4.2.")
    facts = report["skeleton"]
    assert facts["version"] == SPINE_VERSION
    assert [b["name"] for b in facts["bones"]] == ["root", "square"]
    assert [s["name"] for s in facts["slots"]] == ["square"]
    assert [(s["name"], s["attachments"]) for s in facts["skins"]] == [("default", 1)]
    assert report["atlas"]["pages"][0]["pngWidth"] == PAGE_SIZE

    (slot,) = report["slots"]
    assert (slot["slot"], slot["type"], slot["attachment"], slot["region"]) == (
        "square",
        "mesh",
        "square",
        "square",
    )
    assert slot["vertexCount"] == len(MESH_PX)
    assert slot["hull"] == 4
    assert slot["triangles"] == TRIANGLES
    # spine-core's MathUtils.PI is a float32 value, so cosDeg(90) is -2.3e-8, not 0: world
    # positions of a few tens of pixels come out 1e-6 off, hence the tolerance
    np.testing.assert_allclose(slot["worldVertices"], expected_world_vertices(), atol=1e-4)
    x0, y0 = SQUARE_AT[0], CANVAS_H - SQUARE_AT[1] - SQUARE
    bounds = slot["bounds"]
    np.testing.assert_allclose(
        [bounds["minX"], bounds["minY"], bounds["maxX"], bounds["maxY"]],
        [x0, y0, x0 + SQUARE, y0 + SQUARE],
        atol=1e-4,
    )
    # the runtime's uvs address the region inside the 32x32 page
    page_uv = [(REGION_AT[i % 2] + c) / PAGE_SIZE for i, c in enumerate(np.ravel(MESH_PX))]
    np.testing.assert_allclose(slot["uvs"], page_uv, atol=1e-6)


def test_spine_core_rejection_raises_with_node_stderr(tmp_path: Path, node_runtime: None) -> None:
    export = write_square_export(tmp_path / "export", region_name="not-the-square")
    with pytest.raises(SpineRuntimeError, match="Region not found in atlas: square") as info:
        check_export(export)
    assert "Region not found" in info.value.stderr


def test_check_export_names_ambiguous_files(tmp_path: Path, node_runtime: None) -> None:
    export = write_square_export(tmp_path / "export")
    (export / "other.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SpineRuntimeError, match=r"exactly one \*\.json"):
        check_export(export)
    assert check_export(export, skeleton="square.json")["skeleton"]["version"] == SPINE_VERSION


# ---------------------------------------------------------------- spine-webgl in Chromium


def _rendered(path: Path) -> np.ndarray[Any, np.dtype[np.uint8]]:
    with Image.open(path) as image:
        assert image.mode == "RGBA"
        return np.asarray(image).copy()


def test_render_matches_the_composite(tmp_path: Path, spine_renderer: SpineRenderer) -> None:
    export = write_square_export(tmp_path / "export")
    answer = spine_renderer.render(export, tmp_path / "render.png", width=CANVAS_W, height=CANVAS_H)
    assert answer["runtime"]["version"].startswith("4.2.")
    assert answer["warnings"] == []
    got = _rendered(tmp_path / "render.png").astype(np.int16)
    want = expected_composite().astype(np.int16)
    assert got.shape == want.shape

    covered = got[..., 3] > 0
    assert covered.any(), "the render is blank"
    ys, xs = np.nonzero(covered)
    left, top = SQUARE_AT
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (
        left,
        top,
        left + SQUARE - 1,
        top + SQUARE - 1,
    )
    # pixel-aligned mesh, 1:1 texels, no multisampling: every pixel within 2 levels
    assert np.abs(got - want).max() <= 2


def test_render_origin_and_background(tmp_path: Path, spine_renderer: SpineRenderer) -> None:
    export = write_square_export(tmp_path / "export")
    shift = (5, -3)  # move skeleton (0, 0) right 5 and up 3 pixels
    spine_renderer.render(
        export,
        tmp_path / "render.png",
        width=CANVAS_W,
        height=CANVAS_H,
        origin=(shift[0], CANVAS_H + shift[1]),
        background="#102030",
    )
    got = _rendered(tmp_path / "render.png").astype(np.int16)
    want = np.empty_like(got)
    want[...] = (16, 32, 48, 255)
    left, top = SQUARE_AT[0] + shift[0], SQUARE_AT[1] + shift[1]
    want[top : top + SQUARE, left : left + SQUARE] = np.asarray(square_image())
    assert np.abs(got - want).max() <= 2


def test_render_error_keeps_the_renderer_usable(
    tmp_path: Path, spine_renderer: SpineRenderer
) -> None:
    broken = write_square_export(tmp_path / "broken", region_name="not-the-square")
    with pytest.raises(SpineRuntimeError, match="Region not found"):
        spine_renderer.render(broken, tmp_path / "broken.png", width=8, height=8)
    good = write_square_export(tmp_path / "good")
    spine_renderer.render(good, tmp_path / "good.png", width=CANVAS_W, height=CANVAS_H)
    assert (_rendered(tmp_path / "good.png")[..., 3] > 0).any()


def test_render_export_one_shot(tmp_path: Path) -> None:
    require_runtime(render=True)
    export = write_square_export(tmp_path / "export")
    render_export(export, tmp_path / "one.png", width=CANVAS_W, height=CANVAS_H)
    got = _rendered(tmp_path / "one.png").astype(np.int16)
    assert np.abs(got - expected_composite().astype(np.int16)).max() <= 2
