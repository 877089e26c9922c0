"""Pure geometry for ``bench/rig_quality.py``: texture points, where they fall in a mesh, and
where a mesh or a region carries them.

Conventions: uvs are the attachment's region uvs, 0..1 over the image, v down (as in Spine
JSON); world positions are skeleton space, y up. Arrays in, arrays out; nothing here reads
files.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def opaque_grid(alpha: npt.NDArray[np.uint8], step: int, threshold: int) -> Floats:
    """Uvs (n, 2) of the texel centres on a ``step``-pixel grid whose alpha is >= ``threshold``.

    The grid starts at ``step // 2`` on both axes, so it sits inside small images too.
    """
    height, width = alpha.shape
    rows = np.arange(step // 2, height, step)
    cols = np.arange(step // 2, width, step)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    keep = alpha[rr, cc] >= threshold
    u = (cc[keep] + 0.5) / width
    v = (rr[keep] + 0.5) / height
    return np.stack([u, v], axis=1).astype(np.float64)


def locate(points: Floats, uvs: Floats, triangles: Ints, eps: float = 1e-9) -> tuple[Ints, Floats]:
    """For each uv point, the first triangle (in uv space) holding it and its barycentric weights.

    ``uvs`` (V, 2), ``triangles`` (T, 3). Returns ``index`` (n,) with -1 where no triangle holds
    the point, and ``bary`` (n, 3) (zeros there). Degenerate uv triangles hold nothing.
    """
    n = len(points)
    index = np.full(n, -1, dtype=np.int64)
    bary = np.zeros((n, 3))
    if n == 0 or len(triangles) == 0:
        return index, bary
    a, b, c = (uvs[triangles[:, k]] for k in range(3))
    v0, v1 = b - a, c - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    valid = np.abs(den) > 1e-14
    safe = np.where(valid, den, 1.0)
    for start in range(0, n, 512):
        p = points[start : start + 512, None, :] - a[None, :, :]
        w1 = (p[..., 0] * v1[:, 1] - v1[:, 0] * p[..., 1]) / safe
        w2 = (v0[:, 0] * p[..., 1] - p[..., 0] * v0[:, 1]) / safe
        w0 = 1.0 - w1 - w2
        inside = valid & (w0 >= -eps) & (w1 >= -eps) & (w2 >= -eps)
        hit = inside.any(axis=1)
        first = inside.argmax(axis=1)
        rows = np.nonzero(hit)[0]
        tri = first[rows]
        index[start + rows] = tri
        bary[start + rows] = np.stack([w0[rows, tri], w1[rows, tri], w2[rows, tri]], axis=1)
    return index, bary


def carry(world: Floats, triangles: Ints, index: Ints, bary: Floats) -> Floats:
    """World positions (F, n, 2) of located points, given world vertices ``world`` (F, V, 2).

    Points with ``index`` -1 come out as NaN.
    """
    safe = np.where(index >= 0, index, 0)
    corners = triangles[safe]  # (n, 3)
    out: Floats = np.einsum("fnkd,nk->fnd", world[:, corners, :], bary)
    out[:, index < 0, :] = np.nan
    return out


def bilinear(corners: Floats, points: Floats) -> Floats:
    """World positions (F, n, 2) of uv points in a region whose ``corners`` (F, 4, 2) are, as
    spine-core gives them, bottom-left, top-left, top-right, bottom-right (uv (0,1), (0,0),
    (1,0), (1,1))."""
    u = points[None, :, 0:1]
    v = points[None, :, 1:2]
    bl, tl, tr, br = (corners[:, k, None, :] for k in range(4))
    return (1 - u) * (1 - v) * tl + u * (1 - v) * tr + (1 - u) * v * bl + u * v * br


def signed_areas(world: Floats, triangles: Ints) -> Floats:
    """Twice the signed area (F, T) of each triangle in each frame of ``world`` (F, V, 2)."""
    a, b, c = (world[:, triangles[:, k], :] for k in range(3))
    ab, ac = b - a, c - a
    return np.asarray(ab[..., 0] * ac[..., 1] - ab[..., 1] * ac[..., 0], dtype=np.float64)


def flips(world: Floats, setup: Floats, triangles: Ints) -> tuple[int, int]:
    """(flipped, counted) triangle-frames: sign of the signed area differs from the setup
    pose's. Triangles degenerate in the setup pose (|2A| < 1e-9) are not counted."""
    reference = signed_areas(setup[None], triangles)[0]
    keep = np.abs(reference) >= 1e-9
    if not keep.any() or len(world) == 0:
        return 0, 0
    areas = signed_areas(world, triangles)[:, keep]
    flipped = np.sign(areas) != np.sign(reference[keep])[None, :]
    return int(flipped.sum()), int(flipped.size)


def segment_distances(points: Floats, starts: Floats, ends: Floats) -> Floats:
    """Distances (n, B) from points (n, 2) to segments ``starts``-``ends`` (B, 2) (a zero-length
    segment is its start point)."""
    d = ends - starts
    length2 = np.einsum("bd,bd->b", d, d)
    rel = points[:, None, :] - starts[None, :, :]
    t = np.einsum("nbd,bd->nb", rel, d) / np.where(length2 > 0, length2, 1.0)
    t = np.clip(np.where(length2[None, :] > 0, t, 0.0), 0.0, 1.0)
    closest = starts[None, :, :] + t[..., None] * d[None, :, :]
    return np.asarray(np.linalg.norm(points[:, None, :] - closest, axis=2), dtype=np.float64)
