"""build_mesh: every kept pixel covered, valid Spine meshes, islands, holes, errors."""

from __future__ import annotations

import numpy as np
import pytest

from spinelift.core import HolePolicy, IslandPolicy, MeshSettings, build_mesh
from spinelift.core.metrics import clipped_pixels
from spinelift.core.pipeline import STEPS
from spinelift.errors import (
    EmptyImageError,
    ImageLoadError,
    ImageTooLargeError,
    UnsupportedImageError,
)
from tests.core import shapes
from tests.core.mesh_checks import assert_covers, assert_valid_spine_mesh


def _kept(img: np.ndarray, threshold: int = 10) -> np.ndarray:
    return np.asarray(img[:, :, 3] > threshold)


@pytest.mark.parametrize(
    "img",
    [
        shapes.two_eyes(),
        shapes.ring(),
        shapes.diagonal_stroke(),
        shapes.diagonal_stroke(thickness=3),
        shapes.comb(),
        shapes.soft_blob(),
    ],
    ids=["two_eyes", "ring", "stroke1", "stroke3", "comb", "soft_blob"],
)
@pytest.mark.parametrize("detail", [0.001, 0.01, 0.05])
def test_named_shapes_are_covered_and_valid(img: np.ndarray, detail: float) -> None:
    mesh = build_mesh(img, MeshSettings(detail_factor=detail))
    assert_valid_spine_mesh(mesh)
    assert_covers(mesh, _kept(img))


def test_both_eyes_are_kept_in_one_hull() -> None:
    img = shapes.two_eyes()
    mesh = build_mesh(img)
    assert mesh.stats.islands == 2
    assert_covers(mesh, _kept(img))
    # the bridge between them is narrow: far less area than the convex hull of both
    assert mesh.overdraw() < 0.5


def test_largest_island_policy_drops_the_other_eye_on_purpose() -> None:
    img = shapes.two_eyes()
    mesh = build_mesh(img, MeshSettings(island_policy=IslandPolicy.LARGEST))
    assert clipped_pixels(_kept(img), mesh.vertices, mesh.triangles) > 400
    assert mesh.vertices[:, 0].max() < 45


def test_drop_small_islands_drops_specks_only() -> None:
    img = shapes.two_eyes()
    img[35, 85] = (0, 0, 0, 255)  # a one-pixel speck
    mesh = build_mesh(img, MeshSettings(island_policy=IslandPolicy.DROP_SMALL))
    kept = _kept(img)
    kept[35, 85] = False
    assert_covers(mesh, kept)
    assert mesh.vertices[:, 1].max() < 35


def test_hole_is_kept_or_filled_by_setting() -> None:
    img = shapes.ring()
    kept = build_mesh(img, MeshSettings(detail_factor=0.005))
    filled = build_mesh(img, MeshSettings(detail_factor=0.005, hole_policy=HolePolicy.FILL))
    assert kept.stats.holes_kept == 1 and filled.stats.holes_kept == 0
    assert kept.area() < filled.area() - 500
    for mesh in (kept, filled):
        assert_valid_spine_mesh(mesh)
        assert_covers(mesh, _kept(img))


def test_small_hole_below_min_contour_area_is_filled() -> None:
    img = shapes.ring(inner=4)
    mesh = build_mesh(img, MeshSettings(detail_factor=0.001, min_contour_area=100))
    assert mesh.stats.holes_kept == 0


def test_fully_opaque_image_is_its_rectangle() -> None:
    img = np.full((30, 50, 4), 255, dtype=np.uint8)
    mesh = build_mesh(img)
    assert mesh.hull_count == 4 and mesh.triangle_count == 2
    assert mesh.area() == pytest.approx(1500)
    assert mesh.overdraw() == 0


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (9, 1)])
def test_tiny_images(shape: tuple[int, int]) -> None:
    img = np.full((*shape, 4), 255, dtype=np.uint8)
    mesh = build_mesh(img)
    assert_valid_spine_mesh(mesh)
    assert_covers(mesh, _kept(img))


def test_one_pixel_islands_are_covered() -> None:
    mask = np.zeros((20, 20), dtype=bool)
    mask[[2, 5, 17, 11], [3, 16, 2, 11]] = True
    img = shapes.rgba_from_mask(mask)
    mesh = build_mesh(img)
    assert mesh.stats.islands == 4
    assert_valid_spine_mesh(mesh)
    assert_covers(mesh, mask)


def test_interior_vertices_are_added_without_touching_the_hull() -> None:
    img = shapes.soft_blob()
    plain = build_mesh(img)
    dense = build_mesh(img, MeshSettings(internal_vertex_density=100, density_scaling_factor=100))
    assert dense.vertex_count > plain.vertex_count + 20
    assert dense.hull_count == plain.hull_count
    assert np.array_equal(dense.hull, plain.hull)
    assert_valid_spine_mesh(dense)
    assert_covers(dense, _kept(img))
    # between interior vertices the lattice gives equilateral triangles (60 degrees), and
    # never worse than 30-30-120 where the lattice's edge meets a gap
    interior = dense.triangles[(dense.triangles >= dense.hull_count).all(axis=1)]
    assert len(interior) > 10
    p = dense.vertices[interior]
    sides = np.linalg.norm(p - np.roll(p, 1, axis=1), axis=2)
    equilateral = (sides.max(axis=1) / sides.min(axis=1)) < 1.01
    assert equilateral.mean() > 0.8
    sub = type(dense)(dense.vertices, interior, dense.hull_count, dense.edges, 1, 1)
    assert sub.min_angle() >= 29.9


def test_hull_steiner_points_when_asked() -> None:
    img = shapes.soft_blob()
    mesh = build_mesh(
        img,
        MeshSettings(
            internal_vertex_density=100,
            density_scaling_factor=100,
            hull_steiner_points=True,
            min_angle=30,
        ),
    )
    assert_valid_spine_mesh(mesh)
    assert_covers(mesh, _kept(img))
    assert mesh.min_angle() >= 20


def test_vertex_budget_is_met() -> None:
    img = shapes.comb()
    for budget in (4, 6, 10):
        mesh = build_mesh(img, MeshSettings(detail_factor=0.001, max_hull_vertices=budget))
        assert mesh.hull_count <= budget
        assert_covers(mesh, _kept(img))


def test_detail_knob_trades_vertices_for_overdraw() -> None:
    img = shapes.soft_blob()
    meshes = [build_mesh(img, MeshSettings(detail_factor=d)) for d in (0.001, 0.005, 0.01, 0.03)]
    hulls = [m.hull_count for m in meshes]
    overdraws = [m.overdraw() for m in meshes]
    assert hulls == sorted(hulls, reverse=True) and hulls[0] > hulls[-1]
    assert overdraws == sorted(overdraws) and overdraws[0] < overdraws[-1]


def test_concave_factor_fills_shallow_bays() -> None:
    img = shapes.comb()
    tight = build_mesh(img, MeshSettings(detail_factor=0.001))
    filled = build_mesh(img, MeshSettings(detail_factor=0.001, concave_factor=60))
    assert filled.hull_count < tight.hull_count
    assert filled.area() > tight.area()


def test_padding_covers_a_margin_around_the_art() -> None:
    img = np.zeros((40, 40, 4), dtype=np.uint8)
    img[15:25, 15:25, 3] = 255
    mesh = build_mesh(img, MeshSettings(padding=3))
    margin = np.zeros((40, 40), dtype=bool)
    margin[13:27, 13:27] = True  # 2 px all round, corners included
    margin[12:28, 15:25] = True  # 3 px straight out from each side
    margin[15:25, 12:28] = True
    assert_covers(mesh, margin)


def test_blur_never_loses_a_pixel() -> None:
    img = shapes.diagonal_stroke()
    mesh = build_mesh(img, MeshSettings(blur_kernel_size=9, binary_threshold=250))
    assert_covers(mesh, _kept(img))


def test_deterministic() -> None:
    img = shapes.soft_blob()
    settings = MeshSettings(internal_vertex_density=40)
    a, b = build_mesh(img, settings), build_mesh(img.copy(), settings)
    assert np.array_equal(a.vertices, b.vertices)
    assert np.array_equal(a.triangles, b.triangles)
    assert np.array_equal(a.edges, b.edges)


def test_progress_follows_the_seed_steps() -> None:
    seen: list[tuple[int, str]] = []
    build_mesh(shapes.two_eyes(), progress=lambda p, m: seen.append((p, m)))
    assert [p for p, _ in seen] == [10, 20, 30, 40, 50, 70, 85, 95, 100]
    assert seen == list(STEPS.values())


def test_no_opaque_pixel_is_a_clear_error() -> None:
    img = np.zeros((10, 10, 4), dtype=np.uint8)
    img[..., 3] = 10  # at the threshold: not kept
    with pytest.raises(EmptyImageError) as err:
        build_mesh(img)
    assert err.value.code == "NO_OPAQUE_PIXELS"
    assert "alpha_threshold" in err.value.message


def test_too_large_is_refused_before_work() -> None:
    img = np.zeros((10, 5000, 4), dtype=np.uint8)
    with pytest.raises(ImageTooLargeError) as err:
        build_mesh(img)
    assert err.value.details == {"width": 5000, "height": 10, "max_dimension": 4096}


@pytest.mark.parametrize(
    ("img", "error"),
    [
        (np.zeros((4, 4, 3), dtype=np.uint8), UnsupportedImageError),
        (np.zeros((4, 4, 4), dtype=np.uint16), UnsupportedImageError),
        (np.zeros((0, 4, 4), dtype=np.uint8), ImageLoadError),
    ],
)
def test_malformed_arrays_are_clear_errors(img: np.ndarray, error: type[Exception]) -> None:
    with pytest.raises(error):
        build_mesh(img)
