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

    ``seg`` (n, 4) holds each live slot's outgoing edge (x0, y0, x1, y1) and
    ``pts`` (n, 2) each live slot's position; dead slots are NaN there, so the
    vectorised proximity tests skip them without masking.
    """

    def __init__(self, points: FloatArray) -> None:
        n = len(points)
        self.pos = points.astype(np.float64).copy()
        self.nxt = np.roll(np.arange(n), -1)
        self.prv = np.roll(np.arange(n), 1)
        self.alive = np.ones(n, dtype=bool)
        self.stamp = np.zeros(n, dtype=np.int64)
        self.count = n
        self.pts = self.pos.copy()
        self.seg = np.concatenate([self.pos, self.pos[self.nxt]], axis=1)

    def cross(self, a: int, b: int, c: int) -> float:
        """Twice the signed area of triangle (a, b, c), by slot."""
        pa, pb, pc = self.pos[a], self.pos[b], self.pos[c]
        return float((pb[0] - pa[0]) * (pc[1] - pa[1]) - (pb[1] - pa[1]) * (pc[0] - pa[0]))

    def unlink(self, dead: int, before: int, after: int) -> None:
        """Remove slot ``dead``; ``before`` now links straight to ``after``."""
        self.nxt[before], self.prv[after] = after, before
        self.alive[dead] = False
        self.count -= 1
        self.pts[dead] = np.nan
        self.seg[dead] = np.nan
        self.seg[before, 2:] = self.pos[after]

    def move(self, slot: int, point: FloatArray) -> None:
        self.pos[slot] = point
        self.pts[slot] = point
        self.seg[slot, :2] = point
        self.seg[int(self.prv[slot]), 2:] = point

    def points(self) -> FloatArray:
        start = int(np.flatnonzero(self.alive)[0])
        order = [start]
        k = int(self.nxt[start])
        while k != start:
            order.append(k)
            k = int(self.nxt[k])
        return self.pos[order]


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
    while heap and ring.count > 3:
        cost, slot, move, stamp = heapq.heappop(heap)
        if not ring.alive[slot] or ring.stamp[slot] != stamp:
            continue
        over_budget = limits.max_vertices and ring.count > limits.max_vertices
        if cost > limits.cost_limit and not over_budget:
            break
        touched = _apply(ring, slot, move, limits)
        for k in touched:
            ring.stamp[k] += 1
            _push_moves(ring, k, limits, heap)
    return ring.points()


def _push_moves(
    ring: _Ring, i: int, limits: SimplifyLimits, heap: list[tuple[float, int, int, int]]
) -> None:
    if ring.count <= 3:
        return
    p, n = int(ring.prv[i]), int(ring.nxt[i])
    turn = ring.cross(p, i, n)  # <= 0: reflex or straight for a clockwise (positive) ring
    if turn <= _EPS:
        cost = -0.5 * turn
        if cost > 0 and limits.fill_depth > 0:
            chord = float(np.hypot(*(ring.pos[n] - ring.pos[p])))
            if chord > 0 and cost * 2.0 / chord <= limits.fill_depth:
                cost = 0.0
        heapq.heappush(heap, (max(cost, 0.0), i, _DROP, int(ring.stamp[i])))
    meet = _collapse_point(ring, i)
    if meet is not None:
        j = n
        area = 0.5 * _cross_pts(ring.pos[i], meet, ring.pos[j])
        if area >= -_EPS:
            heapq.heappush(heap, (max(area, 0.0), i, _COLLAPSE, int(ring.stamp[i])))


def _cross_pts(a: FloatArray, b: FloatArray, c: FloatArray) -> float:
    return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))


def _collapse_point(ring: _Ring, i: int) -> FloatArray | None:
    """Where the edges before ``i`` and after ``next(i)`` meet ahead of both, else None."""
    j = int(ring.nxt[i])
    p, q = int(ring.prv[i]), int(ring.nxt[j])
    if p in (q, j):
        return None
    a, da = ring.pos[i], ring.pos[i] - ring.pos[p]
    b, db = ring.pos[j], ring.pos[j] - ring.pos[q]
    denom = da[0] * db[1] - da[1] * db[0]
    if abs(denom) < _EPS:
        return None
    diff = b - a
    t = (diff[0] * db[1] - diff[1] * db[0]) / denom
    s = (diff[0] * da[1] - diff[1] * da[0]) / denom
    if t < -_EPS or s < -_EPS:
        return None
    return np.asarray(a + t * da, dtype=np.float64)


def _apply(ring: _Ring, i: int, move: int, limits: SimplifyLimits) -> list[int]:
    """Apply a move if it keeps the ring simple and in bounds; return slots whose moves changed."""
    p, n = int(ring.prv[i]), int(ring.nxt[i])
    if move == _DROP:
        if ring.cross(p, i, n) > _EPS:
            return []
        tri = np.stack([ring.pos[p], ring.pos[i], ring.pos[n]])
        if not _is_clear(ring, [(p, n)], [], tri, skip={p, i, n}):
            return []
        ring.unlink(i, p, n)
        return _around(ring, p, n)
    meet = _collapse_point(ring, i)
    if meet is None:
        return []
    if limits.bounds is not None:
        w, h = limits.bounds
        if not (-_EPS <= meet[0] <= w + _EPS and -_EPS <= meet[1] <= h + _EPS):
            return []
        meet = np.clip(meet, [0.0, 0.0], [w, h])
    j, q = n, int(ring.nxt[n])
    tri = np.stack([ring.pos[i], meet, ring.pos[j]])
    if not _is_clear(ring, [(p, -1), (-1, q)], [meet], tri, skip={p, i, j, q}):
        return []
    ring.move(i, meet)
    ring.unlink(j, i, q)
    return _around(ring, i, q)


def _around(ring: _Ring, a: int, b: int) -> list[int]:
    """Slots whose candidate moves depend on the changed stretch from ``a`` to ``b``."""
    slots = [a, b]
    k = a
    for _ in range(3):
        k = int(ring.prv[k])
        slots.append(k)
    k = b
    for _ in range(3):
        k = int(ring.nxt[k])
        slots.append(k)
    return list(dict.fromkeys(slots))


def _is_clear(
    ring: _Ring,
    new_edges: list[tuple[int, int]],
    new_points: list[FloatArray],
    added: FloatArray,
    skip: set[int],
) -> bool:
    """True if the new edges cross no other edge and the added triangle holds no other vertex.

    ``new_edges`` name slots; -1 stands for the single new point in ``new_points``.
    ``skip``: slots whose outgoing edges are replaced or adjacent to the new ones, and
    whose positions are corners of the added triangle; the edge ending at the first
    of them is adjacent too and is skipped by ``prv``.
    """
    skip_edges = skip | {int(ring.prv[min(skip, key=lambda k: _order_key(ring, k, skip))])}
    for a_slot, b_slot in new_edges:
        a = ring.pos[a_slot] if a_slot >= 0 else new_points[0]
        b = ring.pos[b_slot] if b_slot >= 0 else new_points[0]
        if _any_crossing(a, b, ring.seg, skip_edges):
            return False
    return not _any_inside(added, ring.pts, skip)


def _order_key(ring: _Ring, k: int, group: set[int]) -> int:
    """0 for the slot of ``group`` whose predecessor is outside the group (the stretch's start)."""
    return 0 if int(ring.prv[k]) not in group else 1


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
