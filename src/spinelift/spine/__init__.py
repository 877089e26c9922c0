"""The Spine data model and its JSON form (PURE: numpy only).

:func:`mesh_attachment` turns a core :class:`~spinelift.core.mesh.Mesh` into the
mesh attachment mapping that the official Spine runtimes read
(``SkeletonJson.readAttachment``); :func:`mesh_attachment_for_layer` places it on a
bone; :class:`Skeleton` with its :class:`Bone`, :class:`Slot` and :class:`Skin` values
becomes the skeleton JSON (:func:`skeleton_json`, Spine 4.2 by default); :func:`dumps`
writes any such mapping as deterministic, byte-identical JSON; :func:`atlas_text` writes
the texture atlas; :func:`safe_path` makes layer names safe as paths.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spinelift.spine.atlas_format import AtlasPage, AtlasRegion, atlas_text
    from spinelift.spine.attachment import MAX_SPINE_VERTICES, mesh_attachment
    from spinelift.spine.json_format import dumps, normalize
    from spinelift.spine.model import (
        BLEND_MODES,
        BlendMode,
        Bone,
        Skeleton,
        Skin,
        Slot,
        check_skeleton,
        slot_color,
    )
    from spinelift.spine.packing import PackedPages, Placement, pack_rects
    from spinelift.spine.paths import is_safe_path, safe_path, unique_paths
    from spinelift.spine.skeleton import (
        bone_world_positions,
        mesh_attachment_for_layer,
        region_attachment_for_layer,
        setup_pose_bounds,
        skeleton_dumps,
        skeleton_json,
        skeleton_point,
        spine_version_string,
    )
    from spinelift.spine.versions import DEFAULT_SPINE_VERSION, SPINE_VERSIONS

_LAZY = {
    "AtlasPage": "atlas_format",
    "AtlasRegion": "atlas_format",
    "BLEND_MODES": "model",
    "BlendMode": "model",
    "Bone": "model",
    "DEFAULT_SPINE_VERSION": "versions",
    "MAX_SPINE_VERTICES": "attachment",
    "PackedPages": "packing",
    "Placement": "packing",
    "SPINE_VERSIONS": "versions",
    "Skeleton": "model",
    "Skin": "model",
    "Slot": "model",
    "atlas_text": "atlas_format",
    "bone_world_positions": "skeleton",
    "check_skeleton": "model",
    "dumps": "json_format",
    "is_safe_path": "paths",
    "mesh_attachment": "attachment",
    "mesh_attachment_for_layer": "skeleton",
    "normalize": "json_format",
    "pack_rects": "packing",
    "region_attachment_for_layer": "skeleton",
    "safe_path": "paths",
    "setup_pose_bounds": "skeleton",
    "skeleton_dumps": "skeleton",
    "skeleton_json": "skeleton",
    "skeleton_point": "skeleton",
    "slot_color": "model",
    "spine_version_string": "skeleton",
    "unique_paths": "paths",
}
"""each name's module, loaded on first use: the command line reads the versions without
loading numpy"""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BLEND_MODES",
    "DEFAULT_SPINE_VERSION",
    "MAX_SPINE_VERTICES",
    "SPINE_VERSIONS",
    "AtlasPage",
    "AtlasRegion",
    "BlendMode",
    "Bone",
    "PackedPages",
    "Placement",
    "Skeleton",
    "Skin",
    "Slot",
    "atlas_text",
    "bone_world_positions",
    "check_skeleton",
    "dumps",
    "is_safe_path",
    "mesh_attachment",
    "mesh_attachment_for_layer",
    "normalize",
    "pack_rects",
    "region_attachment_for_layer",
    "safe_path",
    "setup_pose_bounds",
    "skeleton_dumps",
    "skeleton_json",
    "skeleton_point",
    "slot_color",
    "spine_version_string",
    "unique_paths",
]
