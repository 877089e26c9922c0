"""A mutable ring for the simplifier: linked slots plus a uniform grid for clearance tests.

The simplifier (:mod:`spinelift.core.polygon`) removes one vertex per move and must
check, before each move, that the new edges cross no other edge and that the area
it adds holds no other vertex. Testing every edge costs O(n) per move; the grid
here narrows each test to the edges and vertices whose cells the query's bounding
box touches, so a move costs about O(1) for the short edges of real outlines.

The grid only chooses *candidates*: every candidate then passes the same exact
bounding-box filter and the same floating-point orientation tests, in the same
order of operations, as a test of every edge would. The result of a test is
therefore independent of the grid (cell size, edges filed as "long"), which keeps
the simplifier's output identical whatever the grid looks like.

Scalar geometry runs on Python floats: numpy is slow on single numbers and on the
handful of candidates a query finds.
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


class Ring:
    """A ring as a doubly linked list over fixed slots, so moves are O(1).

    ``x``/``y`` hold each slot's position; ``nxt``/``prv`` the links; ``alive``
    marks live slots; ``stamp`` lets callers invalidate queued work per slot.
    Slot ``k``'s edge is ``k -> nxt[k]``.
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
        self._head = 0
        self._live: list[int] | None = None
        self._grid = n >= GRID_MIN
        self._ox, self._oy = min(self.x), min(self.y)
        extent = max(max(self.x) - self._ox, max(self.y) - self._oy, 1.0)
        self._g = max(1, min(64, math.isqrt(n) // 2))
        self._inv = self._g / extent
        self._point_cell = [0] * n
        self._points: dict[int, set[int]] = {}
        self._edges: dict[int, set[int]] = {}
        self._long: set[int] = set()
        self._edge_cells: list[list[int] | None] = [None] * n
        if self._grid:
            for k in range(n):
                self._point_cell[k] = c = self._cell(self.x[k], self.y[k])
                self._points.setdefault(c, set()).add(k)
                self._file_edge(k)

    # -- grid ------------------------------------------------------------------------

    def _index(self, v: float, origin: float) -> int:
        return min(max(int((v - origin) * self._inv), 0), self._g - 1)

    def _cell(self, x: float, y: float) -> int:
        return self._index(y, self._oy) * self._g + self._index(x, self._ox)

    def _cells(self, x0: float, y0: float, x1: float, y1: float) -> list[int] | None:
        """Cells of the box (x0, y0)-(x1, y1) (x0 <= x1, y0 <= y1); None if more than _LONG."""
        cx0, cx1 = self._index(x0, self._ox), self._index(x1, self._ox)
        cy0, cy1 = self._index(y0, self._oy), self._index(y1, self._oy)
        if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > _LONG:
            return None
        g = self._g
        return [cy * g + cx for cy in range(cy0, cy1 + 1) for cx in range(cx0, cx1 + 1)]

    def _file_edge(self, k: int) -> None:
        x, y, m = self.x, self.y, self.nxt[k]
        cells = self._cells(min(x[k], x[m]), min(y[k], y[m]), max(x[k], x[m]), max(y[k], y[m]))
        self._edge_cells[k] = cells
        if cells is None:
            self._long.add(k)
            return
        for c in cells:
            self._edges.setdefault(c, set()).add(k)

    def _unfile_edge(self, k: int) -> None:
        cells = self._edge_cells[k]
        if cells is None:
            self._long.discard(k)
            return
        for c in cells:
            self._edges[c].discard(k)

    def _near(
        self, grid: dict[int, set[int]], lo: tuple[float, float], hi: tuple[float, float]
    ) -> list[int]:
        """Live slots filed in the cells of box lo-hi (every live slot without a grid)."""
        cells = self._cells(lo[0], lo[1], hi[0], hi[1]) if self._grid else None
        if cells is None:
            return self.live()
        found: set[int] = set()
        for c in cells:
            members = grid.get(c)
            if members:
                found |= members
        if grid is self._edges:
            found |= self._long
        return list(found)

    # -- edits -----------------------------------------------------------------------

    def cross(self, a: int, b: int, c: int) -> float:
        """Twice the signed area of triangle (a, b, c), by slot."""
        x, y = self.x, self.y
        return (x[b] - x[a]) * (y[c] - y[a]) - (y[b] - y[a]) * (x[c] - x[a])

    def unlink(self, dead: int, before: int, after: int) -> None:
        """Remove slot ``dead``; ``before`` now links straight to ``after``."""
        if self._grid:
            self._unfile_edge(dead)
            self._unfile_edge(before)
            self._points[self._point_cell[dead]].discard(dead)
        self.nxt[before], self.prv[after] = after, before
        self.alive[dead] = False
        self.count -= 1
        self._live = None
        if self._head == dead:
            self._head = after
        if self._grid:
            self._file_edge(before)

    def move(self, slot: int, x: float, y: float) -> None:
        """Put ``slot`` at (x, y); its two edges follow."""
        self.x[slot], self.y[slot] = x, y
        if not self._grid:
            return
        before = self.prv[slot]
        self._unfile_edge(slot)
        self._unfile_edge(before)
        self._points[self._point_cell[slot]].discard(slot)
        cell = self._cell(x, y)
        self._point_cell[slot] = cell
        self._points.setdefault(cell, set()).add(slot)
        self._file_edge(slot)
        self._file_edge(before)

    def live(self) -> list[int]:
        """The live slots in ring order (from any one of them); do not modify the list."""
        if self._live is not None:
            return self._live
        nxt, k = self.nxt, self._head
        order = [k] * self.count
        for i in range(1, self.count):
            k = nxt[k]
            order[i] = k
        self._live = order
        return order

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

    def crosses(self, a: tuple[float, float], b: tuple[float, float], skip: set[int]) -> bool:
        """Does segment a-b touch or cross any live edge whose slot is not in ``skip``?

        Conservative: touching and collinear overlap count as crossing.
        """
        ax, ay = a
        bx, by = b
        lo = (min(ax, bx) - _MARGIN, min(ay, by) - _MARGIN)
        hi = (max(ax, bx) + _MARGIN, max(ay, by) + _MARGIN)
        lo0, lo1, hi0, hi1 = lo[0], lo[1], hi[0], hi[1]
        x, y, nxt = self.x, self.y, self.nxt
        for k in self._near(self._edges, lo, hi):
            m = nxt[k]
            cx, dx = x[k], x[m]
            if (cx < lo0 and dx < lo0) or (cx > hi0 and dx > hi0):
                continue
            cy, dy = y[k], y[m]
            if (cy < lo1 and dy < lo1) or (cy > hi1 and dy > hi1) or k in skip:
                continue
            d1 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx)
            d2 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx)
            d3 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
            d4 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
            if d1 * d2 <= EPS and d3 * d4 <= EPS:
                return True
        return False

    def holds_vertex(self, tri: list[tuple[float, float]], skip: set[int]) -> bool:
        """Does any live vertex whose slot is not in ``skip`` lie inside or on triangle ``tri``?"""
        (px, py), (qx, qy), (rx, ry) = tri
        lo = (min(px, qx, rx) - _MARGIN, min(py, qy, ry) - _MARGIN)
        hi = (max(px, qx, rx) + _MARGIN, max(py, qy, ry) + _MARGIN)
        lo0, lo1, hi0, hi1 = lo[0], lo[1], hi[0], hi[1]
        x, y = self.x, self.y
        for k in self._near(self._points, lo, hi):
            vx, vy = x[k], y[k]
            if not (lo0 <= vx <= hi0 and lo1 <= vy <= hi1) or k in skip:
                continue
            s1 = (qx - px) * (vy - py) - (qy - py) * (vx - px)
            s2 = (rx - qx) * (vy - qy) - (ry - qy) * (vx - qx)
            s3 = (px - rx) * (vy - ry) - (py - ry) * (vx - rx)
            if (s1 >= -EPS and s2 >= -EPS and s3 >= -EPS) or (
                s1 <= EPS and s2 <= EPS and s3 <= EPS
            ):
                return True
        return False
