"""The engine's shortcuts give exactly what the plain way gives.

Each fast path (holes labelled in their border's box, the simplifier's grid, the
all-pairs simplicity test, the chord walk without a loop) is checked against the
plain way of computing the same thing on Hypothesis masks and rings: equal
outputs, value for value, so meshes stay byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import cv2
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinelift.core import holes, outline, polygon, ring
from spinelift.core.polygon import SimplifyLimits, ring_segments, simplify_ring
from tests.core.test_coverage_property import masks

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _holes_by_full_labelling(mask: np.ndarray, min_area: float, eps: float) -> list[np.ndarray]:
    """The plain way: label the whole background, keep parts that miss the border."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (~mask).astype(np.uint8), connectivity=4
    )
    height, width = mask.shape
    result: list[np.ndarray] = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if x == 0 or y == 0 or x + w == width or y + h == height or area < min_area:
            continue
        part = (labels[y : y + h, x : x + w] == label).astype(np.uint8)
        contours, _ = cv2.findContours(part, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if len(contours) != 1:
            continue
        contour = contours[0].reshape(-1, 2) + np.array([x, y], dtype=np.int32)
        result.extend(holes._inner_polygons(contour, min_area, eps))
    return result


@contextmanager
def _patched(module: object, name: str, value: object) -> Iterator[None]:
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(
        p.shape == q.shape and (p == q).all() for p, q in zip(a, b, strict=True)
    )


@SETTINGS
@given(masks(), st.sampled_from([1.0, 4.0, 10.0]))
def test_holes_found_in_their_borders_boxes_are_the_images_holes(
    mask: np.ndarray, min_area: float
) -> None:
    inverted = ~mask  # holes of the background too: art inside holes, nested holes
    for m in (mask, inverted):
        _, borders = outline.outer_contours(m)
        found = holes.hole_polygons(m, min_area, 0.5, borders)
        assert _same(found, _holes_by_full_labelling(m, min_area, 0.5))


def test_nested_holes_are_found_once_in_scan_order() -> None:
    mask = np.zeros((60, 60), dtype=bool)
    mask[2:58, 2:58] = True
    mask[6:34, 6:34] = False  # a hole ...
    mask[12:28, 12:28] = True  # ... with an island ...
    mask[16:24, 16:24] = False  # ... with its own hole
    mask[30:33, 30:33] = True  # and a speck in the big hole
    mask[40:46, 44:52] = False  # two more holes, the later one higher up
    mask[48:54, 6:14] = False
    _, borders = outline.outer_contours(mask)
    found = holes.hole_polygons(mask, 1.0, 0.5, borders)
    # the big hole holds art (filled); the inner one lies in two border boxes: once
    assert [round(float(p[:, 1].min())) for p in found] == [17, 41, 49]
    assert _same(found, _holes_by_full_labelling(mask, 1.0, 0.5))


def _rings(mask: np.ndarray) -> list[np.ndarray]:
    contours, _ = outline.outer_contours(mask)
    h, w = mask.shape
    out = []
    for eps in (0.25, 1.0):
        for path in outline.covering_polygons(contours, w, h, eps):
            out.append(outline.hull_ring(path))
    return out


@SETTINGS
@given(masks(), st.sampled_from([0.0, 0.5, 4.0, 40.0]), st.sampled_from([0, 3, 5, 9]))
def test_simplifier_grid_changes_nothing(mask: np.ndarray, cost: float, budget: int) -> None:
    h, w = mask.shape
    limits = SimplifyLimits(cost, budget, fill_depth=1.0, bounds=(float(w), float(h)))
    for points in _rings(mask):
        with _patched(ring, "GRID_MIN", 10**9):
            plain = simplify_ring(points, limits)
        with _patched(ring, "GRID_MIN", 0):
            gridded = simplify_ring(points, limits)
        assert plain.shape == gridded.shape and (plain == gridded).all()


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=3, max_size=14))
def test_all_pairs_simplicity_test_agrees_with_edge_by_edge(
    corners: list[tuple[int, int]],
) -> None:
    points = np.asarray(corners, dtype=np.float64) * 0.5
    segments = ring_segments([len(points)])
    pairwise = polygon.outline_problem(points, segments)
    with _patched(polygon, "_PAIRWISE_MAX", 0):
        assert polygon.outline_problem(points, segments) == pairwise


@SETTINGS
@given(masks(), st.sampled_from([0.5, 1.0, 3.0]))
def test_chord_owners_without_a_walk_match_the_walk(mask: np.ndarray, eps: float) -> None:
    contours, _ = outline.outer_contours(mask)
    for contour in contours:
        simplified = cv2.approxPolyDP(contour.reshape(-1, 1, 2), eps, True).reshape(-1, 2)
        fast = outline._chord_owners(contour, simplified)
        keys = contour[:, 0].astype(np.int64) * (1 << 32) + contour[:, 1]
        wanted = simplified[:, 0].astype(np.int64) * (1 << 32) + simplified[:, 1]
        start = int(np.flatnonzero(keys == wanted[0])[0])
        rolled = np.roll(keys, -start)
        order = np.argsort(rolled, kind="stable")
        walked = outline._walk(order, rolled[order], wanted)
        if walked is None:
            assert fast is None
            continue
        owner = np.searchsorted(walked, np.arange(len(contour)), side="right") - 1
        assert fast is not None and (fast == np.roll(owner, start)).all()
