"""A :class:`~spinelift.core.mesh.Mesh` as plain JSON and back, without loss.

The web app stores the mesh it made for a layer's export image and hands it back to
:func:`spinelift.io.export.export_document` (``meshes=``). A Spine attachment is not a
lossless store (its vertices are rounded, centred and flipped), so the record keeps the
engine's own values: vertex coordinates as JSON floats (Python writes the shortest text
that reads back to the same float), indices as ints. Same mesh in, same bytes out of
the export, whether it was meshed there or stored and read back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from spinelift.core.mesh import Mesh, MeshStats
from spinelift.errors import InvalidParametersError


def mesh_record(mesh: Mesh) -> dict[str, Any]:
    """``mesh`` as a JSON-ready mapping (see the module docstring)."""
    return {
        "vertices": [float(v) for v in np.asarray(mesh.vertices, dtype=np.float64).ravel()],
        "triangles": [int(i) for i in np.asarray(mesh.triangles).ravel()],
        "hull_count": int(mesh.hull_count),
        "edges": [int(i) for i in np.asarray(mesh.edges).ravel()],
        "width": int(mesh.width),
        "height": int(mesh.height),
        "kept_pixels": int(mesh.stats.kept_pixels),
        "islands": int(mesh.stats.islands),
        "holes_kept": int(mesh.stats.holes_kept),
    }


def mesh_from_record(record: Any) -> Mesh:
    """The :class:`Mesh` of :func:`mesh_record`; :class:`InvalidParametersError` when the
    record is not one (missing keys, odd lengths, indices out of range)."""
    try:
        vertices = np.asarray(record["vertices"], dtype=np.float64).reshape(-1, 2)
        triangles = np.asarray(record["triangles"], dtype=np.int32).reshape(-1, 3)
        edges = np.asarray(record["edges"], dtype=np.int32).reshape(-1, 2)
        hull = int(record["hull_count"])
        width, height = int(record["width"]), int(record["height"])
        stats = MeshStats(
            int(record.get("kept_pixels", 0)),
            int(record.get("islands", 0)),
            int(record.get("holes_kept", 0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidParametersError(f"not a stored mesh record: {exc}") from exc
    n = len(vertices)
    if (triangles.size and (triangles.min() < 0 or triangles.max() >= n)) or not 0 < hull <= n:
        raise InvalidParametersError("not a stored mesh record: indices out of range")
    return Mesh(vertices, triangles, hull, edges, width, height, stats)
