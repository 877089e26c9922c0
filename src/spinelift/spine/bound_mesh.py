"""Where an attachment draws its image, and the weighted mesh attachment that replaces it.

:func:`texel_placement` reads a region or unweighted mesh attachment and returns the map
from its image's pixels (original image size, y down, as :class:`~spinelift.core.mesh.Mesh`
vertices are) to its slot bone's space, exactly as the runtimes place the texture:

* region (spine-ts ``RegionAttachment.updateRegion``): the image spans ``width`` x
  ``height`` centred on the origin, scaled by ``scaleX``/``scaleY``, rotated by
  ``rotation``, moved to ``x``, ``y``: an affine map;
* unweighted mesh: texel -> uv -> the mesh's ``vertices``, linear inside each of its
  triangles (``uvs`` are relative to the original image, ``MeshAttachment.updateRegion``);
  points outside every triangle use the nearest triangle's map.

:func:`weighted_mesh` writes the Spine 4.2 weighted vertex layout: per vertex the bone
count, then per influence the bone index, the vertex in that bone's setup-pose space and
the weight; ``uvs`` relative to the image; ``hull`` the number of hull vertices; ``edges``
as vertex index x 2. Weights are rounded to 5 decimals, the largest set so each vertex's
decimals add up to 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinelift.core.mesh import Mesh
from spinelift.errors import SkeletonError

FloatArray = npt.NDArray[np.float64]

KEPT_KEYS = ("name", "path", "color", "sequence")
"""Keys of the original attachment the weighted mesh keeps."""


@dataclass(frozen=True, slots=True)
class TexelPlacement:
    """Image pixel -> slot bone space. ``affine`` (2, 3) when the map is affine (regions,
    flat meshes); else ``triangles`` (m, 3, 2) pixel corners and ``targets`` (m, 3, 2)
    bone-space corners of the original mesh's triangles."""

    affine: FloatArray | None
    triangles: FloatArray | None = None
    targets: FloatArray | None = None

    def __call__(self, pixels: FloatArray) -> FloatArray:
        """(n, 2) bone-space positions of (n, 2) image pixel points."""
        p = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
        if self.affine is not None:
            return np.asarray(p @ self.affine[:, :2].T + self.affine[:, 2], dtype=np.float64)
        assert self.triangles is not None and self.targets is not None
        bary = _barycentric(p, self.triangles)  # (n, m, 3)
        outside = np.clip(-bary, 0.0, None).sum(axis=2)  # 0 inside a triangle
        best = np.argmin(outside, axis=1)
        weights = bary[np.arange(len(p)), best]  # (n, 3)
        return np.asarray(np.einsum("nk,nkd->nd", weights, self.targets[best]), dtype=np.float64)


def texel_placement(mapping: Mapping[str, Any], width: int, height: int) -> TexelPlacement:
    """The placement of a ``width`` x ``height`` pixel image drawn by ``mapping`` (a region
    or an unweighted mesh attachment). Raises :class:`SkeletonError` for a malformed one."""
    kind = mapping.get("type", "region")
    try:
        if kind == "region":
            return TexelPlacement(affine=_region_affine(mapping, width, height))
        if kind == "mesh" and not is_weighted(mapping):
            return _mesh_placement(mapping, width, height)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SkeletonError(
            f"the {kind} attachment cannot be read: {exc}", details={"problems": [str(exc)]}
        ) from exc
    raise SkeletonError(f"a {kind} attachment has no texel placement", details={"problems": [kind]})


def is_weighted(mapping: Mapping[str, Any]) -> bool:
    """Whether a mesh attachment is weighted (more vertex values than uv values)."""
    return len(mapping.get("vertices", [])) != len(mapping.get("uvs", []))


def _region_affine(mapping: Mapping[str, Any], width: int, height: int) -> FloatArray:
    w, h = float(mapping["width"]), float(mapping["height"])
    sx, sy = float(mapping.get("scaleX", 1.0)), float(mapping.get("scaleY", 1.0))
    angle = math.radians(float(mapping.get("rotation", 0.0)))
    cos, sin = math.cos(angle), math.sin(angle)
    # pixel -> unrotated local: x = (px / W - 1/2) w sx, y = (1/2 - py / H) h sy
    kx, ky = w * sx / width, -h * sy / height
    ox, oy = -w * sx / 2.0, h * sy / 2.0
    linear = np.array([[cos * kx, -sin * ky], [sin * kx, cos * ky]])
    offset = np.array([cos * ox - sin * oy, sin * ox + cos * oy])
    offset += [float(mapping.get("x", 0.0)), float(mapping.get("y", 0.0))]
    return np.concatenate([linear, offset[:, None]], axis=1)


def _mesh_placement(mapping: Mapping[str, Any], width: int, height: int) -> TexelPlacement:
    uvs = np.asarray(mapping["uvs"], dtype=np.float64).reshape(-1, 2) * [width, height]
    verts = np.asarray(mapping["vertices"], dtype=np.float64).reshape(-1, 2)
    tris = np.asarray(mapping["triangles"], dtype=np.int64).reshape(-1, 3)
    if len(uvs) != len(verts) or len(tris) == 0 or tris.max() >= len(verts):
        raise ValueError("uvs, vertices and triangles do not match")
    # affine fit: exact for a flat mesh (the usual case), which keeps every texel in place
    design = np.concatenate([uvs, np.ones((len(uvs), 1))], axis=1)
    solution, *_ = np.linalg.lstsq(design, verts, rcond=None)
    error = np.abs(design @ solution - verts).max()
    if error <= 1e-3 * max(1.0, float(np.ptp(verts, axis=0).max())):
        return TexelPlacement(affine=np.asarray(solution.T, dtype=np.float64))
    area = _areas(uvs[tris])
    good = np.abs(area) > 1e-12
    return TexelPlacement(affine=None, triangles=uvs[tris[good]], targets=verts[tris[good]])


def _areas(corners: FloatArray) -> FloatArray:
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    return np.asarray(
        0.5
        * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])),
        dtype=np.float64,
    )


def _barycentric(points: FloatArray, corners: FloatArray) -> FloatArray:
    a, b, c = corners[None, :, 0], corners[None, :, 1], corners[None, :, 2]
    p = points[:, None, :]
    v0, v1, v2 = b - a, c - a, p - a
    den = v0[..., 0] * v1[..., 1] - v1[..., 0] * v0[..., 1]
    l1 = (v2[..., 0] * v1[..., 1] - v1[..., 0] * v2[..., 1]) / den
    l2 = (v0[..., 0] * v2[..., 1] - v2[..., 0] * v0[..., 1]) / den
    return np.stack([1.0 - l1 - l2, l1, l2], axis=2)


def weighted_mesh(
    original: Mapping[str, Any],
    mesh: Mesh,
    world_vertices: FloatArray,
    bones: npt.NDArray[np.int64],
    weights: FloatArray,
    world: FloatArray,
    *,
    size: tuple[float, float] | None = None,
    decimals: int = 4,
    weight_decimals: int = 5,
) -> dict[str, Any]:
    """The weighted mesh attachment mapping that replaces ``original``.

    ``mesh``: vertices in image pixels (uvs = vertex / image size); ``world_vertices``
    (n, 2) where each vertex lies in skeleton space in the setup pose; ``bones`` (k,)
    skeleton bone indices; ``weights`` (n, k) rows summing to 1; ``world`` (b, 2, 3) every
    bone's setup-pose world matrix (:func:`~spinelift.spine.skeleton_data.world_transforms`).
    ``size``: the nonessential ``width``/``height`` (default: the image size).
    Keeps ``name``, ``path``, ``color`` and ``sequence`` of the original.
    """
    out: dict[str, Any] = {"type": "mesh"}
    for key in KEPT_KEYS:
        if key in original:
            out[key] = original[key]
    uvs = mesh.uvs()
    inverse = np.linalg.inv(world[bones][:, :, :2])  # (k, 2, 2)
    offsets = world[bones][:, :, 2]  # (k, 2)
    # every vertex in every chosen bone's space: (n, k, 2)
    local = np.einsum("kij,nkj->nki", inverse, world_vertices[:, None, :] - offsets[None])
    local = np.round(local, decimals)
    rows = _rounded_rows(np.asarray(weights, dtype=np.float64), weight_decimals)
    flat: list[float | int] = []
    for i, row in enumerate(rows):
        flat.append(len(row))
        for column, weight in row:
            x, y = local[i, column]
            flat.extend([int(bones[column]), _plain(x), _plain(y), weight])
    out["uvs"] = [_number(v, 7) for v in uvs.ravel()]
    out["triangles"] = [int(i) for i in np.asarray(mesh.triangles).ravel()]
    out["vertices"] = flat
    out["hull"] = int(mesh.hull_count)
    out["edges"] = [int(i) * 2 for i in np.asarray(mesh.edges).ravel()]
    width, height = size if size is not None else (float(mesh.width), float(mesh.height))
    out["width"] = _number(width, decimals)
    out["height"] = _number(height, decimals)
    return out


def _rounded_rows(weights: FloatArray, decimals: int) -> list[list[tuple[int, float | int]]]:
    """Each vertex's non-zero weights, rounded, the largest adjusted so they sum to 1."""
    rounded = np.round(weights, decimals)
    out = []
    for i in range(len(weights)):
        columns = np.nonzero(rounded[i] > 0)[0]
        if len(columns) == 0:
            columns = np.array([int(np.argmax(weights[i]))])
            values = [1.0]
        else:
            values = [float(v) for v in rounded[i, columns]]
        largest = int(np.argmax(values))
        values[largest] = round(1.0 - (sum(values) - values[largest]), decimals)
        out.append([(int(c), _plain(v)) for c, v in zip(columns, values, strict=True)])
    return out


def _plain(value: float) -> int | float:
    """A float as JSON writes it best: an int when integral (also turns -0.0 into 0)."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _number(value: float, decimals: int) -> int | float:
    rounded = round(float(value), decimals)
    return int(rounded) if rounded.is_integer() else rounded
