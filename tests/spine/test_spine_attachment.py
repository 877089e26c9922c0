"""A core Mesh becomes the mesh attachment the Spine runtimes read.

The conventions checked here are those of spine-ts ``SkeletonJson.readAttachment``
(case "mesh"), ``MeshAttachment.updateRegion`` and ``RegionAttachment.computeUVs``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinelift.core.mesh import Mesh
from spinelift.errors import TriangulationError
from spinelift.spine import MAX_SPINE_VERTICES, dumps, mesh_attachment

GOLDEN = Path(__file__).parent / "data" / "ring_attachment.json"


def test_golden_json_for_a_hand_made_mesh(ring: Mesh) -> None:
    # hand-checked: (1, 1) on a 13 x 10 image -> x = 1 - 6.5, y = 5 - 1; u = 1/13
    assert dumps(mesh_attachment(ring)) + "\n" == GOLDEN.read_text(encoding="utf-8")


def test_keys_come_in_the_order_spine_writes_them(ring: Mesh) -> None:
    att = mesh_attachment(ring, name="ring", path="parts/ring")
    assert list(att) == [
        "type", "name", "path", "uvs", "triangles", "vertices", "hull", "edges", "width", "height"
    ]  # fmt: skip
    assert "name" not in mesh_attachment(ring) and "path" not in mesh_attachment(ring)


def test_vertices_are_centred_with_y_up(ring: Mesh) -> None:
    vertices = np.array(mesh_attachment(ring)["vertices"]).reshape(-1, 2)
    assert vertices[0].tolist() == [1 - 13 / 2, 10 / 2 - 1]
    # the top-left image corner would be (-w/2, +h/2): y grows upwards
    assert vertices[:, 1].max() == 4 and vertices[:, 1].min() == -4


def test_unweighted_mesh_has_as_many_vertex_values_as_uv_values(ring: Mesh) -> None:
    # the runtime reads a mesh as unweighted exactly when these lengths match
    att = mesh_attachment(ring)
    assert len(att["vertices"]) == len(att["uvs"]) == 2 * ring.vertex_count


def test_hull_is_a_vertex_count_and_edges_index_the_float_array(ring: Mesh) -> None:
    att = mesh_attachment(ring)
    assert att["hull"] == 4  # the runtime stores hullLength = hull * 2
    assert att["edges"] == [2 * int(i) for i in ring.edges.ravel()]
    assert all(e % 2 == 0 for e in att["edges"])


def test_triangles_stay_clockwise_once_y_points_up(ring: Mesh) -> None:
    # flipping y flips the sign of the area and the viewer's sense together: still clockwise,
    # like the hand-made meshes in Esoteric's examples
    att = mesh_attachment(ring)
    v = np.array(att["vertices"], dtype=np.float64).reshape(-1, 2)
    p = v[np.array(att["triangles"]).reshape(-1, 3)]
    a, b, c = p[:, 0], p[:, 1], p[:, 2]
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    assert (cross < 0).all()


def test_scale_multiplies_vertices_and_size_but_not_uvs(ring: Mesh) -> None:
    plain, half = mesh_attachment(ring), mesh_attachment(ring, scale=0.5)
    assert half["uvs"] == plain["uvs"]
    assert half["vertices"] == [v * 0.5 for v in plain["vertices"]]
    assert (half["width"], half["height"]) == (6.5, 5)


def test_integral_values_are_ints_and_there_is_no_negative_zero() -> None:
    vertices = np.array([[0, 0], [4, 0], [4, 4], [2, 2.0000001]], dtype=np.float64)
    mesh = Mesh(
        vertices,
        np.array([[0, 1, 3], [1, 2, 3], [2, 0, 3]], dtype=np.int32),
        3,
        np.array([[0, 1], [1, 2], [2, 0]], dtype=np.int32),
        4,
        4,
    )
    text = dumps(mesh_attachment(mesh))
    assert "-0," not in text and "-0]" not in text and ".0," not in text
    att = json.loads(text)
    assert att["vertices"][-2:] == [0, 0]  # 2 - 4/2 and 4/2 - 2.0000001 rounded
    assert all(isinstance(v, int) for v in att["vertices"][:6])


@given(
    width=st.integers(1, 8192),
    height=st.integers(1, 8192),
    fractions=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=20),
)
def test_uvs_times_size_land_on_the_vertices_within_two_thousandths_of_a_pixel(
    width: int, height: int, fractions: list[tuple[float, float]]
) -> None:
    points = np.array(fractions, dtype=np.float64) * [width, height]
    n = len(points)
    triangles = np.array([[0, i, i + 1] for i in range(1, n - 1)], dtype=np.int32)
    mesh = Mesh(points, triangles, n, np.zeros((0, 2), dtype=np.int32), width, height)
    att = json.loads(dumps(mesh_attachment(mesh)))
    uvs = np.array(att["uvs"]).reshape(-1, 2)
    vertices = np.array(att["vertices"]).reshape(-1, 2)
    assert ((uvs >= 0) & (uvs <= 1)).all()
    from_uvs = np.column_stack([uvs[:, 0] * width - width / 2, height / 2 - uvs[:, 1] * height])
    assert np.abs(from_uvs - vertices).max() < 0.002
    image_space = np.column_stack([vertices[:, 0] + width / 2, height / 2 - vertices[:, 1]])
    assert np.abs(image_space - points).max() < 0.002


def test_equal_meshes_give_byte_identical_json(make_ring: Callable[[], Mesh]) -> None:
    assert dumps(mesh_attachment(make_ring())) == dumps(mesh_attachment(make_ring()))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"triangles": np.array([[0, 1, 9]], dtype=np.int32)}, "does not exist"),
        ({"triangles": np.zeros((0, 3), dtype=np.int32)}, "m > 0"),
        ({"hull_count": 2}, "hull_count"),
        ({"edges": np.array([[0, 8]], dtype=np.int32)}, "edge"),
        ({"width": 0}, "image size"),
    ],
)
def test_a_mesh_spine_cannot_hold_is_refused(
    ring: Mesh, change: dict[str, object], problem: str
) -> None:
    fields = {
        "vertices": ring.vertices,
        "triangles": ring.triangles,
        "hull_count": ring.hull_count,
        "edges": ring.edges,
        "width": ring.width,
        "height": ring.height,
    }
    fields.update(change)
    with pytest.raises(TriangulationError, match=problem):
        mesh_attachment(Mesh(**fields))  # type: ignore[arg-type]


def test_more_vertices_than_spine_indexes_is_refused() -> None:
    n = MAX_SPINE_VERTICES + 1
    vertices = np.zeros((n, 2), dtype=np.float64)
    mesh = Mesh(
        vertices, np.array([[0, 1, 2]], dtype=np.int32), 3, np.zeros((0, 2), np.int32), 4, 4
    )
    with pytest.raises(TriangulationError, match="at most"):
        mesh_attachment(mesh)


def test_non_finite_scale_is_refused(ring: Mesh) -> None:
    with pytest.raises(TriangulationError, match="scale"):
        mesh_attachment(ring, scale=float("nan"))
