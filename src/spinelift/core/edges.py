"""Triangles -> outline loops, with the hull's vertices put first as Spine requires.

A Spine mesh lists its hull vertices first, in order around the outline;
``hull`` counts them and ``edges`` lists the outline edges. This stage reads
the outlines off the triangles themselves (an edge used by one triangle only
is on an outline), so it stays right even when Triangle split outline edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinelift.core.polygon import ring_segments
from spinelift.errors import TriangulationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Ordered:
    """``vertices`` (n, 2) with the hull first, then hole loops, then interior vertices;
    ``triangles`` (m, 3) renumbered; ``edges`` (k, 2) outline edges, hull first."""

    vertices: FloatArray
    triangles: IntArray
    hull_count: int
    edges: IntArray


def order_outline(vertices: FloatArray, triangles: IntArray, hull_start: int = 0) -> Ordered:
    """Put the outline loop through ``hull_start`` first, then the other loops, then the rest.

    Triangles must all have positive shoelace area; outline loops then run
    clockwise on screen for the hull and the other way for holes.
    """
    directed = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    forward = {(int(a), int(b)) for a, b in directed}
    nxt: dict[int, int] = {}
    for a, b in sorted(forward):
        if (b, a) not in forward:
            if a in nxt:
                raise TriangulationError(
                    "the mesh outline touches itself at a vertex",
                    details={"vertex": a},
                )
            nxt[a] = b
    if hull_start not in nxt:
        raise TriangulationError("the hull vertex is not on the mesh outline", details={})
    loops = []
    seen: set[int] = set()
    for start in [hull_start, *sorted(nxt)]:
        if start in seen:
            continue
        loop = [start]
        seen.add(start)
        k = nxt[start]
        while k != start:
            if k in seen or k not in nxt:
                raise TriangulationError("the mesh outline is not a closed loop", details={})
            loop.append(k)
            seen.add(k)
            k = nxt[k]
        loops.append(loop)
    outline = [v for loop in loops for v in loop]
    rest = [v for v in range(len(vertices)) if v not in seen]
    order = np.asarray(outline + rest, dtype=np.int64)
    new_index = np.empty(len(vertices), dtype=np.int32)
    new_index[order] = np.arange(len(order), dtype=np.int32)
    return Ordered(
        vertices=vertices[order],
        triangles=new_index[triangles],
        hull_count=len(loops[0]),
        edges=ring_segments([len(loop) for loop in loops]),
    )
