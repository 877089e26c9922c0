"""Greedy simplification of a ring that only ever moves outward.

The ring's *material* lies on the side that makes its shoelace area grow
(the inside of a clockwise hull; the outside of a hole given the other way
round). Two moves remove one vertex each and only add material, so whatever
the ring covered it still covers:

* **drop** a reflex (or straight) vertex ``i``: the edge ``p -> n`` replaces
  ``p -> i -> n`` and the triangle ``(p, i, n)`` is added;
* **collapse** an edge ``i -> j``: its neighbours' edges are extended until
  they meet at ``x``, and ``p -> x -> q`` replaces ``p -> i -> j -> q``; the
  triangle ``(i, x, j)`` is added.

The added area is the move's cost (it is all overdraw, since the ring already
covered the art). The cheapest move goes first while it costs at most
``cost_limit`` or while the ring has more than ``max_vertices``. A move is
refused if it would make the ring cross itself or leave ``bounds``. This is
the greedy "minimum-area enclosing polygon" heuristic, restricted to simple
polygons.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_DROP = 0
_COLLAPSE = 1
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class SimplifyLimits:
    """When to stop simplifying a ring.

    ``cost_limit``: largest area (px^2) a single move may add while the ring is within budget.
    ``max_vertices``: hard budget; 0 = none. Moves continue past ``cost_limit`` until it is met.
    ``fill_depth``: dropping a reflex vertex at most this far (px) from the new edge is free.
    ``bounds``: (width, height): new vertices must stay inside [0, width] x [0, height].
    """

    cost_limit: float
    max_vertices: int = 0
    fill_depth: float = 0.0
    bounds: tuple[float, float] | None = None


class _Ring:
    """A ring as a doubly linked list over fixed slots, so moves are O(1).

    Scalar geometry runs on Python floats (``x``, ``y``): numpy is slow on
    single numbers. ``seg`` (n, 4) holds each live slot's outgoing edge
    (x0, y0, x1, y1) and ``pts`` (n, 2) each live slot's position for the
    vectorised crossing tests; dead slots are NaN there, so those tests skip
    them without masking.
    """

    def __init__(self, points: FloatArray) -> None:
        n = len(points)
        self.x: list[float] = points[:, 0].astype(float).tolist()
        self.y: list[float] = points[:, 1].astype(float).tolist()
        self.nxt = [(k + 1) % n for k in range(n)]
        self.prv = [(k - 1) % n for k in range(n)]
        self.alive = [True] * n
        self.stamp = [0] * n
        self.count = n
        self.pts = points.astype(np.float64).copy()
        self.seg = np.concatenate([self.pts, np.roll(self.pts, -1, axis=0)], axis=1)

    def cross(self, a: int, b: int, c: int) -> float:
        """Twice the signed area of triangle (a, b, c), by slot."""
        x, y = self.x, self.y
        return (x[b] - x[a]) * (y[c] - y[a]) - (y[b] - y[a]) * (x[c] - x[a])

    def unlink(self, dead: int, before: int, after: int) -> None:
        """Remove slot ``dead``; ``before`` now links straight to ``after``."""
        self.nxt[before], self.prv[after] = after, before
        self.alive[dead] = False
        self.count -= 1
        self.pts[dead] = np.nan
        self.seg[dead] = np.nan
        self.seg[before, 2:] = (self.x[after], self.y[after])

    def move(self, slot: int, x: float, y: float) -> None:
        self.x[slot], self.y[slot] = x, y
        self.pts[slot] = (x, y)
        self.seg[slot, :2] = (x, y)
        self.seg[self.prv[slot], 2:] = (x, y)

    def point(self, slot: int) -> FloatArray:
        return np.array([self.x[slot], self.y[slot]])

    def points(self) -> FloatArray:
        start = self.alive.index(True)
        order = [start]
        k = self.nxt[start]
        while k != start:
            order.append(k)
            k = self.nxt[k]
        return np.array([[self.x[k], self.y[k]] for k in order], dtype=np.float64)


def simplify_ring(points: FloatArray, limits: SimplifyLimits) -> FloatArray:
    """Simplify a (n, 2) ring by outward-only moves; returns (k, 2), 3 <= k <= n.

    The ring must be simple and oriented so that its material is where the
    shoelace area is positive (see the module docstring).
    """
    if len(points) <= 3:
        return points.copy()
    ring = _Ring(points)
    heap: list[tuple[float, int, int, int]] = []
    for i in range(len(points)):
        _push_moves(ring, i, limits, heap)
    heapq.heapify(heap)
    while heap and ring.count > 3:
        cost, slot, move, stamp = heapq.heappop(heap)
        if not ring.alive[slot] or ring.stamp[slot] != stamp:
            continue
        over_budget = limits.max_vertices and ring.count > limits.max_vertices
        if cost > limits.cost_limit and not over_budget:
            break
        for k in _apply(ring, slot, move, limits):
            ring.stamp[k] += 1
            _push_moves(ring, k, limits, heap)
    return ring.points()


def _push_moves(
    ring: _Ring, i: int, limits: SimplifyLimits, heap: list[tuple[float, int, int, int]]
) -> None:
    if ring.count <= 3:
        return
    p, n = ring.prv[i], ring.nxt[i]
    turn = ring.cross(p, i, n)  # <= 0: reflex or straight for a clockwise (positive) ring
    if turn <= _EPS:
        cost = max(-0.5 * turn, 0.0)
        if cost > 0 and limits.fill_depth > 0:
            chord = math.hypot(ring.x[n] - ring.x[p], ring.y[n] - ring.y[p])
            if chord > 0 and cost * 2.0 / chord <= limits.fill_depth:
                cost = 0.0
        heapq.heappush(heap, (cost, i, _DROP, ring.stamp[i]))
    meet = _collapse_point(ring, i)
    if meet is not None:
        j = n
        mx, my = meet
        x, y = ring.x, ring.y
        area = 0.5 * ((mx - x[i]) * (y[j] - y[i]) - (my - y[i]) * (x[j] - x[i]))
        if area >= -_EPS:
            heapq.heappush(heap, (max(area, 0.0), i, _COLLAPSE, ring.stamp[i]))


def _collapse_point(ring: _Ring, i: int) -> tuple[float, float] | None:
    """Where the edges before ``i`` and after ``next(i)`` meet ahead of both, else None."""
    j = ring.nxt[i]
    p, q = ring.prv[i], ring.nxt[j]
    if p in (q, j):
        return None
    x, y = ring.x, ring.y
    dax, day = x[i] - x[p], y[i] - y[p]
    dbx, dby = x[j] - x[q], y[j] - y[q]
    denom = dax * dby - day * dbx
    if abs(denom) < _EPS:
        return None
    ex, ey = x[j] - x[i], y[j] - y[i]
    t = (ex * dby - ey * dbx) / denom
    s = (ex * day - ey * dax) / denom
    if t < -_EPS or s < -_EPS:
        return None
    return x[i] + t * dax, y[i] + t * day


def _apply(ring: _Ring, i: int, move: int, limits: SimplifyLimits) -> list[int]:
    """Apply a move if it keeps the ring simple and in bounds; return slots whose moves changed."""
    p, n = ring.prv[i], ring.nxt[i]
    if move == _DROP:
        if ring.cross(p, i, n) > _EPS:
            return []
        tri = np.array([[ring.x[p], ring.y[p]], [ring.x[i], ring.y[i]], [ring.x[n], ring.y[n]]])
        if not _is_clear(ring, [(p, n)], None, tri, skip={p, i, n}):
            return []
        ring.unlink(i, p, n)
        # drops at p and n, collapses of the edges into p, out of p and out of n
        return list(dict.fromkeys([ring.prv[p], p, n]))
    meet = _collapse_point(ring, i)
    if meet is None:
        return []
    mx, my = meet
    if limits.bounds is not None:
        w, h = limits.bounds
        if not (-_EPS <= mx <= w + _EPS and -_EPS <= my <= h + _EPS):
            return []
        mx, my = min(max(mx, 0.0), w), min(max(my, 0.0), h)
    j, q = n, ring.nxt[n]
    new_point = np.array([mx, my])
    tri = np.array([[ring.x[i], ring.y[i]], [mx, my], [ring.x[j], ring.y[j]]])
    if not _is_clear(ring, [(p, -1), (-1, q)], new_point, tri, skip={p, i, j, q}):
        return []
    ring.move(i, mx, my)
    ring.unlink(j, i, q)
    # every move whose window holds the moved slot i or the new link i -> q
    return list(dict.fromkeys([ring.prv[ring.prv[i]], ring.prv[i], i, q]))


def _is_clear(
    ring: _Ring,
    new_edges: list[tuple[int, int]],
    new_point: FloatArray | None,
    added: FloatArray,
    skip: set[int],
) -> bool:
    """True if the new edges cross no other edge and the added triangle holds no other vertex.

    ``new_edges`` name slots; -1 stands for ``new_point``.
    ``skip``: slots whose outgoing edges are replaced or adjacent to the new ones, and
    whose positions are corners of the added triangle; the edge ending at the first
    of them is adjacent too and is skipped by ``prv``.
    """
    first = next((k for k in skip if ring.prv[k] not in skip), None)
    skip_edges = skip if first is None else skip | {ring.prv[first]}
    for a_slot, b_slot in new_edges:
        a = ring.point(a_slot) if a_slot >= 0 else new_point
        b = ring.point(b_slot) if b_slot >= 0 else new_point
        assert a is not None and b is not None
        if _any_crossing(a, b, ring.seg, skip_edges):
            return False
    return not _any_inside(added, ring.pts, skip)


def _orient(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Vectorised twice-signed-area of (a, b, c); any argument may be (k, 2)."""
    return np.asarray(
        (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
        - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
    )


def _any_crossing(a: FloatArray, b: FloatArray, seg: FloatArray, skip: set[int]) -> bool:
    """Does segment a-b touch or cross any live edge (rows of ``seg``) not in ``skip``?

    Conservative: touching and collinear overlap count as crossing.
    """
    lo = np.minimum(a, b) - 1e-7
    hi = np.maximum(a, b) + 1e-7
    x0, y0, x1, y1 = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
    near = np.flatnonzero(
        ((x0 >= lo[0]) | (x1 >= lo[0]))
        & ((x0 <= hi[0]) | (x1 <= hi[0]))
        & ((y0 >= lo[1]) | (y1 >= lo[1]))
        & ((y0 <= hi[1]) | (y1 <= hi[1]))
    )
    near = np.asarray([k for k in near.tolist() if k not in skip], dtype=np.int64)
    if near.size == 0:
        return False
    c, d = seg[near, :2], seg[near, 2:]
    d1 = _orient(c, d, a)
    d2 = _orient(c, d, b)
    d3 = _orient(a, b, c)
    d4 = _orient(a, b, d)
    return bool(((d1 * d2 <= _EPS) & (d3 * d4 <= _EPS)).any())


def _any_inside(tri: FloatArray, pts: FloatArray, skip: set[int]) -> bool:
    """Does any live point (rows of ``pts``) outside ``skip`` lie inside or on the triangle?"""
    lo, hi = tri.min(axis=0) - 1e-7, tri.max(axis=0) + 1e-7
    x, y = pts[:, 0], pts[:, 1]
    near = np.flatnonzero((x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1]))
    near = np.asarray([k for k in near.tolist() if k not in skip], dtype=np.int64)
    if near.size == 0:
        return False
    points = pts[near]
    s1 = _orient(tri[0], tri[1], points)
    s2 = _orient(tri[1], tri[2], points)
    s3 = _orient(tri[2], tri[0], points)
    pos = (s1 >= -_EPS) & (s2 >= -_EPS) & (s3 >= -_EPS)
    neg = (s1 <= _EPS) & (s2 <= _EPS) & (s3 <= _EPS)
    return bool((pos | neg).any())


def outline_problem(points: FloatArray, segments: npt.NDArray[np.int32]) -> str | None:
    """Why the outline made of ``segments`` (k, 2) over ``points`` (n, 2) is not simple,
    or None: a repeated vertex, or two edges that touch or cross other than at a
    shared end. Edges are tested against nearby edges only (bounding boxes first)."""
    _, counts = np.unique(points, axis=0, return_counts=True)
    if (counts > 1).any():
        return "visits the same point twice"
    a, b = points[segments[:, 0]], points[segments[:, 1]]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    for i in range(len(segments)):
        near = np.flatnonzero(
            (hi[:, 0] >= lo[i, 0])
            & (lo[:, 0] <= hi[i, 0])
            & (hi[:, 1] >= lo[i, 1])
            & (lo[:, 1] <= hi[i, 1])
        )
        near = near[near > i]
        shares = (segments[near] == segments[i, 0]).any(axis=1) | (
            segments[near] == segments[i, 1]
        ).any(axis=1)
        near = near[~shares]
        if near.size == 0:
            continue
        c, d = a[near], b[near]
        d1, d2 = _orient(c, d, a[i]), _orient(c, d, b[i])
        d3, d4 = _orient(a[i], b[i], c), _orient(a[i], b[i], d)
        if ((d1 * d2 <= 0) & (d3 * d4 <= 0)).any():
            return "crosses or touches itself"
    return None


def ring_is_simple(ring: FloatArray) -> bool:
    """Is the closed ring (n, 2) a simple polygon (no repeated vertex, no touching edges)?"""
    return outline_problem(ring, ring_segments([len(ring)])) is None


def ring_segments(lengths: list[int]) -> npt.NDArray[np.int32]:
    """(k, 2) int32 edges of closed rings stored one after another: ring ``i`` has
    ``lengths[i]`` consecutive points, each joined to the next and the last to its first."""
    pairs = []
    start = 0
    for n in lengths:
        idx = np.arange(start, start + n)
        pairs.append(np.stack([idx, np.roll(idx, -1)], axis=1))
        start += n
    return np.concatenate(pairs).astype(np.int32)
