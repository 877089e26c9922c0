"""A preview of the whole character: every layer composed as in the PSD, its mesh on top.

This is the picture an artist checks before opening Spine: does every part sit
where it sat in the PSD, and does every mesh hug its part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from spinelift.core.mesh import Mesh
from spinelift.io.preview import SHIFT, PreviewStyle, draw_mesh

DEFAULT_STYLE = PreviewStyle()


@dataclass(frozen=True, eq=False)
class PlacedMesh:
    """A layer image at its canvas position (``left``, ``top``: of ``rgba``'s top-left
    pixel), its opacity, and its mesh (in ``rgba``'s pixels) or None if it failed."""

    rgba: npt.NDArray[np.uint8]
    left: int
    top: int
    opacity: float
    visible: bool
    mesh: Mesh | None


def render_character_preview(
    canvas_size: tuple[int, int],
    layers: Sequence[PlacedMesh],
    *,
    max_side: int = 1600,
    style: PreviewStyle = DEFAULT_STYLE,
) -> npt.NDArray[np.uint8]:
    """(H', W', 3) uint8 RGB: visible layers alpha-composited bottom to top over a
    checkerboard, then each mesh drawn over. ``canvas_size`` is (width, height); the
    picture is scaled down to fit ``max_side`` (never up past 2x).

    Drawn in 8 bits, one layer's box at a time, so it costs about one picture's worth
    of memory whatever the number of layers. The same as :func:`compose_character` then
    :func:`draw_character_meshes` (the first needs no mesh: it can run while meshing).
    """
    picture = compose_character(canvas_size, layers, max_side=max_side, style=style)
    return draw_character_meshes(picture, canvas_size, layers, max_side=max_side, style=style)


def compose_character(
    canvas_size: tuple[int, int],
    layers: Sequence[PlacedMesh],
    *,
    max_side: int = 1600,
    style: PreviewStyle = DEFAULT_STYLE,
) -> npt.NDArray[np.uint8]:
    """The preview without meshes: (H', W', 3) uint8, visible layers over the checkerboard
    (``layers``' meshes are not looked at)."""
    factor = _factor(canvas_size, max_side)
    width, height = canvas_size
    out_w, out_h = max(1, round(width * factor)), max(1, round(height * factor))
    picture = _checkerboard(out_w, out_h, style)
    for layer in layers:
        if layer.visible:
            _compose(picture, layer, factor)
    return picture


def draw_character_meshes(
    picture: npt.NDArray[np.uint8],
    canvas_size: tuple[int, int],
    layers: Sequence[PlacedMesh],
    *,
    max_side: int = 1600,
    style: PreviewStyle = DEFAULT_STYLE,
) -> npt.NDArray[np.uint8]:
    """Draw each visible layer's mesh on ``picture`` (from :func:`compose_character` with
    the same size and ``max_side``) in place, and return it."""
    factor = _factor(canvas_size, max_side)
    for layer in layers:
        if layer.mesh is not None and layer.visible:
            _draw_mesh(picture, layer, factor, style)
    return picture


def _factor(canvas_size: tuple[int, int], max_side: int) -> float:
    width, height = canvas_size
    return min(2.0, max_side / max(width, height, 1))


def _checkerboard(width: int, height: int, style: PreviewStyle) -> npt.NDArray[np.uint8]:
    """(height, width, 3) uint8: the light/dark squares that show transparency, written
    band by band (no temporary picture)."""
    size = style.checker_size
    light, dark = np.array(style.checker_light, np.uint8), np.array(style.checker_dark, np.uint8)
    starts_light = np.where(((np.arange(width) // size) % 2 == 0)[:, None], light, dark)
    starts_dark = np.where(((np.arange(width) // size) % 2 == 0)[:, None], dark, light)
    board = np.empty((height, width, 3), dtype=np.uint8)
    for band, top in enumerate(range(0, height, size)):
        board[top : top + size] = starts_light if band % 2 == 0 else starts_dark
    return board


def _compose(picture: npt.NDArray[np.uint8], layer: PlacedMesh, factor: float) -> None:
    """Blend ``layer`` (scaled by ``factor``) over ``picture`` in place, inside its box."""
    h, w = layer.rgba.shape[:2]
    x0, y0 = round(layer.left * factor), round(layer.top * factor)
    sw, sh = max(1, round(w * factor)), max(1, round(h * factor))
    ch, cw = picture.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(cw, x0 + sw), min(ch, y0 + sh)
    if cx0 >= cx1 or cy0 >= cy1:
        return
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(layer.rgba, (sw, sh), interpolation=interpolation)
    part = scaled[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0].astype(np.float32)
    alpha = part[..., 3:4] * (max(0.0, min(1.0, layer.opacity)) / 255.0)
    region = picture[cy0:cy1, cx0:cx1]
    mixed = part[..., :3] * alpha + region.astype(np.float32) * (1.0 - alpha)
    region[...] = (mixed + 0.5).astype(np.uint8)


def _draw_mesh(
    picture: npt.NDArray[np.uint8], layer: PlacedMesh, factor: float, style: PreviewStyle
) -> None:
    mesh = layer.mesh
    assert mesh is not None
    offset = np.array([layer.left, layer.top], dtype=np.float64)
    pts = np.rint(((mesh.vertices + offset) * factor - 0.5) * (1 << SHIFT)).astype(np.int32)
    draw_mesh(picture, mesh, pts, style, thickness=1, radius=2)
