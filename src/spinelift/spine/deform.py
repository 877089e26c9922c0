"""Deform (FFD) keys of a flat mesh, re-expressed for the weighted mesh that replaces it.

A key of an unweighted mesh offsets its vertices in the slot bone's space. For the new
mesh, each new vertex takes the offset the old mesh gives at the same texel (linear
inside each old triangle, the nearest triangle's map outside), and a weighted vertex
stores it once per influence, in that bone's space: ``d_j = L_j^-1 L_slot d``, ``L`` the
bones' setup-pose linear parts. In the setup pose every influence then moves the vertex
by the same world offset, the one the old key gave the same texel. ``offset``/
``vertices`` are rewritten in full; ``time``, ``curve`` and every other key field are
kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from spinelift.spine.bound_mesh import TexelPlacement

FloatArray = npt.NDArray[np.float64]


def influences(mapping: Mapping[str, Any]) -> list[list[int]]:
    """Each vertex's bone indices, in the order a weighted mesh attachment lists them."""
    values = mapping["vertices"]
    out: list[list[int]] = []
    i = 0
    for _ in range(len(mapping["uvs"]) // 2):
        count = int(values[i])
        out.append([int(values[i + 1 + 4 * k]) for k in range(count)])
        i += 1 + 4 * count
    return out


def reexpress_keys(
    keys: list[Any],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    pixels: FloatArray,
    size: tuple[int, int],
    world: FloatArray,
    slot_bone: int,
    decimals: int = 4,
) -> list[Any]:
    """The deform ``keys`` of the flat mesh ``old`` for the weighted mesh ``new``.

    ``pixels``: (n, 2) the new vertices in image pixels; ``size``: the image's (width,
    height); ``world``: (b, 2, 3) setup-pose bone matrices; ``slot_bone``: the bone the
    old mesh's vertices are relative to.
    """
    width, height = size
    uvs = np.asarray(old["uvs"], dtype=np.float64).reshape(-1, 2) * [width, height]
    triangles = np.asarray(old["triangles"], dtype=np.int64).reshape(-1, 3)
    corners = uvs[triangles]
    area = (corners[:, 1, 0] - corners[:, 0, 0]) * (corners[:, 2, 1] - corners[:, 0, 1]) - (
        corners[:, 1, 1] - corners[:, 0, 1]
    ) * (corners[:, 2, 0] - corners[:, 0, 0])
    good = np.abs(area) > 1e-12
    bones = influences(new)
    slot_linear = world[slot_bone, :, :2]
    to_bone = {
        b: np.linalg.solve(world[b, :, :2], slot_linear) for b in {b for row in bones for b in row}
    }
    out = []
    for key in keys:
        if not isinstance(key, dict):
            out.append(key)
            continue
        offsets = np.zeros(len(uvs) * 2)
        given = np.asarray(key.get("vertices") or [], dtype=np.float64)
        start = int(key.get("offset", 0))
        offsets[start : start + len(given)] = given[: max(0, len(offsets) - start)]
        deltas = offsets.reshape(-1, 2)
        field = TexelPlacement(
            affine=None, triangles=corners[good], targets=deltas[triangles][good]
        )
        moved = field(pixels)
        flat: list[float | int] = []
        for vertex, row in zip(moved, bones, strict=True):
            for bone in row:
                dx, dy = to_bone[bone] @ vertex
                flat.extend([_plain(dx, decimals), _plain(dy, decimals)])
        rewritten = {k: v for k, v in key.items() if k not in ("offset", "vertices")}
        if any(v != 0 for v in flat):
            rewritten["vertices"] = flat
        out.append(rewritten)
    return out


def _plain(value: float, decimals: int) -> int | float:
    rounded = round(float(value), decimals)
    return int(rounded) if rounded.is_integer() else rounded
