"""Assertions every valid Spine mesh must pass, shared by the engine's tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spinelift.core import Mesh
from spinelift.core.metrics import clipped_pixels, uncovered_area


def _segments_cross(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> bool:
    def orient(
        a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], c: npt.NDArray[np.float64]
    ) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    d1, d2 = orient(q[0], q[1], p[0]), orient(q[0], q[1], p[1])
    d3, d4 = orient(p[0], p[1], q[0]), orient(p[0], p[1], q[1])
    return d1 * d2 < 0 and d3 * d4 < 0


def assert_valid_spine_mesh(mesh: Mesh) -> None:
    """Hull first and simple, triangles sound and wound alike, uvs in range, edges right."""
    n = mesh.vertex_count
    assert 3 <= mesh.hull_count <= n
    assert mesh.triangles.shape[1] == 3 and mesh.triangles.min() >= 0 and mesh.triangles.max() < n
    areas = mesh.triangle_areas()
    assert (areas > 0).all(), "every triangle non-degenerate and clockwise on screen"
    # every vertex belongs to some triangle
    assert set(np.unique(mesh.triangles).tolist()) == set(range(n))
    # the hull is a simple polygon: no two non-adjacent edges cross
    hull = mesh.hull
    h = len(hull)
    for i in range(h):
        for j in range(i + 2, h):
            if i == 0 and j == h - 1:
                continue
            assert not _segments_cross(hull[[i, (i + 1) % h]], hull[[j, (j + 1) % h]]), (i, j)
    # hull area (shoelace, clockwise on screen = positive) equals triangle area minus holes:
    # triangles neither overlap nor leave gaps
    x, y = hull[:, 0], hull[:, 1]
    hull_area = 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    assert hull_area > 0
    holes_area = 0.0
    start = h
    edges = mesh.edges.tolist()
    assert edges[:h] == [[i, (i + 1) % h] for i in range(h)], "hull edges first, in order"
    k = h
    while k < len(edges):
        a = edges[k][0]
        loop = [a]
        while edges[k][1] != a:
            k += 1
            loop.append(edges[k][0])
        k += 1
        ring = mesh.vertices[loop]
        rx, ry = ring[:, 0], ring[:, 1]
        holes_area += -0.5 * (np.dot(rx, np.roll(ry, -1)) - np.dot(ry, np.roll(rx, -1)))
        start += len(loop)
    assert np.isclose(areas.sum(), hull_area - holes_area, rtol=1e-9, atol=1e-6)
    uvs = mesh.uvs()
    assert uvs.min() >= 0.0 and uvs.max() <= 1.0
    assert np.allclose(uvs * [mesh.width, mesh.height], mesh.vertices)


def assert_covers(mesh: Mesh, mask: npt.NDArray[np.bool_]) -> None:
    """No kept pixel is clipped, not even a sliver of one."""
    assert uncovered_area(mask, mesh.vertices, mesh.triangles) < 1e-6
    assert clipped_pixels(mask, mesh.vertices, mesh.triangles) == 0
