"""Our export of the sample PSD is read, posed and drawn right by the official Spine runtimes.

The export: :func:`~spinelift.io.psd.write_sample_psd` -> :func:`~spinelift.io.psd.read_psd`
-> :func:`~spinelift.io.export.export_document` with the default options (atlas, origin at
the canvas's bottom centre, ``image_padding`` 2). Then:

* **spine-core 4.2 (Node)** parses the atlas and the skeleton; every layer is a slot, in
  draw order, holding a ``MeshAttachment`` whose atlas region was found. Each mesh's world
  vertices (skeleton space, y up), mapped back to canvas pixels (``x + origin_x``,
  ``origin_y - y``) with the runtime's own triangles, cover every visible pixel (alpha > 10)
  of its layer, judged by the exact pixel-square oracle
  :func:`spinelift.core.metrics.clipped_pixels`, and stay within the layer's box grown by
  the image padding + 1 px. The ``.zip`` export and the loose-images export (``atlas=False``)
  load too and pose identically.
* **spine-webgl 4.2 (headless Chromium)** draws the setup pose at the PSD canvas size with
  skeleton (0, 0) on the bottom-centre point; the picture matches the alpha-over composite
  of the PSD's layers (see :data:`RENDER_TOLERANCE`). The render, the composite and an
  amplified diff are saved in ``tests-output/runtime/`` for a look when this fails.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from spinelift.core.metrics import clipped_pixels
from spinelift.io.document import Document, Layer
from spinelift.io.export import ExportOptions, ExportResult, export_document
from spinelift.io.psd import read_psd, write_sample_psd
from spinelift.io.rig import Origin
from tests.runtime.spine_runtime import SpineRenderer, check_export

REPO = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO / "tests-output" / "runtime"
"""where the render, the composite and the diff image are saved (gitignored)"""
ALPHA_THRESHOLD = 10
"""MeshSettings' default: pixels with alpha above this must lie inside the mesh"""

FloatImage = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RenderTolerance:
    """How far spine-webgl's picture may be from the composite, per pixel, in 1/255 steps.

    The difference of a pixel is the largest absolute difference over its premultiplied
    R, G, B and its alpha. Measured on the 512x768 sample (spine-webgl 4.2.119,
    Chromium 156 on SwiftShader): max 9, mean 0.049, 99.9995 % of pixels within 8,
    99.39 % within 2, 98.57 % within 1. Pixels off by more than 1 lie on a layer's
    outline (its anti-aliased edge or the transparent pixel next to it: up to 9) or on a
    sharp colour step inside the art (the ink lines: up to 6); flat areas match to 1.
    The same skeleton drawn half a pixel to the right gives max 170, mean 1.6 and 3.4 % of
    pixels beyond 8; one pixel off, max 255, mean 3.3 and 3.9 % beyond 8.

    Why not zero: the mesh vertices are exact (the runtime's world vertices sit within
    1e-3 px of the layer pixels their UVs name), but the GPU snaps vertex positions to
    its sub-pixel grid while the UVs stay put, so a vertex off the pixel grid (most hull
    vertices) shifts the texture under it by a few hundredths of a pixel (a pixel-aligned
    mesh reproduces its texture exactly: see test_runtime_harness); with linear filtering an
    edge texel then leaks a few percent into its transparent neighbour (alpha up to 9
    where the composite has nothing) and an anti-aliased edge pixel moves by as much.
    The framebuffer also rounds to 8 bits after every layer where layers overlap (±1).
    Pixels of alpha <= 10 outside a mesh would be clipped (``alpha_threshold``: at most
    10 off); the sample has none.
    """

    max_diff: float = 16.0
    within: float = 8.0
    min_fraction_within: float = 0.999
    max_mean_diff: float = 0.25


RENDER_TOLERANCE = RenderTolerance()


@dataclass(frozen=True, eq=False)
class SampleExport:
    psd: Path
    document: Document
    result: ExportResult
    folder: Path
    origin: tuple[float, float]


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory: pytest.TempPathFactory) -> SampleExport:
    """The sample PSD and its default export into a folder."""
    root = tmp_path_factory.mktemp("runtime_export")
    psd = write_sample_psd(root / "sample.psd")
    document = read_psd(psd)
    folder = root / "export"
    result = export_document(document, folder, ExportOptions(preview=True, workers=1))
    assert not result.failed, [f"{r.name}: {r.error}" for r in result.failed]
    origin = Origin.BOTTOM_CENTER.point(document.width, document.height)
    return SampleExport(psd, document, result, folder, origin)


def _canvas_points(slot: dict[str, Any], origin: tuple[float, float]) -> FloatImage:
    """(n, 2) canvas pixels (x right, y down) of a slot's world vertices (skeleton y up)."""
    world = np.asarray(slot["worldVertices"], dtype=np.float64).reshape(-1, 2)
    return np.column_stack([world[:, 0] + origin[0], origin[1] - world[:, 1]])


def _canvas_mask(layer: Layer, width: int, height: int) -> npt.NDArray[np.bool_]:
    """(height, width) bool: the layer's visible pixels (alpha > 10) on the canvas."""
    mask = np.zeros((height, width), dtype=np.bool_)
    x0, y0 = max(0, layer.left), max(0, layer.top)
    x1, y1 = min(width, layer.left + layer.width), min(height, layer.top + layer.height)
    sub = layer.rgba[y0 - layer.top : y1 - layer.top, x0 - layer.left : x1 - layer.left, 3]
    mask[y0:y1, x0:x1] = sub > ALPHA_THRESHOLD
    return mask


def _slots_by_layer(
    export: SampleExport, report: dict[str, Any]
) -> list[tuple[Layer, dict[str, Any]]]:
    by_slot = {entry["slot"]: entry for entry in report["slots"]}
    out = []
    for layer, line in zip(export.document.layers, export.result.layers, strict=True):
        assert line.slot in by_slot, f"layer {line.name!r}: slot {line.slot!r} not in the skeleton"
        out.append((layer, by_slot[line.slot]))
    return out


# ---------------------------------------------------------------- spine-core in Node


def test_runtime_loads_every_layer_as_a_mesh_with_its_region(
    node_runtime: None, sample_export: SampleExport
) -> None:
    report = check_export(sample_export.folder)
    document, result = sample_export.document, sample_export.result
    assert report["runtime"]["version"].startswith("4.2.")
    assert report["skeleton"]["version"].startswith("4.2")
    assert len(result.layers) == len(document.layers) == 13
    # one slot per layer, in the PSD's draw order (bottom first)
    assert report["drawOrder"] == [line.slot for line in result.layers]
    assert report["atlas"]["regions"] == len(document.layers)
    bones = {bone["name"] for bone in report["skeleton"]["bones"]}
    assert {"root", "head", "arm_left", "arm_right"} <= bones
    for line, slot in zip(result.layers, report["slots"], strict=True):
        assert slot["type"] == "mesh", slot
        assert slot["attachment"] == line.attachment
        assert slot["region"] is not None and slot["region"] == slot["path"]
        assert slot["regionInfo"]["page"] is not None
        assert slot["vertexCount"] == line.vertices and slot["hull"] == line.hull
        assert len(slot["triangles"]) == 3 * line.triangles
        assert not slot["weighted"]
        uvs = np.asarray(slot["uvs"], dtype=np.float64)
        assert np.all((uvs >= 0) & (uvs <= 1))
    assert report["slots"][8]["attachment"] == "face/eyes"  # [folder:face] on the layer


def test_runtime_world_vertices_cover_every_visible_pixel(
    node_runtime: None, sample_export: SampleExport
) -> None:
    report = check_export(sample_export.folder)
    document = sample_export.document
    grow = ExportOptions().image_padding + 1
    for layer, slot in _slots_by_layer(sample_export, report):
        points = _canvas_points(slot, sample_export.origin)
        assert np.all(np.isfinite(points)), layer.name
        triangles = np.asarray(slot["triangles"], dtype=np.int64).reshape(-1, 3)
        mask = _canvas_mask(layer, document.width, document.height)
        assert mask.any(), layer.name
        clipped = clipped_pixels(mask, points, triangles)
        assert clipped == 0, f"{layer.name}: {clipped} visible pixels outside the runtime's mesh"
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        assert x0 >= layer.left - grow and y0 >= layer.top - grow, (layer.name, x0, y0)
        assert x1 <= layer.left + layer.width + grow, (layer.name, x1)
        assert y1 <= layer.top + layer.height + grow, (layer.name, y1)
        # the report's bounds are the same vertices, skeleton space
        b = slot["bounds"]
        assert b["minX"] == pytest.approx(x0 - sample_export.origin[0], abs=1e-5)
        assert b["maxY"] == pytest.approx(sample_export.origin[1] - y0, abs=1e-5)


def test_runtime_loads_the_zip_export(
    node_runtime: None, sample_export: SampleExport, tmp_path: Path
) -> None:
    archive = tmp_path / "sample.zip"
    result = export_document(
        sample_export.document, archive, ExportOptions(preview=False, workers=1)
    )
    assert archive.is_file() and not result.failed
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as zipped:
        assert sorted(zipped.namelist()) == sorted(result.files)
        zipped.extractall(unpacked)
    from_zip = check_export(unpacked)
    from_folder = check_export(sample_export.folder)
    assert from_zip["slots"] == from_folder["slots"]


def test_runtime_loads_the_loose_images_export(
    node_runtime: None, sample_export: SampleExport, tmp_path: Path
) -> None:
    """``atlas=False`` writes ``images/<path>.png`` per attachment and no atlas. The Spine
    editor finds each image by the attachment's path under the skeleton's ``images``
    folder; the runtimes need an atlas, so the test writes one (one page per image, the
    region covering the whole page) and asks spine-core to load the skeleton with it."""
    folder = tmp_path / "loose"
    result = export_document(
        sample_export.document, folder, ExportOptions(atlas=False, preview=False, workers=1)
    )
    assert not result.failed
    assert not list(folder.glob("*.atlas"))
    skeleton_files = list(folder.glob("*.json"))
    assert len(skeleton_files) == 1
    skeleton = json.loads(skeleton_files[0].read_text(encoding="utf-8"))
    images_dir = (folder / skeleton["skeleton"]["images"]).resolve()
    assert images_dir == (folder / "images").resolve()
    atlas_lines: list[str] = []
    attachments = 0
    for skin in skeleton["skins"]:
        for per_slot in skin["attachments"].values():
            for name, attachment in per_slot.items():
                attachments += 1
                path = attachment.get("path", name)
                image = images_dir / f"{path}.png"
                assert image.is_file(), f"attachment {name!r}: {image} missing"
                with Image.open(image) as opened:
                    assert opened.size == (attachment["width"], attachment["height"]), name
                    size = opened.size
                page = image.relative_to(folder).as_posix()
                atlas_lines += [page, f"size:{size[0]},{size[1]}", "filter:Linear,Linear"]
                atlas_lines += [path, f"bounds:0,0,{size[0]},{size[1]}", ""]
    assert attachments == len(result.layers)
    assert len(list(images_dir.rglob("*.png"))) == attachments
    (folder / "loose.atlas").write_text("\n".join(atlas_lines), encoding="utf-8")
    loose = check_export(folder)
    packed = check_export(sample_export.folder)
    assert [s["type"] for s in loose["slots"]] == ["mesh"] * len(result.layers)
    for a, b in zip(loose["slots"], packed["slots"], strict=True):
        assert a["region"] == b["region"]
        assert a["worldVertices"] == b["worldVertices"]
        assert a["regionUVs"] == b["regionUVs"]


# ---------------------------------------------------------------- spine-webgl in Chromium


def composite_layers(document: Document) -> FloatImage:
    """(H, W, 4) float64 in [0, 1], premultiplied: visible layers alpha-over (opacity applied)
    bottom to top on a transparent canvas, as Spine draws normal-blend slots."""
    height, width = document.height, document.width
    out = np.zeros((height, width, 4), dtype=np.float64)
    for layer in document.layers:
        if not layer.visible:
            continue
        x0, y0 = max(0, layer.left), max(0, layer.top)
        x1, y1 = min(width, layer.left + layer.width), min(height, layer.top + layer.height)
        if x0 >= x1 or y0 >= y1:
            continue
        src = layer.rgba[y0 - layer.top : y1 - layer.top, x0 - layer.left : x1 - layer.left]
        alpha = src[..., 3:4].astype(np.float64) / 255.0 * layer.opacity
        colour = np.concatenate([src[..., :3].astype(np.float64) / 255.0 * alpha, alpha], axis=2)
        region = out[y0:y1, x0:x1]
        region[...] = colour + region * (1.0 - alpha)
    return out


def premultiplied(rgba: npt.NDArray[np.uint8]) -> FloatImage:
    """(H, W, 4) uint8 straight alpha -> float64 premultiplied in [0, 1]."""
    values = rgba.astype(np.float64) / 255.0
    values[..., :3] *= values[..., 3:4]
    return values


def to_straight_png(values: FloatImage) -> Image.Image:
    alpha = values[..., 3:4]
    safe = np.where(alpha > 0, alpha, 1.0)
    straight = np.concatenate([values[..., :3] / safe, alpha], axis=2)
    return Image.fromarray(np.clip(np.rint(straight * 255.0), 0, 255).astype(np.uint8), "RGBA")


def test_webgl_render_matches_the_psd_composite(
    spine_renderer: SpineRenderer, sample_export: SampleExport
) -> None:
    document = sample_export.document
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    render_png = OUTPUT_DIR / "sample_render.png"
    answer = spine_renderer.render(
        sample_export.folder,
        render_png,
        width=document.width,
        height=document.height,
        origin=sample_export.origin,
    )
    assert answer["slots"] == len(document.layers)
    assert not answer.get("warnings"), answer["warnings"]
    with Image.open(render_png) as opened:
        assert opened.size == (document.width, document.height)
        rendered = premultiplied(np.asarray(opened.convert("RGBA")))
    expected = composite_layers(document)
    diff = np.abs(rendered - expected).max(axis=2) * 255.0
    to_straight_png(expected).save(OUTPUT_DIR / "sample_composite.png")
    amplified = np.clip(np.rint(diff * 16.0), 0, 255).astype(np.uint8)
    Image.fromarray(amplified, "L").save(OUTPUT_DIR / "sample_diff_x16.png")

    tolerance = RENDER_TOLERANCE
    fraction = float(np.mean(diff <= tolerance.within + 1e-9))
    mean = float(diff.mean())
    worst = float(diff.max())
    where = np.unravel_index(int(np.argmax(diff)), diff.shape)
    facts = (
        f"max {worst:.1f}/255 at (x={where[1]}, y={where[0]}), mean {mean:.3f}/255, "
        f"{100 * fraction:.4f} % within {tolerance.within}/255; see {OUTPUT_DIR}"
    )
    assert worst <= tolerance.max_diff, facts
    assert fraction >= tolerance.min_fraction_within, facts
    assert mean <= tolerance.max_mean_diff, facts
    # the character is there at all (not an empty or fully covered canvas)
    covered = expected[..., 3] > 0
    assert 0.1 < covered.mean() < 0.9
    flipped = np.count_nonzero((rendered[..., 3] > 0.5) != (expected[..., 3] > 0.5))
    assert flipped <= 0.001 * diff.size, f"{flipped} pixels opaque in one picture only; {facts}"
