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

import functools
import heapq
import math
from collections.abc import Sequence
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

    The queue holds (cost, slot, move, stamp); an entry counts while its slot
    lives and the move's stamp there is unchanged. Every applied move re-stamps and
    re-queues the moves whose window it changed (a drop's: ``prv[i]``, ``i``,
    ``nxt[i]``; a collapse's also ``nxt[nxt[i]]``), so a queued cost is the one
    the move has now, and the collapse point kept in ``meets`` is the one the move
    would compute again when applied.
    """
    if len(points) <= 3:
        return points.copy()
    ring = Ring(points)
    x, y, nxt, prv, alive = ring.x, ring.y, ring.nxt, ring.prv, ring.alive
    stamps = ([0] * len(points), [0] * len(points))  # per move: _DROP, _COLLAPSE
    drop_stamp, collapse_stamp = stamps
    push, pop = heapq.heappush, heapq.heappop
    cost_limit, max_vertices, fill_depth = limits.cost_limit, limits.max_vertices, limits.fill_depth
    heap: list[tuple[float, int, int, int]] = []
    meets = [(0.0, 0.0)] * len(points)
    todo: Sequence[int] = range(len(points))
    kept = -1  # a slot whose drop is still queued right (only its collapse changed)
    while ring.count > 3:
        # a move dearer than this would end the loop when its turn came: not queued
        cap = math.inf if max_vertices and ring.count > max_vertices else cost_limit
        for i in todo:
            p, j = prv[i], nxt[i]
            xp, yp, xi, yi, xj, yj = x[p], y[p], x[i], y[i], x[j], y[j]
            # drop i: for a clockwise (positive) ring, turn <= 0 is reflex or straight
            turn = (xi - xp) * (yj - yp) - (yi - yp) * (xj - xp)
            if turn <= _EPS and i != kept:
                cost = -0.5 * turn
                cost = 0.0 if cost < 0.0 else cost
                if fill_depth > 0 and cost > 0:
                    chord = math.hypot(xj - xp, yj - yp)
                    if chord > 0 and cost * 2.0 / chord <= fill_depth:
                        cost = 0.0
                if cost <= cap:
                    push(heap, (cost, i, _DROP, drop_stamp[i]))
            # collapse i -> j: the edges p -> i and q -> j, extended, meet ahead of both
            # (p, i, j, q are four slots: the ring has more than 3)
            q = nxt[j]
            dax, day = xi - xp, yi - yp
            dbx, dby = xj - x[q], yj - y[q]
            denom = dax * dby - day * dbx
            if -_EPS < denom < _EPS:  # abs(denom) < _EPS
                continue
            ex, ey = xj - xi, yj - yi
            t = (ex * dby - ey * dbx) / denom
            if t < -_EPS or (ex * day - ey * dax) / denom < -_EPS:
                continue
            mx, my = xi + t * dax, yi + t * day
            meets[i] = (mx, my)
            area = 0.5 * ((mx - xi) * (yj - yi) - (my - yi) * (xj - xi))
            if -_EPS <= area <= cap:
                push(heap, (0.0 if area < 0.0 else area, i, _COLLAPSE, collapse_stamp[i]))
        todo = ()
        while heap:
            cost, slot, move, st = pop(heap)
            if not alive[slot] or stamps[move][slot] != st:
                continue
            if cost > cost_limit and not (max_vertices and ring.count > max_vertices):
                break
            todo = _apply(ring, slot, move, meets[slot], limits)
            if todo:
                break
        if not todo:
            break
        kept = todo[0]
        for k in todo:
            collapse_stamp[k] += 1
            if k != kept:
                drop_stamp[k] += 1
    return ring.points()


def _apply(
    ring: Ring, i: int, move: int, meet: tuple[float, float], limits: SimplifyLimits
) -> tuple[int, ...]:
    """Apply a move if it keeps the ring simple and in bounds; return the slots whose
    moves changed (distinct while the ring keeps more than 3 vertices), the first of
    them only its collapse."""
    prv, nxt = ring.prv, ring.nxt
    p, n = prv[i], nxt[i]
    pp = prv[p]
    if move == _DROP:  # still reflex or straight: its window is as when it was queued
        if not ring.drop_is_clear(pp, p, i, n):
            return ()
        ring.unlink(i)
        # drops at p and n, collapses of the edges into p, out of p and out of n
        return pp, p, n
    mx, my = meet
    if limits.bounds is not None:
        w, h = limits.bounds
        if not (-_EPS <= mx <= w + _EPS and -_EPS <= my <= h + _EPS):
            return ()
        mx = 0.0 if mx < 0.0 else mx  # min(max(mx, 0.0), w), without the calls
        mx = w if w < mx else mx
        my = 0.0 if my < 0.0 else my
        my = h if h < my else my
    q = nxt[n]
    if not ring.collapse_is_clear(pp, p, i, n, q, mx, my):
        return ()
    ring.collapse(i, mx, my)
    # every move whose window holds the moved slot i or the new link i -> q
    return pp, p, i, q


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
        i, j = _all_pairs(len(segments))
        lo0, lo1, hi0, hi1 = lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]
        meet = (hi0[j] >= lo0[i]) & (lo0[j] <= hi0[i]) & (hi1[j] >= lo1[i]) & (lo1[j] <= hi1[i])
        i, j = i[meet], j[meet]
        s0, s1 = segments[:, 0], segments[:, 1]
        si0, si1, sj0, sj1 = s0[i], s1[i], s0[j], s1[j]
        shares = (sj0 == si0) | (sj1 == si0) | (sj0 == si1) | (sj1 == si1)
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


@functools.lru_cache(maxsize=32)
def _all_pairs(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Every pair i < j of ``range(n)`` (read-only: shared by all callers)."""
    i, j = np.triu_indices(n, 1)
    i.flags.writeable = j.flags.writeable = False
    return i, j


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
        pairs.append(np.stack([idx, np.concatenate((idx[1:], idx[:1]))], axis=1))
        start += n
    return np.concatenate(pairs).astype(np.int32)
