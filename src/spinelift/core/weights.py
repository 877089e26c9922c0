"""Bone weights for a 2D mesh from the bones' setup-pose segments (PURE: arrays in and out).

:func:`bone_weights` gives each mesh vertex a weight per bone: rows sum to 1, at most
``max_influences`` non-zero entries per row. Two formulas, and a blend of them:

* ``heat``: heat diffusion (Baran and Popovic 2007, "Automatic rigging and animation of
  3D characters"): bone ``j``'s weight solves ``(L + M H) w_j = M H p_j`` on the mesh,
  ``L`` the cotangent Laplacian, ``M`` the lumped vertex areas, ``H`` = ``1 / d^2``
  with ``d`` the distance to the nearest bone and ``p_j`` = 1 where bone ``j`` is the
  nearest. It follows the mesh's own shape: weights do not leak across a gap in the art.
  Best on limbs.
* ``inverse_square``: ``1 / d_j^2`` normalised: broad, smooth blends. Best where bones
  are controls laid over the art (eyes and faces split between two bones).
* ``blend`` (default): ``heat_share`` (0.85) of heat and the rest inverse-square: heat's
  joints with a little of the broad blend (tuned on bench/rig_quality.py).

``bias`` multiplies each bone's distance (below 1 favours it: an attachment's own slot
bone); distances are measured to the segment (a zero-length bone is a point). The solve
is one sparse factorisation shared by every bone (scipy.sparse.linalg.splu).

Why a hand-written cotangent Laplacian: it is 15 lines of scipy.sparse, the solve is
scipy's; a binding library (libigl, gpytoolbox) would add a 13 MB wheel for the same.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from spinelift.errors import InvalidParametersError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
Method = Literal["heat", "inverse_square", "blend"]

METHODS: tuple[str, ...] = ("heat", "inverse_square", "blend")


def segment_distances(points: FloatArray, segments: FloatArray) -> FloatArray:
    """(n, b) float64: distance from each of ``points`` (n, 2) to each segment (b, 2, 2)."""
    p = np.asarray(points, dtype=np.float64)[:, None, :]
    a = np.asarray(segments, dtype=np.float64)[None, :, 0, :]
    ab = np.asarray(segments, dtype=np.float64)[None, :, 1, :] - a
    length2 = (ab**2).sum(axis=2)
    t = np.where(length2 > 1e-18, ((p - a) * ab).sum(axis=2) / np.maximum(length2, 1e-18), 0.0)
    t = np.clip(t, 0.0, 1.0)
    closest = a + t[:, :, None] * ab
    return np.asarray(np.sqrt(((p - closest) ** 2).sum(axis=2)), dtype=np.float64)


def cotangent_laplacian(
    vertices: FloatArray, triangles: IntArray
) -> tuple[sp.csc_matrix, FloatArray]:
    """``(L, areas)``: the positive semi-definite cotangent Laplacian (n, n) and the lumped
    vertex areas (n,) (a third of each adjacent triangle's area)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    n = len(v)
    rows, cols, vals = [], [], []
    p = v[t]
    cross = np.abs(
        (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
        - (p[:, 1, 1] - p[:, 0, 1]) * (p[:, 2, 0] - p[:, 0, 0])
    )
    safe = np.maximum(cross, 1e-12)
    for k in range(3):
        i, j, o = t[:, (k + 1) % 3], t[:, (k + 2) % 3], t[:, k]
        u, w = v[i] - v[o], v[j] - v[o]
        cot = (u * w).sum(axis=1) / safe  # cot of the angle at o, opposite edge (i, j)
        cot = np.clip(cot, -1e3, 1e3) * 0.5
        rows += [i, j, i, j]
        cols += [j, i, i, j]
        vals += [-cot, -cot, cot, cot]
    laplacian = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsc()
    areas = np.zeros(n)
    np.add.at(areas, t.ravel(), np.repeat(cross / 6.0, 3))
    return laplacian, areas


def bone_weights(
    vertices: FloatArray,
    triangles: IntArray,
    segments: FloatArray,
    *,
    bias: FloatArray | None = None,
    method: Method = "blend",
    heat_share: float = 0.85,
    broad: npt.NDArray[np.bool_] | None = None,
    broad_share: float = 0.5,
    max_influences: int = 4,
    min_weight: float = 0.01,
) -> FloatArray:
    """(n, b) float64 weights of ``vertices`` (n, 2) on ``segments`` (b, 2, 2).

    ``triangles`` (m, 3) int indices (used by ``heat``; the mesh should be connected:
    a part not connected to any bone's nearest vertex gets inverse-square weights).
    Each row sums to 1 and has at most ``max_influences`` entries above zero; weights
    below ``min_weight`` are dropped before the rows are normalised again. With one
    bone every weight is 1. ``broad`` (b,) marks control bones (points laid over the art
    to shift it, as in parallax faces): each takes ``broad_share / (1 + (d / size)^2)``
    of every vertex (``size`` the mesh's extent), the other bones share the rest by the
    formula. Raises :class:`InvalidParametersError` for bad shapes or
    options.
    """
    points = np.asarray(vertices, dtype=np.float64)
    segs = np.asarray(segments, dtype=np.float64).reshape(-1, 2, 2)
    n, b = len(points), len(segs)
    _check(points, segs, bias, method, max_influences)
    if b == 1:
        return np.ones((n, 1))
    scale = float(np.ptp(points, axis=0).max()) if n else 1.0
    floor = max(scale, 1e-9) * 0.01
    distance = segment_distances(points, segs)
    if bias is not None:
        distance = distance * np.asarray(bias, dtype=np.float64)[None, :]
    distance = np.maximum(distance, floor)
    wide = np.zeros(b, dtype=bool) if broad is None else np.asarray(broad, dtype=bool)
    if wide.all():
        wide = np.zeros(b, dtype=bool)
    local = distance[:, ~wide]
    inverse = _normalise(local**-2.0)
    if method == "inverse_square" or local.shape[1] == 1:
        part = inverse
    else:
        heat = _heat(points, np.asarray(triangles), local, inverse)
        part = heat if method == "heat" else heat_share * heat + (1.0 - heat_share) * inverse
    weights = np.zeros((n, b))
    if wide.any():
        shares = broad_share / (1.0 + (distance[:, wide] / max(scale, 1e-9)) ** 2)
        shares *= min(1.0, 0.9 / max(float(shares.sum(axis=1).max()), 1e-12))
        weights[:, wide] = shares
        weights[:, ~wide] = part * (1.0 - shares.sum(axis=1, keepdims=True))
    else:
        weights = part
    return limit_influences(weights, max_influences, min_weight)


def limit_influences(
    weights: FloatArray, max_influences: int, min_weight: float = 0.0
) -> FloatArray:
    """Keep each row's ``max_influences`` largest weights (and those >= ``min_weight``,
    always at least the largest), then normalise rows to sum to 1."""
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    if w.shape[1] > max_influences:
        order = np.argsort(-w, axis=1)
        drop = order[:, max_influences:]
        np.put_along_axis(w, drop, 0.0, axis=1)
    top = w.max(axis=1, keepdims=True)
    w = np.where((w >= min_weight) | (w >= top), w, 0.0)
    return _normalise(w)


def _heat(
    points: FloatArray, triangles: npt.NDArray[np.int_], distance: FloatArray, fallback: FloatArray
) -> FloatArray:
    n = distance.shape[0]
    laplacian, areas = cotangent_laplacian(points, triangles.astype(np.int32))
    nearest = distance.min(axis=1)
    heat = areas / nearest**2
    one_hot = (distance <= nearest[:, None] * (1.0 + 1e-9)).astype(np.float64)
    one_hot /= one_hot.sum(axis=1, keepdims=True)
    system = (laplacian + sp.diags(heat)).tocsc()
    used = np.zeros(n, dtype=bool)
    used[triangles.ravel()] = True
    if not used.all():  # loose vertices: pin them so the system stays regular
        system = system + sp.diags(np.where(used, 0.0, 1.0))
    try:
        solved = splu(system).solve(heat[:, None] * one_hot)
    except RuntimeError:  # singular (degenerate mesh): fall back to the smooth formula
        return fallback
    solved = np.asarray(np.where(used[:, None], solved, fallback), dtype=np.float64)
    return _normalise(np.clip(solved, 0.0, None))


def _normalise(weights: FloatArray) -> FloatArray:
    total = weights.sum(axis=1, keepdims=True)
    out = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    empty = total[:, 0] <= 0
    if empty.any():  # nothing left: give the row to its best original entry
        out[empty, np.argmax(weights[empty], axis=1)] = 1.0
    return np.asarray(out, dtype=np.float64)


def _check(
    points: FloatArray,
    segs: FloatArray,
    bias: FloatArray | None,
    method: str,
    max_influences: int,
) -> None:
    problems: dict[str, str] = {}
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
        problems["vertices"] = f"must be finite (n, 2), got shape {points.shape}"
    if len(segs) == 0 or not np.isfinite(segs).all():
        problems["segments"] = "need at least one finite bone segment (b, 2, 2)"
    if bias is not None and (np.shape(bias) != (len(segs),) or not (np.asarray(bias) > 0).all()):
        problems["bias"] = f"must be {len(segs)} positive numbers"
    if method not in METHODS:
        problems["method"] = f"must be one of {', '.join(METHODS)}"
    if max_influences < 1:
        problems["max_influences"] = "must be at least 1"
    if problems:
        listing = "; ".join(f"{k} {v}" for k, v in problems.items())
        raise InvalidParametersError(
            f"cannot compute weights: {listing}", details={"fields": problems}
        )
