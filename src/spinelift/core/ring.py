"""A mutable ring for the simplifier: linked slots plus a uniform grid for clearance tests.

The simplifier (:mod:`spinelift.core.polygon`) removes one vertex per move and must
check, before each move, that the new edges cross no other edge and that the area
it adds holds no other vertex. Both checks run in one pass over the live slots
(slot ``k`` stands for vertex ``k`` and for edge ``k -> nxt[k]``) whose edge's
bounding box meets the box of the whole move. Each slot keeps its edge's bounding
box, so most slots are turned away by one or two comparisons. On large rings the
grid narrows the pass to the edges filed in the cells the move's box touches (a
vertex's cell is one of its outgoing edge's cells), so a move costs about O(1) for
the short edges of real outlines.

The grid and the move's box only choose *candidates*: every candidate then passes
the same exact bounding-box filter (the segment's or the triangle's, widened by
``_MARGIN``) and the same floating-point orientation tests, in the same order of
operations, as a test of every edge and every vertex would. The result of a check
is therefore independent of the grid (cell size, edges filed as "long"), which
keeps the simplifier's output identical whatever the grid looks like.

Scalar geometry runs on Python floats: numpy is slow on single numbers and on the
handful of candidates a query finds.

Size: over 300 lines, on purpose: the two clearance tests are the simplifier's inner
loop, written out per kind of move for speed, and they rely on the grid and the edits
kept beside them.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

EPS = 1e-9
"""Tolerance of the orientation tests (px^2): touching and collinear count as crossing."""
_MARGIN = 1e-7
"""Bounding boxes are widened by this (px) before the exact tests."""
_LONG = 16
"""An edge whose bounding box covers more cells than this is kept in one list, not filed."""
GRID_MIN = 256
"""Rings with fewer vertices than this test every live slot: cheaper than keeping a grid."""
CELLS = 0.35
"""The grid has about ``CELLS * sqrt(n)`` cells a side (coarse: filing costs more than
testing a few more candidates)."""


class Ring:
    """A ring as a doubly linked list over fixed slots, so moves are O(1).

    ``x``/``y`` hold each slot's position; ``nxt``/``prv`` the links; ``alive``
    marks live slots.
    Slot ``k``'s edge is ``k -> nxt[k]``; its bounding box is ``x0..x1, y0..y1``.
    """

    def __init__(self, points: FloatArray) -> None:
        n = len(points)
        xs, ys = points[:, 0].astype(float), points[:, 1].astype(float)
        x: list[float] = xs.tolist()
        y: list[float] = ys.tolist()
        self.x, self.y = x, y
        self.nxt = [*range(1, n), 0]
        self.prv = [n - 1, *range(n - 1)]
        self.alive = [True] * n
        self.count = n
        xn, yn = np.concatenate((xs[1:], xs[:1])), np.concatenate((ys[1:], ys[:1]))
        self.x0: list[float] = np.minimum(xs, xn).tolist()
        self.x1: list[float] = np.maximum(xs, xn).tolist()
        self.y0: list[float] = np.minimum(ys, yn).tolist()
        self.y1: list[float] = np.maximum(ys, yn).tolist()
        self._members = list(range(n))
        self._where = list(range(n))
        self._grid = n >= GRID_MIN
        self._ox, self._oy = min(x), min(y)
        extent = max(max(x) - self._ox, max(y) - self._oy, 1.0)
        self._g = max(1, min(64, int(math.isqrt(n) * CELLS)))
        self._inv = self._g / extent
        self._edges: dict[int, set[int]] = {}
        self._long: set[int] = set()
        self._edge_cells: list[list[int] | None] = [None] * n
        if self._grid:
            for k in range(n):
                self._file_edge(k)

    # -- grid ------------------------------------------------------------------------

    def _cells(self, x0: float, y0: float, x1: float, y1: float) -> list[int] | None:
        """Cells of the box (x0, y0)-(x1, y1) (x0 <= x1, y0 <= y1); None if more than _LONG."""
        g, inv, ox, oy = self._g, self._inv, self._ox, self._oy
        top = g - 1
        cx0, cx1 = int((x0 - ox) * inv), int((x1 - ox) * inv)
        cy0, cy1 = int((y0 - oy) * inv), int((y1 - oy) * inv)
        cx0 = 0 if cx0 < 0 else top if cx0 > top else cx0
        cx1 = 0 if cx1 < 0 else top if cx1 > top else cx1
        cy0 = 0 if cy0 < 0 else top if cy0 > top else cy0
        cy1 = 0 if cy1 < 0 else top if cy1 > top else cy1
        if cx0 == cx1 and cy0 == cy1:
            return [cy0 * g + cx0]
        if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > _LONG:
            return None
        return [cy * g + cx for cy in range(cy0, cy1 + 1) for cx in range(cx0, cx1 + 1)]

    def _file_edge(self, k: int) -> None:
        cells = self._cells(self.x0[k], self.y0[k], self.x1[k], self.y1[k])
        self._edge_cells[k] = cells
        if cells is None:
            self._long.add(k)
            return
        edges = self._edges
        for c in cells:
            members = edges.get(c)
            if members is None:
                edges[c] = {k}
            else:
                members.add(k)

    def _unfile_edge(self, k: int) -> None:
        cells = self._edge_cells[k]
        if cells is None:
            self._long.discard(k)
            return
        edges = self._edges
        for c in cells:
            edges[c].discard(k)

    def _refile_edge(self, k: int) -> None:
        """File slot ``k``'s edge again after its box changed (nothing to do if its
        cells did not)."""
        if self._cells(self.x0[k], self.y0[k], self.x1[k], self.y1[k]) != self._edge_cells[k]:
            self._unfile_edge(k)
            self._file_edge(k)

    def _near(self, x0: float, y0: float, x1: float, y1: float) -> list[int] | set[int] | tuple[()]:
        """Live slots whose edges are filed in the cells of the box (every live slot
        without a grid, or when the box covers too many cells)."""
        cells = self._cells(x0, y0, x1, y1) if self._grid else None
        if cells is None:
            return self._members
        edges = self._edges
        if len(cells) == 1 and not self._long:
            return edges.get(cells[0], ())
        found = set(self._long)
        for c in cells:
            members = edges.get(c)
            if members:
                found |= members
        return found

    # -- edits -----------------------------------------------------------------------

    def _forget(self, dead: int) -> None:
        """Take ``dead`` out of the live slots (and the grid)."""
        members, where = self._members, self._where
        last = members.pop()
        if last != dead:
            at = where[dead]
            members[at] = last
            where[last] = at
        self.alive[dead] = False
        self.count -= 1
        if self._grid:
            self._unfile_edge(dead)

    def unlink(self, dead: int) -> None:
        """Remove slot ``dead``: its neighbours now link straight to each other."""
        x, y = self.x, self.y
        before, after = self.prv[dead], self.nxt[dead]
        self.nxt[before], self.prv[after] = after, before
        self._forget(dead)
        a, b, c, d = x[before], x[after], y[before], y[after]
        self.x0[before], self.x1[before] = (a, b) if a <= b else (b, a)
        self.y0[before], self.y1[before] = (c, d) if c <= d else (d, c)
        if self._grid:
            self._refile_edge(before)

    def collapse(self, slot: int, sx: float, sy: float) -> None:
        """Put ``slot`` at (sx, sy) and remove the slot after it: ``slot`` then links to
        the one after that."""
        x, y, x0, x1, y0, y1 = self.x, self.y, self.x0, self.x1, self.y0, self.y1
        before, dead = self.prv[slot], self.nxt[slot]
        after = self.nxt[dead]
        x[slot], y[slot] = sx, sy
        self.nxt[slot], self.prv[after] = after, slot
        self._forget(dead)
        a, c = x[before], y[before]
        x0[before], x1[before] = (a, sx) if a <= sx else (sx, a)
        y0[before], y1[before] = (c, sy) if c <= sy else (sy, c)
        b, d = x[after], y[after]
        x0[slot], x1[slot] = (sx, b) if sx <= b else (b, sx)
        y0[slot], y1[slot] = (sy, d) if sy <= d else (d, sy)
        if self._grid:
            self._refile_edge(before)
            self._refile_edge(slot)

    def points(self) -> FloatArray:
        """The live vertices (k, 2) in ring order, from the lowest live slot."""
        start = self.alive.index(True)
        order = [start]
        k = self.nxt[start]
        while k != start:
            order.append(k)
            k = self.nxt[k]
        return np.array([[self.x[k], self.y[k]] for k in order], dtype=np.float64)

    # -- clearance tests -------------------------------------------------------------

    def drop_is_clear(self, before: int, p: int, i: int, n: int) -> bool:
        """May ``i`` (between ``p`` and ``n``; ``before`` precedes ``p``) be dropped?

        True if the new edge p -> n touches or crosses no live edge but the four it
        joins, and no live vertex but p, i and n lies inside or on the triangle
        (p, i, n). Touching and collinear overlap count as crossing.
        """
        x, y, nxt = self.x, self.y, self.nxt
        px, py, qx, qy, rx, ry = x[p], y[p], x[i], y[i], x[n], y[n]
        # the segment's box, then the triangle's (which holds it)
        lo0, hi0 = (px, rx) if px <= rx else (rx, px)
        lo1, hi1 = (py, ry) if py <= ry else (ry, py)
        tlo0, thi0, tlo1, thi1 = lo0, hi0, lo1, hi1
        segment = (lo0 - _MARGIN, lo1 - _MARGIN, hi0 + _MARGIN, hi1 + _MARGIN)
        tlo0 = (tlo0 if tlo0 <= qx else qx) - _MARGIN
        tlo1 = (tlo1 if tlo1 <= qy else qy) - _MARGIN
        thi0 = (thi0 if thi0 >= qx else qx) + _MARGIN
        thi1 = (thi1 if thi1 >= qy else qy) + _MARGIN
        x0, x1, y0, y1 = self.x0, self.x1, self.y0, self.y1
        corners = (p, i, n)
        near = self._near(tlo0, tlo1, thi0, thi1) if self._grid else self._members
        for k in near:
            if x1[k] < tlo0 or x0[k] > thi0 or y1[k] < tlo1 or y0[k] > thi1:
                continue
            if k in corners:
                continue
            vx, vy = x[k], y[k]
            if tlo0 <= vx <= thi0 and tlo1 <= vy <= thi1:
                s1 = (qx - px) * (vy - py) - (qy - py) * (vx - px)
                s2 = (rx - qx) * (vy - qy) - (ry - qy) * (vx - qx)
                s3 = (px - rx) * (vy - ry) - (py - ry) * (vx - rx)
                if (s1 >= -EPS and s2 >= -EPS and s3 >= -EPS) or (
                    s1 <= EPS and s2 <= EPS and s3 <= EPS
                ):
                    return False
            if k != before:
                m = nxt[k]
                if _crosses(vx, vy, x[m], y[m], px, py, rx, ry, segment):
                    return False
        return True

    def collapse_is_clear(
        self, before: int, p: int, i: int, j: int, q: int, mx: float, my: float
    ) -> bool:
        """May ``i`` move to (mx, my) and ``j`` (after it, then ``q``) go?

        True if the new edges p -> (mx, my) -> q touch or cross no live edge but the
        five they join, and no live vertex but p, i, j and q lies inside or on the
        triangle (i, (mx, my), j). Touching and collinear overlap count as crossing.
        """
        x, y, nxt = self.x, self.y, self.nxt
        ax, ay, bx, by = x[p], y[p], x[q], y[q]
        px, py, rx, ry = x[i], y[i], x[j], y[j]
        # boxes: each new edge's, the triangle's (i, m, j), and the whole move's
        ax0, ax1 = (ax, mx) if ax <= mx else (mx, ax)
        ay0, ay1 = (ay, my) if ay <= my else (my, ay)
        bx0, bx1 = (mx, bx) if mx <= bx else (bx, mx)
        by0, by1 = (my, by) if my <= by else (by, my)
        a = (ax0 - _MARGIN, ay0 - _MARGIN, ax1 + _MARGIN, ay1 + _MARGIN)
        b = (bx0 - _MARGIN, by0 - _MARGIN, bx1 + _MARGIN, by1 + _MARGIN)
        tlo0, thi0 = (px, rx) if px <= rx else (rx, px)
        tlo1, thi1 = (py, ry) if py <= ry else (ry, py)
        tlo0, thi0 = (tlo0 if tlo0 <= mx else mx), (thi0 if thi0 >= mx else mx)
        tlo1, thi1 = (tlo1 if tlo1 <= my else my), (thi1 if thi1 >= my else my)
        lo0 = tlo0 if tlo0 <= ax0 else ax0
        lo0 = (lo0 if lo0 <= bx0 else bx0) - _MARGIN
        lo1 = tlo1 if tlo1 <= ay0 else ay0
        lo1 = (lo1 if lo1 <= by0 else by0) - _MARGIN
        hi0 = thi0 if thi0 >= ax1 else ax1
        hi0 = (hi0 if hi0 >= bx1 else bx1) + _MARGIN
        hi1 = thi1 if thi1 >= ay1 else ay1
        hi1 = (hi1 if hi1 >= by1 else by1) + _MARGIN
        tlo0, tlo1, thi0, thi1 = tlo0 - _MARGIN, tlo1 - _MARGIN, thi0 + _MARGIN, thi1 + _MARGIN
        x0, x1, y0, y1 = self.x0, self.x1, self.y0, self.y1
        joined, ends = (i, j, p), (q, before)
        near = self._near(lo0, lo1, hi0, hi1) if self._grid else self._members
        for k in near:
            if x1[k] < lo0 or x0[k] > hi0 or y1[k] < lo1 or y0[k] > hi1:
                continue
            if k in joined:
                continue
            vx, vy = x[k], y[k]
            if k != q and tlo0 <= vx <= thi0 and tlo1 <= vy <= thi1:
                s1 = (mx - px) * (vy - py) - (my - py) * (vx - px)
                s2 = (rx - mx) * (vy - my) - (ry - my) * (vx - mx)
                s3 = (px - rx) * (vy - ry) - (py - ry) * (vx - rx)
                if (s1 >= -EPS and s2 >= -EPS and s3 >= -EPS) or (
                    s1 <= EPS and s2 <= EPS and s3 <= EPS
                ):
                    return False
            if k in ends:
                continue
            m = nxt[k]
            cx, cy, dx, dy = vx, vy, x[m], y[m]
            if _crosses(cx, cy, dx, dy, ax, ay, mx, my, a) or _crosses(
                cx, cy, dx, dy, mx, my, bx, by, b
            ):
                return False
        return True


def _crosses(
    cx: float,
    cy: float,
    dx: float,
    dy: float,
    ax: float,
    ay: float,
    bx: float,
    by: float,
    box: tuple[float, float, float, float],
) -> bool:
    """Does edge c-d touch or cross segment a-b, whose widened box is ``box``?"""
    lo0, lo1, hi0, hi1 = box
    if (cx < lo0 and dx < lo0) or (cx > hi0 and dx > hi0):
        return False
    if (cy < lo1 and dy < lo1) or (cy > hi1 and dy > hi1):
        return False
    d1 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx)
    d2 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx)
    d3 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    d4 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
    return d1 * d2 <= EPS and d3 * d4 <= EPS
