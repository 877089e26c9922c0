"""build_mesh: one RGBA image in, one Mesh out. Composes the stages, nothing else.

Progress is reported at seed 004's steps (percent, message):
10 loading, 20 mask, 30 contours, 40 main contour, 50 simplify,
70 triangulate, 85 UVs, 95 edges, 100 complete.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

from spinelift.core.budget import tighten
from spinelift.core.edges import order_outline
from spinelift.core.holes import hole_polygons
from spinelift.core.mask import build_masks, count
from spinelift.core.mesh import Mesh, MeshStats
from spinelift.core.outline import (
    bridge,
    clip_to_image,
    corner_contours,
    covering_region,
    hull_ring,
    outer_contours,
    signed_area,
)
from spinelift.core.polygon import SimplifyLimits, ring_is_simple, simplify_ring
from spinelift.core.settings import HolePolicy, MeshSettings
from spinelift.core.triangulate import InteriorSpec, triangulate
from spinelift.errors import (
    ContourExtractionError,
    ImageLoadError,
    ImageTooLargeError,
    UnsupportedImageError,
)

Progress = Callable[[int, str], None]
"""Called with (percent 0-100, message) as each stage starts."""

DEFAULT_MAX_DIMENSION = 4096
"""Seed 004's ``max_image_dimension``."""

EXACT_OUTLINE_MAX = 400
"""With a vertex budget, parts whose corner outline has at most this many points also start
the simplifier from that outline itself (no tolerance): tightest, cheap only when small."""

STEPS: dict[str, tuple[int, str]] = {
    "load": (10, "Loading image..."),
    "mask": (20, "Creating mask..."),
    "contours": (30, "Processing contours..."),
    "main_contour": (40, "Finding main contour..."),
    "simplify": (50, "Simplifying contour..."),
    "triangulate": (70, "Triangulating mesh..."),
    "uvs": (85, "Generating UV coordinates..."),
    "edges": (95, "Calculating edges..."),
    "done": (100, "Mesh generation complete"),
}


def build_mesh(
    rgba: npt.NDArray[np.uint8],
    settings: MeshSettings | None = None,
    progress: Progress | None = None,
    *,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> Mesh:
    """Mesh the pixels of ``rgba`` (H, W, 4) uint8 whose alpha passes the threshold.

    Every kept pixel square lies inside the result (see :mod:`spinelift.core.outline`).
    Raises a :class:`~spinelift.errors.MeshGenerationError` subclass on bad input.
    """
    settings = settings or MeshSettings()

    def step(name: str) -> None:
        if progress is not None:
            progress(*STEPS[name])

    step("load")
    _check_image(rgba, max_dimension)
    height, width = rgba.shape[:2]

    step("mask")
    masks = build_masks(rgba, settings)
    kept_pixels = count(masks.kept)

    step("contours")
    contours, hole_borders = outer_contours(masks.shape)
    if not contours:
        raise ContourExtractionError("no outline found in the mask")

    step("main_contour")
    seed_eps = _seed_tolerance(count(masks.shape))
    outlines = []
    reference: list[list[list[int]]] = []  # the finest region, unclipped: for tighten()
    corners = corner_contours(masks.shape)
    small = sum(len(c) for c in corners) <= EXACT_OUTLINE_MAX
    exact = small and settings.max_hull_vertices > 0
    for eps in ((0.0,) if exact else ()) + (seed_eps, seed_eps * 2.5, seed_eps * 6.0):
        region = covering_region(corners, eps, corners=True)
        reference = reference or region
        polygons = clip_to_image(region, width, height)
        if polygons:
            outlines.append(polygons[0] if len(polygons) == 1 else bridge(polygons, width, height))
    if not outlines:
        raise ContourExtractionError("the outline vanished when clipped to the image")

    step("simplify")
    cost_limit = settings.overdraw_per_vertex() * kept_pixels
    limits = SimplifyLimits(
        cost_limit=cost_limit,
        max_vertices=settings.max_hull_vertices,
        fill_depth=settings.concave_factor,
        bounds=(float(width), float(height)),
    )
    candidates = [_simplified_hull(outline, limits) for outline in outlines]
    simple = [ring for ring in candidates if ring_is_simple(ring)]
    if not simple:  # Clipper can leave a ring touching itself at a point: take its hull
        simple = [_simplified_hull(_convex(outlines[-1]), limits)]
    if settings.max_hull_vertices:  # at a budget, each candidate is tightened in place
        bounds = (float(width), float(height))
        simple = [tighten(ring, reference, bounds) for ring in simple]
    hull = min(simple, key=lambda ring: signed_area(ring) + cost_limit * len(ring))
    holes = []
    if hole_borders and settings.hole_policy is HolePolicy.KEEP:
        shape, min_area = masks.shape, settings.min_contour_area
        for candidate in hole_polygons(shape, min_area, seed_eps, hole_borders):
            ring = simplify_ring(candidate, SimplifyLimits(cost_limit=cost_limit))
            area = -signed_area(ring)
            worth_it = area >= settings.min_contour_area and area >= len(ring) * cost_limit
            if worth_it and ring_is_simple(ring):  # a hole that touches itself is filled
                holes.append(ring)

    step("triangulate")
    mesh_area = signed_area(hull) - sum(-signed_area(h) for h in holes)
    interior = InteriorSpec(
        count=round(
            settings.internal_vertex_density / 100.0 * mesh_area / settings.density_scaling_factor
        ),
        min_triangle_area=settings.min_triangle_area,
        min_angle=settings.min_angle,
        hull_steiner_points=settings.hull_steiner_points,
    )
    tri = triangulate(hull, holes, interior)

    step("uvs")
    vertices = np.clip(tri.vertices, [0.0, 0.0], [float(width), float(height)])

    step("edges")
    ordered = order_outline(vertices, tri.triangles)

    step("done")
    return Mesh(
        vertices=ordered.vertices,
        triangles=ordered.triangles,
        hull_count=ordered.hull_count,
        edges=ordered.edges,
        width=width,
        height=height,
        stats=MeshStats(
            kept_pixels=kept_pixels,
            islands=masks.islands or len(contours),
            holes_kept=len(holes),
        ),
    )


def _check_image(rgba: npt.NDArray[np.uint8], max_dimension: int) -> None:
    if not isinstance(rgba, np.ndarray) or rgba.ndim != 3 or rgba.shape[2] != 4:
        shape = getattr(rgba, "shape", None)
        raise UnsupportedImageError(
            f"expected an RGBA image of shape (height, width, 4), got {shape}",
            details={"shape": list(shape) if shape is not None else None},
        )
    if rgba.dtype != np.uint8:
        raise UnsupportedImageError(
            f"expected 8-bit channels (uint8), got {rgba.dtype}; convert the image to 8-bit RGBA",
            details={"dtype": str(rgba.dtype)},
        )
    height, width = rgba.shape[:2]
    if height == 0 or width == 0:
        raise ImageLoadError(
            f"the image is empty ({width}x{height} pixels)",
            details={"width": width, "height": height},
        )
    if max(height, width) > max_dimension:
        raise ImageTooLargeError(
            f"the image is {width}x{height} pixels; the largest side allowed is {max_dimension}",
            details={"width": width, "height": height, "max_dimension": max_dimension},
        )


def _seed_tolerance(area: int) -> float:
    """Tolerance (px) of the first, exact-coverage simplification: finer for small parts."""
    return max(0.25, min(3.0, math.sqrt(area) / 300.0))


def _simplified_hull(outline: list[list[int]], limits: SimplifyLimits) -> npt.NDArray[np.float64]:
    hull = simplify_ring(hull_ring(outline), limits)
    if limits.max_vertices and len(hull) > limits.max_vertices:
        hull = _meet_budget(hull, limits)
    return hull


def _convex(outline: list[list[int]]) -> list[list[int]]:
    """The convex hull of an outline (Clipper units): simple by construction."""
    points = np.asarray(outline, dtype=np.int64).reshape(-1, 1, 2).astype(np.int32)
    path: list[list[int]] = cv2.convexHull(points).reshape(-1, 2).astype(np.int64).tolist()
    return path


def _meet_budget(hull: npt.NDArray[np.float64], limits: SimplifyLimits) -> npt.NDArray[np.float64]:
    """When the greedy is blocked above the vertex budget: shrink the convex hull instead.

    Both fallbacks contain the hull, so coverage holds; the bounding box (4
    vertices) always fits in the image, which a triangle may not (budget 3 is
    then missed by one).
    """
    points = np.ascontiguousarray(hull, dtype=np.float32).reshape(-1, 1, 2)
    corners = cv2.convexHull(points, returnPoints=False).ravel()
    # the hull's own vertices, in the hull's order: exact (no float32) and clockwise
    convex = hull[np.unique(corners)]
    candidate = simplify_ring(convex, limits)
    if len(candidate) <= max(limits.max_vertices, 4):
        return candidate
    lo, hi = hull.min(axis=0), hull.max(axis=0)
    return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
