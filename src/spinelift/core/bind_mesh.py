"""Interior vertices where bones bend the art: a Mesh re-triangulated for deformation.

:func:`add_bone_vertices` keeps the mesh's outline exactly (hull and holes: the same
polygons, their vertices in the same order, with vertices added only ON long edges so the
triangles along them are well shaped; coverage is unchanged) and puts interior vertices

* along every bone segment that crosses the art, twice as dense as elsewhere;
* around every joint (a segment end inside the art): a ring across the bone, where the
  art folds;
* on a triangular lattice everywhere else, so far parts still bend smoothly;

then joins everything with a constrained Delaunay triangulation (Triangle) with a
minimum angle asked for the interior. Points closer than a third of the spacing to the
outline or to each other are dropped first, so triangles stay well shaped. All in the
mesh's pixel space (y down).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import triangle as tr

from spinelift.core.edges import order_outline
from spinelift.core.mesh import Mesh
from spinelift.core.outline import signed_area
from spinelift.core.polygon import ring_segments
from spinelift.core.triangulate import point_inside
from spinelift.errors import TriangulationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]

DEFAULT_DIVISIONS = 7.0
"""Lattice spacing is sqrt(area) / this: about 40-50 interior vertices on a compact part."""


def outline_rings(mesh: Mesh) -> list[FloatArray]:
    """The mesh's outline loops as point rings: the hull first, then each hole."""
    rings: list[FloatArray] = []
    edges = np.asarray(mesh.edges)
    start = 0
    while start < len(edges):
        first = int(edges[start, 0])
        loop = [first]
        k = start
        while int(edges[k, 1]) != first:
            k += 1
            loop.append(int(edges[k, 0]))
        rings.append(mesh.vertices[loop])
        start = k + 1
    return rings


def add_bone_vertices(
    mesh: Mesh,
    segments: FloatArray,
    *,
    spacing: float | None = None,
    min_angle: float = 20.0,
    max_interior: int = 400,
) -> Mesh:
    """A copy of ``mesh`` with interior vertices for bending (see the module docstring).

    ``segments``: (b, 2, 2) float64 bone segments ``[start, end]`` in the mesh's pixel
    space (a zero-length bone is a point: it gets a joint ring when inside the art).
    ``spacing``: lattice spacing in pixels (default sqrt(area) / 7, at least 4 px).
    ``max_interior`` caps the interior vertices (the spacing grows until it fits).
    The outline keeps its vertices, in order (hull first); edges longer than the
    spacing get evenly spaced vertices on them, so the outline is the same polygon.
    """
    rings = outline_rings(mesh)
    hull = rings[0]
    area = abs(signed_area(hull)) - sum(abs(signed_area(r)) for r in rings[1:])
    if spacing is None:
        spacing = max(4.0, math.sqrt(max(area, 1.0)) / DEFAULT_DIVISIONS)
    contours = [r.astype(np.float32).reshape(-1, 1, 2) for r in rings]
    # long outline edges get vertices on them (the outline itself is unchanged), so the
    # triangles along them are not slivers
    rings = [_subdivide(r, spacing) for r in rings]
    points = _candidates(hull, segments, spacing)
    kept = _keep_inside(points, contours, spacing / 3.0)
    kept = _thin(kept, spacing * 0.45)
    while len(kept) > max_interior:
        spacing *= 1.25
        kept = _thin(
            _keep_inside(_candidates(hull, segments, spacing), contours, spacing / 3),
            spacing * 0.45,
        )
    outline = np.concatenate(rings)
    data: dict[str, object] = {
        "vertices": np.concatenate([outline, kept]) if len(kept) else outline,
        "segments": ring_segments([len(r) for r in rings]),
    }
    if len(rings) > 1:
        data["holes"] = np.asarray([point_inside(r) for r in rings[1:]], dtype=np.float64)
    result = _triangulate(data, f"pYq{min_angle:.3f}", len(outline) + len(kept) * 3 + 64)
    if result is None:
        result = _triangulate(data, "pY", None)
    assert result is not None
    vertices, triangles = result
    ordered = order_outline(vertices, triangles)
    return Mesh(
        vertices=ordered.vertices,
        triangles=ordered.triangles,
        hull_count=ordered.hull_count,
        edges=ordered.edges,
        width=mesh.width,
        height=mesh.height,
        stats=mesh.stats,
    )


def _subdivide(ring: FloatArray, spacing: float) -> FloatArray:
    """``ring`` with evenly spaced points added on every edge longer than ``spacing``."""
    out = []
    for a, b in zip(ring, np.roll(ring, -1, axis=0), strict=True):
        pieces = max(1, math.ceil(float(np.hypot(*(b - a))) / spacing))
        t = np.arange(pieces)[:, None] / pieces
        out.append(a + t * (b - a))
    return np.concatenate(out)


def _candidates(hull: FloatArray, segments: FloatArray, spacing: float) -> FloatArray:
    """Joint rings first, then points along bones, then the lattice (priority order)."""
    joints: list[FloatArray] = []
    along: list[FloatArray] = []
    for start, end in np.asarray(segments, dtype=np.float64).reshape(-1, 2, 2):
        vector = end - start
        length = float(np.hypot(*vector))
        for centre in (start, end) if length > 1e-9 else (start,):
            angles = np.linspace(0.0, 2.0 * math.pi, 6, endpoint=False)
            ring = centre + 0.6 * spacing * np.stack([np.cos(angles), np.sin(angles)], axis=1)
            joints.append(np.concatenate([centre[None], ring]))
        if length > 1e-9:
            steps = max(1, math.ceil(length / (spacing * 0.5)))
            t = np.linspace(0.0, 1.0, steps + 1)[1:-1]
            normal = np.array([-vector[1], vector[0]]) / length
            line = start + t[:, None] * vector
            along.extend([line, line + normal * spacing * 0.5, line - normal * spacing * 0.5])
    lattice = _lattice(hull, spacing)
    parts = [*joints, *along, lattice]
    return np.concatenate([p.reshape(-1, 2) for p in parts]) if parts else np.zeros((0, 2))


def _lattice(hull: FloatArray, spacing: float) -> FloatArray:
    lo, hi = hull.min(axis=0), hull.max(axis=0)
    row = spacing * math.sqrt(3.0) / 2.0
    ys = np.arange(lo[1] + row / 2.0, hi[1], row)
    rows = []
    for r, y in enumerate(ys):
        xs = np.arange(lo[0] + spacing / 2.0 + (spacing / 2.0 if r % 2 else 0.0), hi[0], spacing)
        rows.append(np.stack([xs, np.full_like(xs, y)], axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, 2))


def _keep_inside(
    points: FloatArray, contours: list[npt.NDArray[np.float32]], clear: float
) -> FloatArray:
    keep = []
    for x, y in points:
        p = (float(x), float(y))
        if cv2.pointPolygonTest(contours[0], p, True) < clear:
            continue
        if any(cv2.pointPolygonTest(h, p, True) > -clear for h in contours[1:]):
            continue
        keep.append((x, y))
    return np.asarray(keep, dtype=np.float64).reshape(-1, 2)


def _thin(points: FloatArray, radius: float) -> FloatArray:
    """Greedy: keep points in order, dropping any closer than ``radius`` to a kept one."""
    if len(points) == 0:
        return points
    cell = radius
    grid: dict[tuple[int, int], list[int]] = {}
    kept: list[int] = []
    r2 = radius * radius
    for i, (x, y) in enumerate(points):
        cx, cy = math.floor(x / cell), math.floor(y / cell)
        near = False
        for gx in (cx - 1, cx, cx + 1):
            for gy in (cy - 1, cy, cy + 1):
                for j in grid.get((gx, gy), ()):
                    if (points[j, 0] - x) ** 2 + (points[j, 1] - y) ** 2 < r2:
                        near = True
                        break
                if near:
                    break
            if near:
                break
        if not near:
            kept.append(i)
            grid.setdefault((cx, cy), []).append(i)
    return points[kept]


def _triangulate(
    data: dict[str, object], switches: str, max_vertices: int | None
) -> tuple[FloatArray, IntArray] | None:
    try:
        out = tr.triangulate(data, switches)
    except Exception as exc:  # Triangle reports bad input as a bare RuntimeError
        raise TriangulationError(f"Triangle could not triangulate the outline: {exc}") from exc
    vertices = np.asarray(out.get("vertices", np.zeros((0, 2))), dtype=np.float64)
    triangles = np.asarray(out.get("triangles", np.zeros((0, 3))), dtype=np.int32)
    if max_vertices is not None and len(vertices) > max_vertices:
        return None  # quality refinement ran away (tiny angles on the outline): plain CDT
    if len(triangles) == 0:
        raise TriangulationError("the mesh outline encloses no area")
    p = vertices[triangles]
    cross = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 1, 1] - p[:, 0, 1]) * (
        p[:, 2, 0] - p[:, 0, 0]
    )
    flip = cross < 0
    triangles[flip] = triangles[flip][:, [0, 2, 1]]
    return vertices, triangles
