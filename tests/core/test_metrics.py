"""The coverage oracle, on cases whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinelift.core.metrics import (
    SCALE,
    clipped_mask,
    clipped_pixels,
    hull_vertex_count,
    kept_mask,
    mesh_area,
    min_angle,
    overdraw,
    pixel_coverage,
    pixel_region,
    region_area,
    uncovered_area,
)


def quad(x0: float, y0: float, x1: float, y1: float) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned rectangle as two triangles."""
    v = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    return v, np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32)


def poly_fan(points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Convex polygon as a triangle fan."""
    v = np.array(points, dtype=np.float64)
    t = np.array([[0, i, i + 1] for i in range(1, len(points) - 1)], dtype=np.int32)
    return v, t


def mask_of(rows: list[str]) -> np.ndarray:
    return np.array([[ch == "#" for ch in row] for row in rows], dtype=bool)


# -- kept mask and pixel region -------------------------------------------------------


def test_kept_mask_is_alpha_strictly_above_threshold() -> None:
    rgba = np.zeros((1, 3, 4), dtype=np.uint8)
    rgba[0, :, 3] = [10, 11, 255]
    assert kept_mask(rgba, 10).tolist() == [[False, True, True]]


def test_pixel_region_is_exact_union_of_squares() -> None:
    mask = mask_of(["##.", ".##", "..#"])
    region = pixel_region(mask)
    assert region_area(region) == 5.0
    # every vertex is on the pixel-corner grid
    assert all(x % SCALE == 0 and y % SCALE == 0 for path in region for x, y in path)


def test_pixel_region_of_a_ring_has_a_hole() -> None:
    mask = mask_of(["###", "#.#", "###"])
    region = pixel_region(mask)
    assert len(region) == 2
    assert region_area(region) == 8.0


def test_pixel_region_of_empty_mask_is_empty() -> None:
    assert pixel_region(np.zeros((4, 4), dtype=bool)) == []


# -- areas ------------------------------------------------------------------------------


def test_mesh_area_counts_overlaps_once_and_either_winding() -> None:
    v, t = quad(0, 0, 2, 2)
    flipped = t[:, ::-1]
    both = np.concatenate([t, flipped])  # the same square twice, once each way
    assert mesh_area(v, both) == pytest.approx(4.0, abs=1e-9)


def test_uncovered_area_of_a_full_cover_is_zero() -> None:
    mask = np.ones((3, 4), dtype=bool)
    v, t = quad(0, 0, 4, 3)
    assert uncovered_area(mask, v, t) == 0.0
    assert overdraw(mask, v, t) == 0.0


def test_uncovered_area_of_half_a_pixel() -> None:
    mask = np.ones((1, 2), dtype=bool)
    v, t = quad(0, 0, 1.5, 1)
    assert uncovered_area(mask, v, t) == pytest.approx(0.5, abs=1e-9)


def test_overdraw_is_mesh_beyond_kept_over_kept() -> None:
    mask = np.zeros((4, 4), dtype=bool)
    mask[1:3, 1:3] = True  # 4 kept px
    v, t = quad(0, 0, 4, 4)  # 16 px² mesh: 12 px² beyond the art
    assert overdraw(mask, v, t) == pytest.approx(3.0)
    v, t = quad(1, 1, 3, 2)  # covers only the top half of the art: no overdraw
    assert overdraw(mask, v, t) == pytest.approx(0.0)
    v, t = quad(0, 1, 3, 2)  # 3 px², covers 2 kept: 1 px² over, / 4
    assert overdraw(mask, v, t) == pytest.approx(0.25)


def test_overdraw_of_empty_mask() -> None:
    v, t = quad(0, 0, 1, 1)
    assert overdraw(np.zeros((2, 2), dtype=bool), v, t) == math.inf
    assert overdraw(np.zeros((2, 2), dtype=bool), v, t[:0]) == 0.0


# -- clipped pixels ---------------------------------------------------------------------


def test_mesh_covering_all_clips_nothing() -> None:
    mask = mask_of([".##.", "####", ".##."])
    v, t = quad(0, 0, 4, 3)
    assert clipped_pixels(mask, v, t) == 0


def test_mesh_exactly_on_the_pixel_outline_clips_nothing() -> None:
    # an L shape meshed exactly along its pixel outline
    mask = mask_of(["#.", "##"])
    v = np.array([[0, 0], [1, 0], [1, 1], [2, 1], [2, 2], [0, 2]], dtype=np.float64)
    t = np.array([[0, 1, 2], [0, 2, 5], [2, 3, 4], [2, 4, 5]], dtype=np.int32)
    assert clipped_pixels(mask, v, t) == 0
    assert overdraw(mask, v, t) == 0.0


def test_mesh_that_misses_one_pixel() -> None:
    mask = np.ones((3, 3), dtype=bool)
    v, t = quad(0, 0, 3, 2)  # bottom row uncovered
    v2, t2 = quad(0, 2, 2, 3)  # ... except its first two pixels
    verts = np.concatenate([v, v2])
    tris = np.concatenate([t, t2 + 4])
    assert clipped_pixels(mask, verts, tris) == 1
    assert clipped_mask(mask, verts, tris)[2, 2]
    assert uncovered_area(mask, verts, tris) == pytest.approx(1.0)


def test_mesh_that_cuts_exactly_half_a_pixel() -> None:
    mask = np.ones((2, 2), dtype=bool)
    v, t = quad(0, 0, 2, 1.5)  # the bottom row is half covered
    cov = pixel_coverage(mask.shape, v, t)
    np.testing.assert_allclose(cov, [[1, 1], [0.5, 0.5]], atol=1e-12)
    assert clipped_pixels(mask, v, t) == 2


def test_diagonal_sliver() -> None:
    # the triangle (0,0) (3,0) (3,3) over a 3x3 kept block: the diagonal halves the
    # three pixels it crosses; pixels below it are missed entirely
    mask = np.ones((3, 3), dtype=bool)
    v = np.array([[0, 0], [3, 0], [3, 3]], dtype=np.float64)
    t = np.array([[0, 1, 2]], dtype=np.int32)
    cov = pixel_coverage(mask.shape, v, t)
    np.testing.assert_allclose(cov, [[0.5, 1, 1], [0, 0.5, 1], [0, 0, 0.5]], atol=1e-12)
    assert clipped_pixels(mask, v, t) == 6
    assert uncovered_area(mask, v, t) == pytest.approx(4.5)


def test_thin_sliver_below_tolerance_is_not_clipped_but_above_is() -> None:
    mask = np.ones((1, 1), dtype=bool)
    # a hull corner pulled in by 1e-3 px along one edge: a sliver of 0.5e-3 px² outside
    v = np.array([[0, 0], [1, 0], [1, 1], [0.0, 1.0]], dtype=np.float64)
    v_cut = v.copy()
    v_cut[3] = [1e-3, 1.0]
    t = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32)
    assert clipped_pixels(mask, v, t) == 0
    assert clipped_pixels(mask, v_cut, t) == 1
    assert clipped_pixels(mask, v_cut, t, tol=1e-3) == 0
    assert pixel_coverage(mask.shape, v_cut, t)[0, 0] == pytest.approx(1 - 5e-4, abs=3e-5)


def test_mesh_beyond_the_image_is_clipped_to_it() -> None:
    mask = np.ones((2, 2), dtype=bool)
    v, t = quad(-5, -5, 7, 1)  # covers the top row, far past the image
    cov = pixel_coverage(mask.shape, v, t)
    np.testing.assert_allclose(cov, [[1, 1], [0, 0]], atol=1e-12)


def test_mesh_with_hole() -> None:
    # a 3x3 frame mesh whose hole is the middle pixel
    mask = np.ones((3, 3), dtype=bool)
    parts = [quad(0, 0, 3, 1), quad(0, 2, 3, 3), quad(0, 1, 1, 2), quad(2, 1, 3, 2)]
    verts = np.concatenate([p[0] for p in parts])
    tris = np.concatenate([p[1] + 4 * i for i, p in enumerate(parts)])
    assert clipped_mask(mask, verts, tris).tolist() == [
        [False, False, False],
        [False, True, False],
        [False, False, False],
    ]


def test_empty_mesh_clips_every_kept_pixel() -> None:
    mask = mask_of(["#.#", "###"])
    v = np.zeros((0, 2))
    t = np.zeros((0, 3), dtype=np.int32)
    assert clipped_pixels(mask, v, t) == 5
    assert uncovered_area(mask, v, t) == 5.0


# -- shape ------------------------------------------------------------------------------


def test_min_angle() -> None:
    v, t = quad(0, 0, 1, 1)
    assert min_angle(v, t) == pytest.approx(45.0)
    eq = np.array([[0, 0], [1, 0], [0.5, math.sqrt(3) / 2]])
    assert min_angle(eq, np.array([[0, 1, 2]])) == pytest.approx(60.0)
    flat = np.array([[0, 0], [1, 0], [2, 0]], dtype=np.float64)
    assert min_angle(flat, np.array([[0, 1, 2]])) == 0.0
    assert math.isnan(min_angle(v, np.zeros((0, 3), dtype=np.int32)))


def test_hull_vertex_count_ignores_collinear_and_repeated_points() -> None:
    square = np.array([[0, 0], [1, 0], [2, 0], [2, 2], [2, 2], [0, 2]], dtype=np.float64)
    assert hull_vertex_count(square) == 4


# -- properties: the two methods agree --------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    h=st.integers(1, 12),
    w=st.integers(1, 12),
)
def test_coverage_and_clipper_difference_agree(seed: int, h: int, w: int) -> None:
    rng = np.random.default_rng(seed)
    mask = rng.random((h, w)) < 0.6
    n = int(rng.integers(3, 9))
    verts = rng.uniform(-2, max(h, w) + 2, size=(n, 2))
    tris = rng.integers(0, n, size=(int(rng.integers(1, 6)), 3))
    cov = pixel_coverage(mask.shape, verts, tris)
    assert np.all((cov >= 0) & (cov <= 1))
    by_pixels = float((1.0 - cov)[mask].sum())
    # each method rounds vertices to 2**-16 px: up to ~2.2e-5 px² per pixel (module docstring)
    assert by_pixels == pytest.approx(uncovered_area(mask, verts, tris), abs=2.5e-5 * (h * w + 1))
    inside = pixel_coverage((h, w), *quad(0, 0, w, h))
    assert np.all(inside == 1.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_coverage_sums_to_mesh_area_inside_the_image(seed: int) -> None:
    rng = np.random.default_rng(seed)
    verts = rng.uniform(0, 10, size=(6, 2))
    tris = rng.integers(0, 6, size=(4, 3))
    cov = pixel_coverage((10, 10), verts, tris)
    assert cov.sum() == pytest.approx(mesh_area(verts, tris), abs=1e-6)
