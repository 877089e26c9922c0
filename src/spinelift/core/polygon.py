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

from spinelift.core.ring import EPS as _EPS
from spinelift.core.ring import Ring

FloatArray = npt.NDArray[np.float64]

_DROP = 0
_COLLAPSE = 1


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


def simplify_ring(points: FloatArray, limits: SimplifyLimits) -> FloatArray:
    """Simplify a (n, 2) ring by outward-only moves; returns (k, 2), 3 <= k <= n.

    The ring must be simple and oriented so that its material is where the
    shoelace area is positive (see the module docstring).
    """
    if len(points) <= 3:
        return points.copy()
    ring = Ring(points)
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
    ring: Ring, i: int, limits: SimplifyLimits, heap: list[tuple[float, int, int, int]]
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


def _collapse_point(ring: Ring, i: int) -> tuple[float, float] | None:
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


def _apply(ring: Ring, i: int, move: int, limits: SimplifyLimits) -> list[int]:
    """Apply a move if it keeps the ring simple and in bounds; return slots whose moves changed."""
    p, n = ring.prv[i], ring.nxt[i]
    x, y = ring.x, ring.y
    if move == _DROP:
        if ring.cross(p, i, n) > _EPS:
            return []
        tri = [(x[p], y[p]), (x[i], y[i]), (x[n], y[n])]
        if not _is_clear(ring, [(tri[0], tri[2])], tri, skip={p, i, n}):
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
    new = (mx, my)
    tri = [(x[i], y[i]), new, (x[j], y[j])]
    if not _is_clear(ring, [((x[p], y[p]), new), (new, (x[q], y[q]))], tri, skip={p, i, j, q}):
        return []
    ring.move(i, mx, my)
    ring.unlink(j, i, q)
    # every move whose window holds the moved slot i or the new link i -> q
    return list(dict.fromkeys([ring.prv[ring.prv[i]], ring.prv[i], i, q]))


def _is_clear(
    ring: Ring,
    new_edges: list[tuple[tuple[float, float], tuple[float, float]]],
    added: list[tuple[float, float]],
    skip: set[int],
) -> bool:
    """True if the new edges cross no other edge and the added triangle holds no other vertex.

    ``skip``: slots whose outgoing edges are replaced or adjacent to the new ones, and
    whose positions are corners of the added triangle; the edge ending at the first
    of them is adjacent too and is skipped by ``prv``.
    """
    first = next((k for k in skip if ring.prv[k] not in skip), None)
    skip_edges = skip if first is None else skip | {ring.prv[first]}
    for a, b in new_edges:
        if ring.crosses(a, b, skip_edges):
            return False
    return not ring.holds_vertex(added, skip)


def _orient(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Vectorised twice-signed-area of (a, b, c); any argument may be (k, 2)."""
    return np.asarray(
        (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
        - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
    )


_PAIRWISE_MAX = 400
"""Outlines with at most this many edges are tested all pairs at once (numpy), longer
ones edge by edge against the edges near it."""


def outline_problem(points: FloatArray, segments: npt.NDArray[np.int32]) -> str | None:
    """Why the outline made of ``segments`` (k, 2) over ``points`` (n, 2) is not simple,
    or None: a repeated vertex, or two edges that touch or cross other than at a
    shared end. Only edges whose bounding boxes meet are tested."""
    if len({(x, y) for x, y in points.tolist()}) < len(points):
        return "visits the same point twice"
    a, b = points[segments[:, 0]], points[segments[:, 1]]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    if len(segments) <= _PAIRWISE_MAX:
        i, j = np.triu_indices(len(segments), 1)
        meet = (
            (hi[j, 0] >= lo[i, 0])
            & (lo[j, 0] <= hi[i, 0])
            & (hi[j, 1] >= lo[i, 1])
            & (lo[j, 1] <= hi[i, 1])
        )
        i, j = i[meet], j[meet]
        si, sj = segments[i], segments[j]
        shares = (sj == si[:, :1]).any(axis=1) | (sj == si[:, 1:]).any(axis=1)
        i, j = i[~shares], j[~shares]
        return _crossing(a[j], b[j], a[i], b[i])
    for k in range(len(segments)):
        near = np.flatnonzero(
            (hi[:, 0] >= lo[k, 0])
            & (lo[:, 0] <= hi[k, 0])
            & (hi[:, 1] >= lo[k, 1])
            & (lo[:, 1] <= hi[k, 1])
        )
        near = near[near > k]
        shares = (segments[near] == segments[k, 0]).any(axis=1) | (
            segments[near] == segments[k, 1]
        ).any(axis=1)
        near = near[~shares]
        if near.size and _crossing(a[near], b[near], a[k], b[k]):
            return "crosses or touches itself"
    return None


def _crossing(c: FloatArray, d: FloatArray, a: FloatArray, b: FloatArray) -> str | None:
    """ "crosses or touches itself" if any segment c-d touches or crosses its a-b, else None."""
    if c.size == 0:
        return None
    d1, d2 = _orient(c, d, a), _orient(c, d, b)
    d3, d4 = _orient(a, b, c), _orient(a, b, d)
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
