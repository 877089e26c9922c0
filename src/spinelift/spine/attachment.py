"""A core Mesh as a Spine mesh attachment (the JSON mapping the runtimes read).

Conventions, as the official runtimes read them (spine-ts ``SkeletonJson.readAttachment``
case ``"mesh"``, ``MeshAttachment.updateRegion`` and ``RegionAttachment.computeUVs``):

* ``uvs`` are the region uvs: flat ``[u0, v0, u1, v1, ...]`` in [0, 1] relative to the
  image, ``v`` pointing down (``v = 0`` is the image's top row).
* ``vertices`` of an unweighted mesh are flat ``[x0, y0, ...]`` in attachment space:
  origin at the image centre, ``y`` up, so ``x = px - width / 2`` and
  ``y = height / 2 - py`` (a region attachment puts its texture's top edge at
  ``+height / 2``). The runtime tells weighted from unweighted by
  ``len(vertices) == len(uvs)``, which holds here.
* ``triangles`` are flat vertex indices, clockwise as seen on screen (negative signed
  area in the y-up ``vertices``), as in the hand-made meshes of Esoteric's examples.
* ``hull`` is the NUMBER of hull vertices (the runtime stores ``hull * 2``); the hull
  vertices come first, in order.
* ``edges`` (nonessential, editor only) are index pairs into the FLOAT array, i.e.
  vertex indices times two.
* ``width`` / ``height`` (nonessential) are the image size; the runtime multiplies
  them, like ``vertices``, by its scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from spinelift.core.mesh import Mesh, MeshStats
from spinelift.errors import TriangulationError

MAX_SPINE_VERTICES = 32768
"""Spine's C/C++ runtimes keep ``triangles`` and ``edges`` as unsigned 16-bit values and
``edges`` hold vertex index x 2, so a mesh may have at most 32768 vertices."""


def mesh_attachment(
    mesh: Mesh,
    *,
    name: str | None = None,
    path: str | None = None,
    scale: float = 1.0,
    uv_decimals: int = 7,
    vertex_decimals: int = 3,
) -> dict[str, Any]:
    """The Spine mesh attachment mapping for ``mesh``.

    Keys, in the order Spine's editor writes them: ``type`` ("mesh"), ``name`` and
    ``path`` (only when given: Spine takes the attachment's key as its name and the
    name as its path), ``uvs``, ``triangles``, ``vertices``, ``hull``, ``edges``,
    ``width``, ``height``. See the module docstring for each convention.

    ``scale`` multiplies ``vertices``, ``width`` and ``height`` (skeleton units per image
    pixel, as the runtimes' own scale does); uvs never change. Values are rounded to
    ``uv_decimals`` / ``vertex_decimals`` decimals (7 and 3 keep every vertex within
    0.001 px of the mesh on a 8192 px image), integral values become ints and ``-0``
    becomes ``0``, so :func:`spinelift.spine.dumps` of the result is byte-identical
    for equal meshes.

    Raises :class:`TriangulationError` if the mesh is not one Spine can hold (bad
    indices, no triangles, hull shorter than 3, too many vertices, non-finite values).
    """
    _check(mesh, scale)
    width, height = float(mesh.width), float(mesh.height)
    verts = np.asarray(mesh.vertices, dtype=np.float64)
    local = np.empty_like(verts)
    local[:, 0] = (verts[:, 0] - width / 2.0) * scale
    local[:, 1] = (height / 2.0 - verts[:, 1]) * scale

    out: dict[str, Any] = {"type": "mesh"}
    if name is not None:
        out["name"] = name
    if path is not None:
        out["path"] = path
    out["uvs"] = _numbers(mesh.uvs().ravel(), uv_decimals)
    out["triangles"] = [int(i) for i in np.asarray(mesh.triangles).ravel()]
    out["vertices"] = _numbers(local.ravel(), vertex_decimals)
    out["hull"] = int(mesh.hull_count)
    out["edges"] = [int(i) * 2 for i in np.asarray(mesh.edges).ravel()]
    out["width"] = _number(width * scale, vertex_decimals)
    out["height"] = _number(height * scale, vertex_decimals)
    return out


def attachment_mesh(attachment: Any, *, kept_pixels: int = 0) -> Mesh:
    """The inverse of :func:`mesh_attachment` (scale 1): the core :class:`Mesh` an
    unweighted mesh attachment was written from, in image pixels (to the attachment's
    ``vertex_decimals``). ``kept_pixels`` becomes ``stats.kept_pixels`` (for
    :meth:`Mesh.overdraw`). Raises :class:`TriangulationError` for a mapping that is not
    such an attachment."""
    try:
        width, height = float(attachment["width"]), float(attachment["height"])
        local = np.asarray(attachment["vertices"], dtype=np.float64).reshape(-1, 2)
        triangles = np.asarray(attachment["triangles"], dtype=np.int32).reshape(-1, 3)
        edges = np.asarray(attachment.get("edges") or [], dtype=np.int32).reshape(-1, 2) // 2
        hull = int(attachment["hull"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TriangulationError(
            f"not a Spine mesh attachment: {exc}", details={"problems": [str(exc)]}
        ) from exc
    pixels = np.empty_like(local)
    pixels[:, 0] = local[:, 0] + width / 2.0
    pixels[:, 1] = height / 2.0 - local[:, 1]
    mesh = Mesh(
        vertices=pixels,
        triangles=triangles,
        hull_count=hull,
        edges=edges,
        width=round(width),
        height=round(height),
        stats=MeshStats(int(kept_pixels), 0, 0),
    )
    _check(mesh, 1.0)
    return mesh


def _check(mesh: Mesh, scale: float) -> None:
    n = mesh.vertex_count
    problems: list[str] = []
    if not (np.isfinite(scale) and scale > 0):
        problems.append(f"scale must be a positive finite number, got {scale}")
    if mesh.width <= 0 or mesh.height <= 0:
        problems.append(f"image size must be positive, got {mesh.width}x{mesh.height}")
    if mesh.vertices.ndim != 2 or mesh.vertices.shape[1] != 2:
        problems.append(f"vertices must have shape (n, 2), got {mesh.vertices.shape}")
    elif not np.isfinite(mesh.vertices).all():
        problems.append("vertices contain NaN or infinity")
    if n > MAX_SPINE_VERTICES:
        problems.append(f"{n} vertices, Spine allows at most {MAX_SPINE_VERTICES}")
    if not 3 <= mesh.hull_count <= n:
        problems.append(f"hull_count {mesh.hull_count} must be between 3 and {n}")
    tris = np.asarray(mesh.triangles)
    if tris.ndim != 2 or tris.shape[1] != 3 or tris.shape[0] == 0:
        problems.append(f"triangles must have shape (m, 3) with m > 0, got {tris.shape}")
    elif tris.min() < 0 or tris.max() >= n:
        problems.append("a triangle refers to a vertex that does not exist")
    edges = np.asarray(mesh.edges)
    if edges.size and (edges.ndim != 2 or edges.shape[1] != 2):
        problems.append(f"edges must have shape (k, 2), got {edges.shape}")
    elif edges.size and (edges.min() < 0 or edges.max() >= n):
        problems.append("an edge refers to a vertex that does not exist")
    if problems:
        raise TriangulationError(
            "the mesh cannot be written as a Spine attachment: " + "; ".join(problems),
            details={"problems": problems},
        )


def _numbers(values: np.ndarray[Any, np.dtype[np.float64]], decimals: int) -> list[int | float]:
    return [_number(float(v), decimals) for v in np.round(values, decimals)]


def _number(value: float, decimals: int) -> int | float:
    """``value`` rounded; an int when integral (this also turns ``-0.0`` into ``0``)."""
    rounded = round(value, decimals)
    if rounded.is_integer():
        return int(rounded)
    return rounded
