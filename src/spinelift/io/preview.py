"""A preview picture of a mesh over its image, for people to judge a mesh at a glance.

The image is drawn over a checkerboard (so transparency shows), enlarged when small,
with a margin around it so the hull on the image's border stays visible; on top:
interior triangle edges, hole outlines, the hull, then the vertices as dots, each in
its own colour (:class:`PreviewStyle`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from spinelift.core.mesh import Mesh

Rgb = tuple[int, int, int]
SHIFT = 4  # OpenCV fixed-point bits: coordinates are drawn to 1/16 px


@dataclass(frozen=True, slots=True)
class PreviewStyle:
    """Colours (RGB) and sizes (output pixels) of a preview."""

    interior: Rgb = (0, 160, 255)
    hull: Rgb = (255, 32, 128)
    hole: Rgb = (255, 176, 0)
    vertex: Rgb = (32, 224, 64)
    checker_light: Rgb = (204, 204, 204)
    checker_dark: Rgb = (170, 170, 170)
    checker_size: int = 8
    margin: int = 8
    line_thickness: int = 2
    vertex_radius: int = 3
    target_size: int = 512
    """small images are enlarged by a whole factor until their longest side reaches this"""
    max_auto_scale: int = 16


def preview_scale(width: int, height: int, style: PreviewStyle = PreviewStyle()) -> int:
    """The whole-number enlargement :func:`render_preview` uses when given no ``scale``:
    1 for images whose longest side reaches ``style.target_size``, else up to
    ``style.max_auto_scale``."""
    longest = max(width, height, 1)
    return int(min(style.max_auto_scale, max(1, style.target_size // longest)))


def render_preview(
    rgba: npt.NDArray[np.uint8],
    mesh: Mesh,
    *,
    scale: float | None = None,
    style: PreviewStyle = PreviewStyle(),
) -> npt.NDArray[np.uint8]:
    """Draw ``mesh`` over ``rgba`` and return the picture, opaque RGBA.

    ``rgba``: (H, W, 4) uint8, the image the mesh was built from (``mesh.width`` x
    ``mesh.height``). ``scale``: output pixels per image pixel (> 0); default
    :func:`preview_scale`. Returns (round(H x scale) + 2 m, round(W x scale) + 2 m, 4)
    uint8 with m = ``style.margin`` and alpha 255; an image point ``(x, y)`` (pixel
    corners, as in :class:`Mesh`) lands at ``m + (x, y) x scale``. Deterministic: the
    same inputs give the same pixels. Raises ``ValueError`` if the image and mesh sizes
    differ or ``scale`` is not positive.
    """
    height, width = rgba.shape[:2]
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"render_preview needs (H, W, 4) uint8, got {rgba.shape} {rgba.dtype}")
    if (width, height) != (mesh.width, mesh.height):
        raise ValueError(f"image is {width}x{height} but the mesh is {mesh.width}x{mesh.height}")
    factor = float(preview_scale(width, height, style) if scale is None else scale)
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"scale must be positive, got {scale}")

    canvas = _backdrop(rgba, factor, style)
    m = style.margin

    def to_canvas(points: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
        # OpenCV puts pixel i's centre at i, so a pixel corner sits half a pixel before it
        return np.rint((m + points * factor - 0.5) * (1 << SHIFT)).astype(np.int32)

    pts = to_canvas(np.asarray(mesh.vertices, dtype=np.float64))
    draw_mesh(canvas, mesh, pts, style, style.line_thickness, style.vertex_radius)
    alpha = np.full((*canvas.shape[:2], 1), 255, dtype=np.uint8)
    return np.ascontiguousarray(np.concatenate([canvas, alpha], axis=2))


def draw_mesh(
    canvas: npt.NDArray[np.uint8],
    mesh: Mesh,
    points: npt.NDArray[np.int32],
    style: PreviewStyle,
    thickness: int,
    radius: int,
) -> None:
    """Draw ``mesh`` on ``canvas`` (H, W, 3) uint8 in place: interior edges, hole edges,
    the hull, then the vertices; ``points`` (n, 2) int32 are the vertices on the canvas
    in OpenCV fixed point (``SHIFT`` fractional bits)."""
    hull, hole, interior = edge_classes(mesh)
    for pairs, colour in ((interior, style.interior), (hole, style.hole), (hull, style.hull)):
        for a, b in pairs:
            cv2.line(
                canvas,
                (int(points[a, 0]), int(points[a, 1])),
                (int(points[b, 0]), int(points[b, 1])),
                colour,
                thickness,
                cv2.LINE_AA,
                SHIFT,
            )
    for x, y in points:
        cv2.circle(canvas, (int(x), int(y)), radius << SHIFT, style.vertex, -1, cv2.LINE_AA, SHIFT)


def _backdrop(
    rgba: npt.NDArray[np.uint8], factor: float, style: PreviewStyle
) -> npt.NDArray[np.uint8]:
    """(H', W', 3) uint8: the scaled image over a checkerboard, inside the margin."""
    height, width = rgba.shape[:2]
    out_w, out_h = max(1, round(width * factor)), max(1, round(height * factor))
    interpolation = cv2.INTER_NEAREST if factor >= 1 else cv2.INTER_AREA
    scaled = cv2.resize(rgba, (out_w, out_h), interpolation=interpolation)
    m = style.margin
    rows = np.arange(out_h + 2 * m)[:, None] // style.checker_size
    cols = np.arange(out_w + 2 * m)[None, :] // style.checker_size
    dark = ((rows + cols) % 2).astype(bool)
    board = np.where(
        dark[..., None],
        np.array(style.checker_dark, dtype=np.float64),
        np.array(style.checker_light, dtype=np.float64),
    )
    inner = board[m : m + out_h, m : m + out_w]
    alpha = scaled[..., 3:4].astype(np.float64) / 255.0
    inner[...] = scaled[..., :3].astype(np.float64) * alpha + inner * (1.0 - alpha)
    return np.ascontiguousarray(np.rint(board).astype(np.uint8))


def edge_classes(
    mesh: Mesh,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """Hull edges (the hull cycle), hole edges (``mesh.edges`` not on the hull) and
    interior edges (every other triangle edge), each sorted for a stable drawing order."""
    h = mesh.hull_count
    hull = [(i, (i + 1) % h) for i in range(h)]
    on_hull = {frozenset(e) for e in hull}
    hole_set = {
        (min(int(a), int(b)), max(int(a), int(b)))
        for a, b in np.asarray(mesh.edges).reshape(-1, 2)
        if frozenset((int(a), int(b))) not in on_hull
    }
    triangle_edges = {
        (min(int(t[i]), int(t[(i + 1) % 3])), max(int(t[i]), int(t[(i + 1) % 3])))
        for t in np.asarray(mesh.triangles).reshape(-1, 3)
        for i in range(3)
    }
    interior = sorted(
        e for e in triangle_edges if frozenset(e) not in on_hull and e not in hole_set
    )
    return hull, sorted(hole_set), interior
