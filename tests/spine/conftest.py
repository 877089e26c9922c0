"""Hand-made meshes for the Spine tests (no engine involved)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from spinelift.core.mesh import Mesh


def ring_mesh() -> Mesh:
    """A 13 x 10 image: a rectangle hull (1, 1)-(12.25, 9) with a square hole (4, 3)-(8, 7).

    Hull first, clockwise on screen; then the hole; triangles clockwise on screen.
    """
    vertices = np.array(
        [[1, 1], [12.25, 1], [12.25, 9], [1, 9], [4, 3], [4, 7], [8, 7], [8, 3]],
        dtype=np.float64,
    )
    triangles = np.array(
        [[0, 1, 7], [0, 7, 4], [1, 2, 6], [1, 6, 7], [2, 3, 5], [2, 5, 6], [3, 0, 4], [3, 4, 5]],
        dtype=np.int32,
    )
    edges = np.array(
        [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4]], dtype=np.int32
    )
    return Mesh(vertices, triangles, 4, edges, 13, 10)


@pytest.fixture
def ring() -> Mesh:
    return ring_mesh()


@pytest.fixture
def make_ring() -> Callable[[], Mesh]:
    return ring_mesh
