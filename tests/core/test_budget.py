"""The vertex-budget optimiser (core.budget.tighten) and the corner outlines it starts from."""

from __future__ import annotations

import numpy as np
import pyclipper as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinelift.core import MeshSettings, build_mesh, metrics
from spinelift.core.budget import FINE, tighten
from spinelift.core.outline import (
    SCALE,
    bridge,
    clip_to_image,
    corner_contours,
    covering_region,
    hull_ring,
    signed_area,
)
from spinelift.core.polygon import SimplifyLimits, ring_is_simple, simplify_ring
from spinelift.core.triangulate import InteriorSpec, triangulate
from tests.core import shapes
from tests.core.mesh_checks import assert_covers, assert_valid_spine_mesh
from tests.core.test_coverage_property import masks

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


Paths = list[list[list[int]]]


def _reference_and_hull(mask: np.ndarray, budget: int) -> tuple[Paths, np.ndarray]:
    h, w = mask.shape
    region = covering_region(corner_contours(mask), 0.0, corners=True)
    polygons = clip_to_image(region, w, h)
    outline = polygons[0] if len(polygons) == 1 else bridge(polygons, w, h)
    limits = SimplifyLimits(0.0, budget, bounds=(float(w), float(h)))
    return region, simplify_ring(hull_ring(outline), limits)


def _lost(region: Paths, ring: np.ndarray, width: int, height: int) -> float:
    """Area (px^2) of ``region`` inside the image but outside ``ring``, by Clipper on the
    grid tighten() checks on (``FINE`` times the outline's): the ring's corners rounded
    to 2^-20 px. On the outline's own 1/256 px grid, rounding a free corner moves its
    edges by up to 1/512 px, which alone shows as ~0.002 px^2 along a 12 px edge."""
    reference = [
        [[x * FINE, y * FINE] for x, y in path] for path in clip_to_image(region, width, height)
    ]
    unit = SCALE * FINE
    path = [[round(x * unit), round(y * unit)] for x, y in ring]
    clipper = pc.Pyclipper()
    clipper.AddPaths(reference, pc.PT_SUBJECT, True)
    clipper.AddPath(path, pc.PT_CLIP, True)
    rest = clipper.Execute(pc.CT_DIFFERENCE, pc.PFT_NONZERO, pc.PFT_NONZERO)
    return float(sum(abs(pc.Area(p)) for p in rest)) / unit**2


def _clipped(mask: np.ndarray, ring: np.ndarray) -> int:
    """Kept pixels the ring does not cover, by the exact oracle (core.metrics)."""
    tri = triangulate(ring, [], InteriorSpec())
    return metrics.clipped_pixels(mask, tri.vertices, tri.triangles)


@SETTINGS
@given(masks(), st.sampled_from([4, 5, 6, 8, 12]))
def test_tightening_keeps_coverage_count_and_simplicity_and_never_grows(
    mask: np.ndarray, budget: int
) -> None:
    reference, hull = _reference_and_hull(mask, budget)
    if not ring_is_simple(hull):
        return  # the pipeline takes another candidate then; nothing to tighten
    h, w = mask.shape
    tight = tighten(hull, reference, (float(w), float(h)))
    assert tight.shape == hull.shape
    assert ring_is_simple(tight)
    assert signed_area(tight) <= signed_area(hull) + 1e-9
    assert _clipped(mask, tight) == 0
    # of the reference (art + 1/32 px), only what rounding to the grid can take
    assert _lost(reference, tight, w, h) <= _lost(reference, hull, w, h) + 1e-3
    assert (tight >= 0).all() and (tight[:, 0] <= w).all() and (tight[:, 1] <= h).all()
    again = tighten(hull, reference, (float(w), float(h)))
    assert again.tobytes() == tight.tobytes()  # deterministic


def test_tightening_shrinks_a_loose_quad_around_a_diamond() -> None:
    mask = np.zeros((31, 31), dtype=bool)
    for y in range(5, 26):  # a diamond of 221 pixels in the middle
        half = 10 - abs(15 - y)
        mask[y, 15 - half : 16 + half] = True
    reference, _ = _reference_and_hull(mask, 4)
    box = np.array([[0.0, 0.0], [31.0, 0.0], [31.0, 31.0], [0.0, 31.0]])
    tight = tighten(box, reference, (31.0, 31.0), passes=30)
    assert signed_area(tight) < 0.6 * signed_area(box)  # 961 px^2 down to under 577
    assert _clipped(mask, tight) == 0
    assert _lost(reference, tight, 31, 31) <= 1e-3


def test_a_lone_pixel_is_meshed_as_its_own_square() -> None:
    mask = np.zeros((9, 9), dtype=bool)
    mask[4, 4] = True
    mesh = build_mesh(shapes.rgba_from_mask(mask), MeshSettings(max_hull_vertices=4))
    assert_valid_spine_mesh(mesh)
    assert_covers(mesh, mask)
    # the corner outline needs no margin beyond SAFETY (1/32 px) on each side
    assert metrics.mesh_area(mesh.vertices, mesh.triangles) <= (1 + 2 / 32) ** 2 + 1e-9


@SETTINGS
@given(masks(), st.sampled_from([3, 4, 6, 10]))
def test_budget_meshes_cover_and_are_deterministic(mask: np.ndarray, budget: int) -> None:
    rgba = shapes.rgba_from_mask(mask)
    settings_ = MeshSettings(max_hull_vertices=budget, detail_factor=0.001)
    mesh = build_mesh(rgba, settings_)
    assert_valid_spine_mesh(mesh)
    assert_covers(mesh, mask)
    assert mesh.hull_count <= max(budget, 4)
    again = build_mesh(rgba, settings_)
    assert again.vertices.tobytes() == mesh.vertices.tobytes()
    assert again.triangles.tobytes() == mesh.triangles.tobytes()
