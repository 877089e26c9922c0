"""The Spine data model and its JSON form (PURE: numpy only).

:func:`mesh_attachment` turns a core :class:`~spinelift.core.mesh.Mesh` into the
mesh attachment mapping that the official Spine runtimes read
(``SkeletonJson.readAttachment``); :func:`dumps` writes any such mapping as
deterministic, byte-identical JSON.
"""

from spinelift.spine.attachment import MAX_SPINE_VERTICES, mesh_attachment
from spinelift.spine.json_format import dumps, normalize

__all__ = ["MAX_SPINE_VERTICES", "dumps", "mesh_attachment", "normalize"]
