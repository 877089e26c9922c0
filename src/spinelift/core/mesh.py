"""The Mesh value: what the engine returns, in image pixel space.

Coordinates are image pixels with the origin at the image's top-left corner,
x to the right and y down; a pixel ``(col, row)`` is the square
``[col, col+1] x [row, row+1]``. The Spine form (y up, centred, uvs, edges
times two) is made by :mod:`spinelift.spine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class MeshStats:
    """Figures measured while building a mesh (for summaries and benchmarks)."""

    kept_pixels: int
    """pixels whose alpha passed the threshold (after the island policy)"""
    islands: int
    """disconnected parts found in the mask"""
    holes_kept: int
    """holes left open in the mesh"""


@dataclass(frozen=True, eq=False)
class Mesh:
    """A triangle mesh ready to become a Spine mesh attachment.

    ``vertices``: (n, 2) float64, image pixels. The first ``hull_count`` are the
    hull, in order around the outline (clockwise on screen); after them come
    hole outlines (each in order) and interior vertices.
    ``triangles``: (m, 3) int32 indices into ``vertices``, all wound the same
    way (clockwise on screen, i.e. positive signed area in y-down coordinates).
    ``edges``: (k, 2) int32 vertex index pairs: the hull edges in order, then
    the hole edges (what Spine's editor shows as the mesh outline).
    ``width``, ``height``: the image size in pixels (the uv space).
    """

    vertices: FloatArray
    triangles: IntArray
    hull_count: int
    edges: IntArray
    width: int
    height: int
    stats: MeshStats = field(default_factory=lambda: MeshStats(0, 0, 0))

    @property
    def vertex_count(self) -> int:
        return int(self.vertices.shape[0])

    @property
    def triangle_count(self) -> int:
        return int(self.triangles.shape[0])

    @property
    def hull(self) -> FloatArray:
        """(hull_count, 2) float64: the hull polygon."""
        return self.vertices[: self.hull_count]

    def uvs(self) -> FloatArray:
        """(n, 2) float64 in [0, 1]: vertex positions divided by the image size."""
        scale = np.array([self.width, self.height], dtype=np.float64)
        return np.clip(self.vertices / scale, 0.0, 1.0)

    def triangle_areas(self) -> FloatArray:
        """(m,) float64: signed area of each triangle (positive = clockwise on screen)."""
        p = self.vertices[self.triangles]
        a, b, c = p[:, 0], p[:, 1], p[:, 2]
        cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (
            c[:, 0] - a[:, 0]
        )
        return np.asarray(cross * 0.5, dtype=np.float64)

    def area(self) -> float:
        """Area covered by the triangles, in px^2."""
        return float(np.abs(self.triangle_areas()).sum())

    def overdraw(self) -> float:
        """Mesh area beyond the kept pixels, as a fraction of the kept area (0.25 = 25%)."""
        kept = self.stats.kept_pixels
        if kept <= 0:
            return 0.0
        return max(0.0, self.area() - kept) / kept

    def min_angle(self) -> float:
        """Smallest interior angle of any triangle, in degrees."""
        p = self.vertices[self.triangles]
        angles = []
        for i in range(3):
            u = p[:, (i + 1) % 3] - p[:, i]
            v = p[:, (i + 2) % 3] - p[:, i]
            cos = (u * v).sum(axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
            angles.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
        return float(np.min(angles)) if self.triangle_count else 0.0
