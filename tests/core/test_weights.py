"""Bone weights (core.weights), bone choice (core.bind_bones), bending vertices (core.bind_mesh)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinelift.core.bind_bones import ChoiceRules, choose_bones
from spinelift.core.bind_mesh import add_bone_vertices, outline_rings
from spinelift.core.pipeline import build_mesh
from spinelift.core.weights import bone_weights, cotangent_laplacian, segment_distances
from spinelift.errors import InvalidParametersError


def bar(width: int = 200, height: int = 40) -> np.ndarray:
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[4:-4, 4:-4] = 255
    return rgba


TWO_BONES = np.array([[[4.0, 20.0], [100.0, 20.0]], [[100.0, 20.0], [196.0, 20.0]]])


def bent_mesh():
    return add_bone_vertices(build_mesh(bar()), TWO_BONES)


@pytest.mark.parametrize("method", ["heat", "inverse_square", "blend"])
def test_rows_sum_to_one_with_at_most_max_influences(method: str) -> None:
    mesh = bent_mesh()
    bones = np.array([*TWO_BONES, [[50.0, 10.0], [50.0, 10.0]]])
    weights = bone_weights(mesh.vertices, mesh.triangles, bones, method=method, max_influences=2)  # type: ignore[arg-type]
    assert weights.shape == (mesh.vertex_count, 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert (weights >= 0).all()
    assert ((weights > 0).sum(axis=1) <= 2).all()


def test_each_end_of_the_bar_follows_its_own_bone() -> None:
    mesh = bent_mesh()
    weights = bone_weights(mesh.vertices, mesh.triangles, TWO_BONES)
    left = mesh.vertices[:, 0] < 40
    right = mesh.vertices[:, 0] > 160
    assert weights[left, 0].min() > 0.8
    assert weights[right, 1].min() > 0.8
    joint = np.abs(mesh.vertices[:, 0] - 100) < 8
    assert 0.3 < weights[joint, 0].mean() < 0.7  # the joint blends both bones
    assert ((weights[joint, 0] > 0.2) & (weights[joint, 0] < 0.8)).any()


def test_one_bone_gives_weight_one_everywhere() -> None:
    mesh = build_mesh(bar())
    weights = bone_weights(mesh.vertices, mesh.triangles, TWO_BONES[:1])
    np.testing.assert_array_equal(weights, np.ones((mesh.vertex_count, 1)))


def test_bias_below_one_favours_a_bone() -> None:
    mesh = bent_mesh()
    plain = bone_weights(mesh.vertices, mesh.triangles, TWO_BONES)
    favoured = bone_weights(mesh.vertices, mesh.triangles, TWO_BONES, bias=np.array([0.5, 1.0]))
    assert favoured[:, 0].sum() > plain[:, 0].sum() + 1.0


def test_zero_length_bone_is_a_point_and_broad_bones_take_a_share_everywhere() -> None:
    mesh = bent_mesh()
    point = np.array([[[100.0, 20.0], [100.0, 20.0]]])
    bones = np.concatenate([TWO_BONES, point])
    weights = bone_weights(
        mesh.vertices, mesh.triangles, bones, broad=np.array([False, False, True])
    )
    assert weights[:, 2].min() > 0.1  # a broad control reaches every vertex
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    d = segment_distances(np.array([[100.0, 25.0]]), point)
    assert d[0, 0] == pytest.approx(5.0)


def test_bad_inputs_are_refused_with_a_code() -> None:
    mesh = bent_mesh()
    with pytest.raises(InvalidParametersError):
        bone_weights(mesh.vertices, mesh.triangles, np.zeros((0, 2, 2)))
    with pytest.raises(InvalidParametersError):
        bone_weights(mesh.vertices, mesh.triangles, TWO_BONES, bias=np.array([1.0, -1.0]))
    with pytest.raises(InvalidParametersError):
        bone_weights(mesh.vertices, mesh.triangles, TWO_BONES, max_influences=0)


def test_cotangent_laplacian_rows_sum_to_zero_and_areas_cover_the_mesh() -> None:
    mesh = bent_mesh()
    laplacian, areas = cotangent_laplacian(mesh.vertices, mesh.triangles)
    np.testing.assert_allclose(np.asarray(laplacian.sum(axis=1)).ravel(), 0.0, atol=1e-9)
    assert areas.sum() == pytest.approx(mesh.area())


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-50, 250), st.floats(-50, 90), st.floats(-50, 250), st.floats(-50, 90)),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 4),
)
def test_any_bones_give_valid_rows(raw: list[tuple[float, ...]], influences: int) -> None:
    mesh = bent_mesh()
    segments = np.array(raw, dtype=np.float64).reshape(-1, 2, 2)
    weights = bone_weights(mesh.vertices, mesh.triangles, segments, max_influences=influences)
    assert np.isfinite(weights).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert ((weights > 0).sum(axis=1) <= influences).all()


def test_bone_vertices_keep_the_outline_and_add_interior_points_along_bones() -> None:
    base = build_mesh(bar())
    bent = bent_mesh()
    hull = [tuple(v) for v in bent.vertices[: bent.hull_count]]
    original = [tuple(v) for v in base.vertices[: base.hull_count]]
    positions = [hull.index(v) for v in original]  # every hull vertex kept, in order
    start = positions.index(min(positions))
    assert positions[start:] + positions[:start] == sorted(positions)
    assert bent.vertex_count > base.vertex_count + 10
    assert (bent.triangle_areas() > 0).all()
    assert bent.area() == pytest.approx(base.area())
    on_bone = np.abs(bent.vertices[base.hull_count :, 1] - 20.0) < 0.5
    assert on_bone.sum() >= 5
    assert bent.min_angle() > 10.0
    assert len(outline_rings(bent)) == 1


def test_bone_choice_follows_the_hierarchy_and_stops_at_other_art() -> None:
    # 0 root, 1 torso (slot bone), 2 spine child over the art, 3 arm child over the art
    # but carrying its own art, 4 hand under the arm, 5 sibling of torso over the art
    segments = np.array(
        [
            [[0, 0], [0, 0]],
            [[0, 0], [0, 50]],
            [[0, 50], [0, 90]],
            [[0, 60], [15, 60]],
            [[15, 60], [25, 60]],
            [[5, 0], [5, 80]],
        ],
        dtype=np.float64,
    )
    parents = np.array([-1, 0, 1, 1, 3, 0])
    art = np.array([[x, y] for x in range(-20, 21, 5) for y in range(0, 100, 5)], dtype=np.float64)
    blocked = np.array([False, False, False, True, False, False])
    choice = choose_bones(segments, parents, 1, art, blocked=blocked)
    assert choice.bones.tolist() == [1, 2]
    assert choice.bias[0] < choice.bias[1]
    free = choose_bones(segments, parents, 1, art)
    assert set(free.bones.tolist()) == {1, 2, 3, 4}
    with_siblings = choose_bones(
        segments, parents, 1, art, blocked=blocked, rules=ChoiceRules(sibling_bias=1.2)
    )
    assert 5 in with_siblings.bones.tolist()
    unusable = choose_bones(
        segments, parents, 1, art, usable=np.array([True, True, False, True, True, True])
    )
    assert 2 not in unusable.bones.tolist()
    far_art = art + 1000.0
    assert choose_bones(segments, parents, 1, far_art).bones.tolist() == [1]
