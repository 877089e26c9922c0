"""Hull + holes (+ interior vertices) -> triangles, with the Triangle library.

The hull and hole outlines are constraint segments. By default no vertex is
ever added on them (Triangle's ``Y`` switch): the hull an artist sees is the
hull we computed. Interior vertices for deformation are laid on a triangular
lattice (near-equilateral triangles inside) and kept half a spacing clear of
every outline; a constrained Delaunay triangulation then joins everything.
Triangle's own refinement cannot add interior vertices without splitting the
hull, so it is used only when ``hull_steiner_points`` asks for that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import triangle as tr

from spinelift.core.outline import signed_area
from spinelift.core.polygon import outline_problem, ring_segments
from spinelift.errors import TriangulationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Triangulation:
    """``vertices`` (n, 2) float64: the input outline vertices first, in order, then interior ones.
    ``triangles`` (m, 3) int32, each with positive shoelace area (clockwise on screen)."""

    vertices: FloatArray
    triangles: IntArray


@dataclass(frozen=True, slots=True)
class InteriorSpec:
    """How many interior vertices to place and the quality rules for them.

    ``count``: target number of interior vertices (0 = none).
    ``min_triangle_area``: interior vertices touching smaller triangles (px^2) are removed.
    ``min_angle``: degrees, for Triangle's refinement when hull Steiner points are allowed.
    ``hull_steiner_points``: let Triangle split outline edges while refining.
    """

    count: int = 0
    min_triangle_area: float = 1.0
    min_angle: float = 25.0
    hull_steiner_points: bool = False


def triangulate(hull: FloatArray, holes: list[FloatArray], interior: InteriorSpec) -> Triangulation:
    """Triangulate the region inside ``hull`` (k, 2) and outside each hole ring."""
    rings = [hull, *holes]
    outline = np.concatenate(rings).astype(np.float64)
    segments = ring_segments([len(r) for r in rings])
    _check_simple(outline, segments)
    hole_points = [point_inside(h) for h in holes]
    area = abs(signed_area(hull)) - sum(abs(signed_area(h)) for h in holes)
    if interior.count > 0 and interior.hull_steiner_points:
        max_area = max(area / (2.0 * interior.count), interior.min_triangle_area * 2.0)
        switches = f"pq{interior.min_angle:.3f}a{max_area:.6f}"
        return _run(outline, segments, hole_points, switches)
    if interior.count > 0:
        spacing = math.sqrt(area / interior.count * 2.0 / math.sqrt(3.0))
        lattice = _lattice(rings, spacing)
        result = _run(np.concatenate([outline, lattice]), segments, hole_points, "pY")
        small = _vertices_of_small_triangles(result, len(outline), interior.min_triangle_area)
        if small.size:
            keep = np.setdiff1d(np.arange(len(outline), len(result.vertices)), small)
            points = np.concatenate([outline, result.vertices[keep]])
            result = _run(points, segments, hole_points, "pY")
        return result
    return _run(outline, segments, hole_points, "pY")


def _run(
    points: FloatArray, segments: IntArray, hole_points: list[FloatArray], switches: str
) -> Triangulation:
    data: dict[str, object] = {"vertices": points, "segments": segments}
    if hole_points:
        data["holes"] = np.asarray(hole_points, dtype=np.float64)
    try:
        out = tr.triangulate(data, switches)
    except Exception as exc:  # Triangle reports bad input as a bare RuntimeError
        raise TriangulationError(
            f"Triangle could not triangulate the outline: {exc}",
            details={"vertex_count": len(points)},
        ) from exc
    if "triangles" not in out or len(out["triangles"]) == 0:
        raise TriangulationError(
            "Failed to triangulate mesh: the outline encloses no area",
            details={"vertex_count": len(points), "minimum_required": 3},
        )
    vertices = np.asarray(out["vertices"], dtype=np.float64)
    triangles = np.asarray(out["triangles"], dtype=np.int32)
    p = vertices[triangles]
    cross = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 1, 1] - p[:, 0, 1]) * (
        p[:, 2, 0] - p[:, 0, 0]
    )
    flip = cross < 0
    triangles[flip] = triangles[flip][:, [0, 2, 1]]
    if (np.abs(cross) <= 1e-12).any():
        raise TriangulationError(
            "Failed to triangulate mesh: a degenerate (zero-area) triangle remained",
            details={"vertex_count": len(vertices)},
        )
    return Triangulation(vertices=vertices, triangles=triangles)


def _check_simple(points: FloatArray, segments: IntArray) -> None:
    """Refuse outlines Triangle cannot take (it crashes the process on some of them):
    repeated vertices, or outline edges that touch or cross other than at shared ends."""
    problem = outline_problem(points, segments)
    if problem is not None:
        raise TriangulationError(
            f"the mesh outline {problem}", details={"vertex_count": len(points)}
        )


def point_inside(ring: FloatArray) -> FloatArray:
    """A point strictly inside a simple ring: the centroid of its largest triangle."""
    out = tr.triangulate({"vertices": ring, "segments": ring_segments([len(ring)])}, "p")
    tris = np.asarray(out["vertices"])[np.asarray(out["triangles"])]
    cross = np.abs(
        (tris[:, 1, 0] - tris[:, 0, 0]) * (tris[:, 2, 1] - tris[:, 0, 1])
        - (tris[:, 1, 1] - tris[:, 0, 1]) * (tris[:, 2, 0] - tris[:, 0, 0])
    )
    return np.asarray(tris[int(np.argmax(cross))].mean(axis=0), dtype=np.float64)


def _lattice(rings: list[FloatArray], spacing: float) -> FloatArray:
    """Triangular-lattice points inside the hull, outside the holes, spacing/2 clear of rings."""
    hull = rings[0]
    lo, hi = hull.min(axis=0), hull.max(axis=0)
    row_step = spacing * math.sqrt(3.0) / 2.0
    rows = np.arange(lo[1] + row_step / 2.0, hi[1], row_step)
    points = []
    for r, y in enumerate(rows):
        shift = spacing / 2.0 if r % 2 else 0.0
        xs = np.arange(lo[0] + spacing / 2.0 + shift, hi[0], spacing)
        points.append(np.stack([xs, np.full_like(xs, y)], axis=1))
    if not points:
        return np.zeros((0, 2))
    candidates = np.concatenate(points)
    contours = [r.astype(np.float32).reshape(-1, 1, 2) for r in rings]
    keep = []
    for x, y in candidates:
        inside = cv2.pointPolygonTest(contours[0], (float(x), float(y)), True)
        if inside < spacing / 2.0:
            continue
        clear = True
        for hole in contours[1:]:
            if cv2.pointPolygonTest(hole, (float(x), float(y)), True) > -spacing / 2.0:
                clear = False
                break
        if clear:
            keep.append((x, y))
    return np.asarray(keep, dtype=np.float64).reshape(-1, 2)


def _vertices_of_small_triangles(
    result: Triangulation, first_interior: int, min_area: float
) -> IntArray:
    p = result.vertices[result.triangles]
    area = 0.5 * np.abs(
        (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
        - (p[:, 1, 1] - p[:, 0, 1]) * (p[:, 2, 0] - p[:, 0, 0])
    )
    small = result.triangles[area < min_area].ravel()
    return np.unique(small[small >= first_interior]).astype(np.int32)
