"""Mask -> polygons that cover every kept pixel square (outer) or stay clear of them (holes).

Geometry is done with Clipper (pyclipper) on an integer grid of ``SCALE``
units per pixel, so unions, offsets and clips are exact and deterministic.

Why the outer polygon covers every kept pixel (not only its centre):
``findContours`` gives, for each 8-connected part, the closed path ``C``
through the centres of its boundary pixels; every pixel centre of the part
lies in the region ``R(C)``. ``approxPolyDP`` with tolerance ``eps`` gives a
polygon ``Q`` whose boundary is within ``eps`` of ``C`` (Hausdorff), hence
``R(C)`` lies inside ``Q`` grown by ``eps`` with its pockets filled. A pixel
square is its centre grown by half a pixel, which lies inside a disk of radius
``sqrt(2)/2``. So growing ``Q`` by ``eps + sqrt(2)/2 + SAFETY`` (a mitred
offset contains the round one) and filling holes covers every pixel square,
with ``SAFETY`` to spare for rounding. Holes are the mirror image, and are
additionally clipped to the exact polygon through the hole's pixel centres.

Tighter, through pixel *corners* (what the engine uses for the hull): mark every
pixel corner that touches a kept pixel (a 2x2 dilation onto the (H+1, W+1) grid
of corners) and trace that mask's outer contours ``C`` through corner points.
A kept pixel's square has its four corners in the mask, a 2x2 block, and the
region of an 8-connected contour holds every such block, so ``R(C)`` already
holds every kept pixel square: the growth is ``eps + SAFETY``, without the
``sqrt(2)/2`` (with ``eps = 0`` the outline lies on the art's own pixel edges,
bevelled at diagonal steps, plus ``SAFETY``). Corners that touch two kept pixels
one pixel apart join them, so one-pixel gaps between parts are covered too.

Size: over 300 lines, on purpose: the covering outline and its proof are one argument;
holes.py and ring.py hold what could be split off.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pyclipper as pc

from spinelift.core.mask import BoolMask, as_bytes

SCALE = 256
"""Clipper integer units per pixel."""
SAFETY = 1.0 / 32.0
"""Margin in pixels kept between the mesh and the pixels it must cover or avoid."""
BRIDGE_HALF_WIDTH = 1.0
"""Half width in pixels of the corridor that joins two islands."""
MITER_LIMIT = 2.0

FloatArray = npt.NDArray[np.float64]
IntPath = list[list[int]]


def to_int(points: npt.NDArray[Any]) -> IntPath:
    """(k, 2) integer pixel indices -> Clipper path through the pixel centres."""
    path: IntPath = (points.reshape(-1, 2).astype(np.int64) * SCALE + SCALE // 2).tolist()
    return path


def _corners_to_int(points: npt.NDArray[Any]) -> IntPath:
    """(k, 2) integer corner indices -> Clipper path through those pixel corners."""
    path: IntPath = (points.reshape(-1, 2).astype(np.int64) * SCALE).tolist()
    return path


def to_float(path: IntPath) -> FloatArray:
    return np.asarray(path, dtype=np.float64).reshape(-1, 2) / SCALE


def new_clipper() -> pc.Pyclipper:
    """A Clipper whose results are strictly simple: polygons that touch at a point come
    out as separate polygons, never as one ring visiting a vertex twice (Triangle and
    the simplifier both need simple rings)."""
    clipper = pc.Pyclipper()
    clipper.StrictlySimple = True
    return clipper


def outer_paths(tree: pc.PyPolyNode) -> list[IntPath]:
    """Top-level (non-hole) contours of a Clipper PolyTree: union with holes filled."""
    return [child.Contour for child in tree.Childs if len(child.Contour) >= 3]


def clip_to_image(paths: list[IntPath], width: int, height: int) -> list[IntPath]:
    """The parts of ``paths`` (Clipper units) inside the image rectangle, holes filled."""
    return _clip_to(paths, width, height)


def _clip_to(paths: list[IntPath], width: int, height: int) -> list[IntPath]:
    rect = [[0, 0], [width * SCALE, 0], [width * SCALE, height * SCALE], [0, height * SCALE]]
    clipper = new_clipper()
    clipper.AddPaths(paths, pc.PT_SUBJECT, True)
    clipper.AddPath(rect, pc.PT_CLIP, True)
    return outer_paths(clipper.Execute2(pc.CT_INTERSECTION, pc.PFT_NONZERO, pc.PFT_NONZERO))


def outer_contours(
    mask: BoolMask,
) -> tuple[list[npt.NDArray[np.int32]], list[tuple[int, int, int, int]]]:
    """Outer pixel-centre contours of every 8-connected part, and the bounding boxes
    (x, y, width, height) of every hole border (one per hole: see
    :mod:`spinelift.core.holes`).

    Each contour is (k, 2) int32 (x, y) pixel indices.
    """
    contours, hierarchy = cv2.findContours(as_bytes(mask), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return [], []
    parents = hierarchy[0][:, 3]
    outers = [
        np.asarray(c, dtype=np.int32).reshape(-1, 2)
        for c, parent in zip(contours, parents, strict=True)
        if parent < 0
    ]
    borders = [
        tuple(int(v) for v in cv2.boundingRect(c))
        for c, parent in zip(contours, parents, strict=True)
        if parent >= 0
    ]
    return outers, borders  # type: ignore[return-value]


def corner_contours(mask: BoolMask) -> list[npt.NDArray[np.int32]]:
    """Outer contours through pixel *corners*: of the (H+1, W+1) mask of corners that touch
    a kept pixel. Each is (k, 2) int32 (x, y) corner indices, corner (i, j) at image
    point (i, j). A kept pixel's four corners are a 2x2 block of that mask, which the
    region of its outer contour contains: no margin is needed (see the module docstring)."""
    padded = cv2.copyMakeBorder(as_bytes(mask), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    # corner (i, j) touches pixels (i - 1 .. i, j - 1 .. j): a 2x2 dilation of the padded mask
    corners = cv2.dilate(padded, np.ones((2, 2), dtype=np.uint8), anchor=(1, 1))[1:, 1:]
    contours, _ = cv2.findContours(corners, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [np.asarray(c, dtype=np.int32).reshape(-1, 2) for c in contours]


def covering_polygons(
    contours: list[npt.NDArray[np.int32]],
    width: int,
    height: int,
    eps: float,
    *,
    corners: bool = False,
) -> list[IntPath]:
    """Polygons (Clipper units) that together cover every pixel square of the contoured parts:
    :func:`covering_region` clipped to the image rectangle."""
    return _clip_to(covering_region(contours, eps, corners=corners), width, height)


def covering_region(
    contours: list[npt.NDArray[np.int32]], eps: float, *, corners: bool = False
) -> list[IntPath]:
    """Polygons (Clipper units) that cover every pixel square of the contoured parts with
    at least ``SAFETY`` pixels to spare, also at the image's edges (not clipped to it).

    Each part is simplified with tolerance ``eps`` pixels, grown as proved in
    the module docstring, holes filled.
    ``corners``: the contours are :func:`corner_contours` (else pixel-centre contours
    from :func:`outer_contours`).
    """
    grown: list[IntPath] = []
    for contour in contours:
        simplified = np.asarray(
            cv2.approxPolyDP(contour.reshape(-1, 1, 2), eps, True), dtype=np.int32
        ).reshape(-1, 2)
        # approxPolyDP measures distance to the chord's line, not the chord: measure for real
        deviation = max(eps, deviation_from(contour, simplified))
        path = _corners_to_int(simplified) if corners else to_int(simplified)
        # the band around the closed path, offset as an open path that returns to its start:
        # Clipper's closed-line offset drops the middle of degenerate (zero-area) paths
        offset = pc.PyclipperOffset(MITER_LIMIT)
        offset.AddPath([*path, path[0]], pc.JT_MITER, pc.ET_OPENSQUARE)
        square = 0.0 if corners else math.sqrt(2.0) / 2.0
        grown.extend(offset.Execute((deviation + square + SAFETY) * SCALE))
    union = new_clipper()
    union.AddPaths(grown, pc.PT_SUBJECT, True)
    return outer_paths(union.Execute2(pc.CT_UNION, pc.PFT_NONZERO, pc.PFT_NONZERO))


def deviation_from(contour: npt.NDArray[np.int32], simplified: npt.NDArray[np.int32]) -> float:
    """Largest distance (px) from a point of ``contour`` (n, 2) to its chord in ``simplified``.

    ``simplified`` (m, 2) must be a subsequence of the closed ``contour`` (as
    ``approxPolyDP`` returns, possibly starting elsewhere). Each contour point is
    measured against the chord that spans it, so the straight runs between
    points (``CHAIN_APPROX_SIMPLE``) are within the bound too. If the points
    cannot be matched in order, every point is measured against every chord's
    nearest fit pairwise along each contour edge (slower, same guarantee).
    """
    m = len(simplified)
    if m <= 1:
        if m == 0:
            return 0.0
        return float(np.max(np.hypot(*(contour - simplified[0]).T)))
    owner = _chord_owners(contour, simplified)
    pts = contour.astype(np.float64)
    q = simplified.astype(np.float64)
    if owner is not None:
        return float(np.max(_segment_distance(pts, q[owner], q[(owner + 1) % m])))
    # fallback: per contour edge, the best single chord for both of its ends
    a, b = q, np.roll(q, -1, axis=0)
    d = np.stack([_segment_distance(pts, a[j], b[j]) for j in range(m)], axis=1)
    edge = np.maximum(d, np.roll(d, -1, axis=0)).min(axis=1)
    return float(edge.max())


def _chord_owners(
    contour: npt.NDArray[np.int32], simplified: npt.NDArray[np.int32]
) -> npt.NDArray[np.int64] | None:
    """(n,) index of the chord of ``simplified`` spanning each contour point, found by
    walking the simplified points through the contour in order (a point the contour
    visits twice takes the next visit); None when they do not appear in order."""
    n = len(contour)
    keys = contour[:, 0].astype(np.int64) * (1 << 32) + contour[:, 1]
    wanted = simplified[:, 0].astype(np.int64) * (1 << 32) + simplified[:, 1]
    starts = np.flatnonzero(keys == wanted[0])
    if starts.size == 0:
        return None
    start = int(starts[0])
    rolled = np.concatenate((keys[start:], keys[:start]))  # the walk starts at q[0]'s first visit
    order = np.argsort(rolled, kind="stable")
    ordered = rolled[order]
    lo = np.searchsorted(ordered, wanted)
    visits = np.searchsorted(ordered, wanted, "right") - lo
    if (visits == 0).any():
        return None
    positions: npt.NDArray[np.int64] | None
    if (visits == 1).all():  # the usual case: no point visited twice, no walk needed
        positions = np.asarray(order[lo], dtype=np.int64)
        if not (positions[1:] > positions[:-1]).all():
            return None
    else:
        positions = _walk(order, ordered, wanted)
    if positions is None:
        return None
    # positions[0] == 0 and they increase: chord k owns the walk from positions[k] on
    runs = np.concatenate((positions[1:], [n])) - positions
    owner = np.repeat(np.arange(len(positions), dtype=np.int64), runs)
    return np.concatenate((owner[n - start :], owner[: n - start]))


def _walk(
    order: npt.NDArray[np.int64], ordered: npt.NDArray[np.int64], wanted: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64] | None:
    """Position of each wanted key in the walk: the first visit after the previous one's."""
    m = len(wanted)
    positions = np.empty(m, dtype=np.int64)
    positions[0] = 0
    for k in range(1, m):
        lo, hi = np.searchsorted(ordered, wanted[k]), np.searchsorted(ordered, wanted[k], "right")
        visits = order[lo:hi]
        later = visits[visits > positions[k - 1]]
        if later.size == 0:
            return None
        positions[k] = later.min()
    return positions


def _segment_distance(p: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Distance from points p (n, 2) to segments a-b (n, 2 or 2,)."""
    ax, ay, px, py = a[..., 0], a[..., 1], p[:, 0], p[:, 1]
    abx, aby = b[..., 0] - ax, b[..., 1] - ay
    length2 = np.maximum(abx * abx + aby * aby, 1e-12)
    t = np.clip(((px - ax) * abx + (py - ay) * aby) / length2, 0.0, 1.0)
    return np.asarray(np.hypot(px - (ax + t * abx), py - (ay + t * aby)), dtype=np.float64)


def bridge(polygons: list[IntPath], width: int, height: int) -> IntPath:
    """Join several polygons into one with narrow corridors along a minimum spanning tree.

    The result contains every input polygon. Falls back to the convex hull of
    all of them if corridors cannot connect everything (never seen, but cheap).
    """
    for _ in range(8):
        if len(polygons) == 1:
            return polygons[0]
        corridors = pc.PyclipperOffset(MITER_LIMIT)
        for a, b in _spanning_links(polygons):
            corridors.AddPath([a, b], pc.JT_MITER, pc.ET_OPENSQUARE)
        links = corridors.Execute(BRIDGE_HALF_WIDTH * SCALE)
        clipper = new_clipper()
        clipper.AddPaths(polygons, pc.PT_SUBJECT, True)
        clipper.AddPaths(links, pc.PT_CLIP, True)
        merged = outer_paths(clipper.Execute2(pc.CT_UNION, pc.PFT_NONZERO, pc.PFT_NONZERO))
        polygons = _clip_to(merged, width, height)
    points = np.concatenate([np.asarray(p, dtype=np.int64) for p in polygons])
    hull = cv2.convexHull(points.reshape(-1, 1, 2).astype(np.int32)).reshape(-1, 2)
    path: IntPath = hull.astype(np.int64).tolist()
    return path


def _spanning_links(polygons: list[IntPath]) -> list[tuple[list[int], list[int]]]:
    """Prim's minimum spanning tree over polygons, by closest vertex pair.

    Each round links the polygon outside the tree whose closest pair to a tree polygon
    is closest; ties go to the tree polygon that joined first, then to the lowest
    index outside; a pair is the first closest in (tree vertex, other vertex) order.
    Each tree polygon's closest pairs to all others are computed once, when it joins.
    """
    arrays = [np.asarray(p, dtype=np.float64) for p in polygons]
    joined = [0] * len(arrays)  # when each tree polygon joined
    best: list[tuple[float, int, int, int]] = [(math.inf, -1, 0, 0)] * len(arrays)
    outside = list(range(1, len(arrays)))
    links: list[tuple[list[int], list[int]]] = []
    newest = 0
    while outside:
        for j, found in zip(outside, _closest_pairs(arrays[newest], arrays, outside), strict=True):
            if found[0] < best[j][0]:
                best[j] = (found[0], newest, found[1], found[2])
        j = min(outside, key=lambda k: (best[k][0], joined[best[k][1]], k))
        _, i, a, b = best[j]
        links.append((polygons[i][a], polygons[j][b]))
        outside.remove(j)
        joined[j] = len(links)
        newest = j
    return links


def _closest_pairs(
    points: FloatArray, arrays: list[FloatArray], others: list[int]
) -> list[tuple[float, int, int]]:
    """For each polygon in ``others``: (squared distance, a, b) of its vertex ``b`` closest
    to vertex ``a`` of ``points``, the first such pair in (a, b) order."""
    sizes = [len(arrays[j]) for j in others]
    starts = np.cumsum([0, *sizes[:-1]])
    rest = np.concatenate([arrays[j] for j in others])
    dx = points[:, 0, None] - rest[None, :, 0]
    dy = points[:, 1, None] - rest[None, :, 1]
    d = dx * dx + dy * dy
    least = np.minimum.reduceat(d.min(axis=0), starts)
    hit = d == np.repeat(least, sizes)[None, :]
    a = np.logical_or.reduceat(hit, starts, axis=1).argmax(axis=0)  # first row with a hit
    first = np.flatnonzero(hit[np.repeat(a, sizes), np.arange(d.shape[1])])
    b = first[np.searchsorted(first, starts)] - starts  # first hit of that row, per polygon
    return list(zip(least.tolist(), a.tolist(), b.tolist(), strict=True))


def signed_area(ring: FloatArray) -> float:
    """Shoelace area of a (k, 2) ring in y-down pixels: positive = clockwise on screen."""
    x, y = ring[:, 0], ring[:, 1]
    after = np.concatenate((ring[1:], ring[:1]))  # each vertex's successor
    return float(0.5 * (np.dot(x, after[:, 1].copy()) - np.dot(y, after[:, 0].copy())))


def hull_ring(path: IntPath) -> FloatArray:
    """Clipper path -> (k, 2) float64 ring in pixels with positive (clockwise) orientation."""
    ring = to_float(path)
    return ring if signed_area(ring) > 0 else ring[::-1].copy()
