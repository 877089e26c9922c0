"""The seed's naive mesh pipeline (seed 004, ``MeshProcessor.process_image``), as a baseline.

Steps and defaults as the seed names them, nothing improved:

1. mask = 255 where alpha > ``alpha_threshold`` (10), else 0;
2. ``cv2.GaussianBlur`` with a ``blur_kernel_size`` (1) square kernel, then
   ``cv2.threshold`` at ``binary_threshold`` (128) — with the defaults both are
   no-ops on a 0/255 mask;
3. ``cv2.findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)``; contours smaller than
   ``min_contour_area`` (10 px², ``cv2.contourArea``) are ignored, the largest
   one is kept (every other island is dropped);
4. ``cv2.approxPolyDP`` with epsilon = ``detail_factor`` (0.01) x ``arcLength``;
   fewer than 3 points is the seed's "insufficient vertices" failure;
5. Triangle with switches ``p`` (a constrained triangulation of the polygon, no
   interior vertices: the seed's ``internal_vertex_density`` defaults to 0) plus
   ``Q`` (quiet; changes nothing in the result).

OpenCV contour points are pixel *centres* ((c, r) of a boundary pixel), used
as-is as mesh coordinates in the pixel-square convention: the outline runs
through the middle of the boundary pixels, so the naive mesh clips half of every
boundary pixel before simplification cuts any corners. That is the point of
the baseline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import triangle


@dataclass(frozen=True, eq=False)
class NaiveResult:
    """The naive mesh or its failure.

    ``vertices`` (n, 2) float64 image pixels; ``triangles`` (m, 3) int32; the
    first ``hull_count`` vertices are the simplified polygon. On failure the
    arrays are empty and ``error`` says why.
    """

    vertices: npt.NDArray[np.float64]
    triangles: npt.NDArray[np.int32]
    hull_count: int
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def naive_mesh(
    rgba: npt.NDArray[np.uint8],
    *,
    alpha_threshold: int = 10,
    blur_kernel_size: int = 1,
    binary_threshold: int = 128,
    min_contour_area: float = 10.0,
    detail_factor: float = 0.01,
) -> NaiveResult:
    """Run the seed pipeline on ``rgba`` (H, W, 4) uint8; never raises."""
    start = time.perf_counter()
    try:
        verts, tris, hull = _naive(
            rgba, alpha_threshold, blur_kernel_size, binary_threshold, min_contour_area,
            detail_factor,
        )  # fmt: skip
    except Exception as exc:  # the baseline's failures are data, not crashes
        return NaiveResult(
            np.zeros((0, 2)), np.zeros((0, 3), dtype=np.int32), 0,
            time.perf_counter() - start, f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
    return NaiveResult(verts, tris, hull, time.perf_counter() - start)


class NaiveError(Exception):
    """The seed pipeline gave up (its ContourExtractionError / TriangulationError)."""


def _naive(
    rgba: npt.NDArray[np.uint8],
    alpha_threshold: int,
    blur_kernel_size: int,
    binary_threshold: int,
    min_contour_area: float,
    detail_factor: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], int]:
    mask = np.where(rgba[:, :, 3] > alpha_threshold, 255, 0).astype(np.uint8)
    k = blur_kernel_size if blur_kernel_size % 2 == 1 else blur_kernel_size + 1
    blurred = cv2.GaussianBlur(mask, (k, k), 0)
    _, binary = cv2.threshold(blurred, binary_threshold, 255, cv2.THRESH_BINARY)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    contours = [c for c in contours if cv2.contourArea(c) >= min_contour_area]
    if not contours:
        raise NaiveError(f"no contour of area >= {min_contour_area}")
    contour = max(contours, key=cv2.contourArea)
    epsilon = detail_factor * cv2.arcLength(contour, True)
    pts = cv2.approxPolyDP(contour, epsilon, True).reshape(-1, 2).astype(np.float64)
    if pts.shape[0] < 3:
        raise NaiveError(f"insufficient vertices: {pts.shape[0]} (minimum 3)")
    n = pts.shape[0]
    segments = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    result = triangle.triangulate({"vertices": pts, "segments": segments}, "pQ")
    tris = np.asarray(result.get("triangles", np.zeros((0, 3))), dtype=np.int32).reshape(-1, 3)
    if tris.shape[0] == 0:
        raise NaiveError(f"triangulation gave no triangles ({n} polygon points)")
    verts = np.asarray(result["vertices"], dtype=np.float64).reshape(-1, 2)
    return verts, tris, n
