"""Layers placed on bones, and the skeleton JSON the Spine runtimes and editor read.

Spaces, from the layered document to a bone:

* canvas: pixels, origin at the canvas's top-left corner, y down. A pixel point
  ``(px, py)`` of a layer image whose top-left lies at ``(left, top)`` is the canvas
  point ``(left + px, top + py)``;
* skeleton: ``((cx - origin_x) * scale, (origin_y - cy) * scale)``, y up, the origin
  wherever the caller puts it (e.g. the canvas's bottom centre);
* bone: skeleton minus the bone's world position (the bones SpineLift makes are not
  rotated or scaled, so that is all; :func:`bone_world_positions` refuses others).

The JSON follows spine-ts ``SkeletonJson.readSkeletonData`` (4.0-4.2): ``skeleton``
``{hash, spine, x, y, width, height, fps?, images, audio}`` where ``spine`` is a version
string that the C and C++ runtimes (4.1+) require to start with their own ``major.minor``;
``bones`` root first, parents before children; ``slots`` in draw order; ``skins`` as an
array of ``{name, attachments}`` (since 3.8); ``animations`` as an object (empty is
read as no animation). Keys equal to the runtimes' defaults are left out, as Spine does.

Size: over 300 lines, on purpose: the skeleton JSON's writer and the spaces it
converts between belong together.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from typing import Any

import numpy as np

from spinelift.core.mesh import Mesh
from spinelift.errors import InvalidParametersError
from spinelift.spine.attachment import mesh_attachment
from spinelift.spine.json_format import dumps, normalize
from spinelift.spine.model import Bone, Skeleton, Slot, check_skeleton
from spinelift.spine.versions import DEFAULT_SPINE_VERSION, SPINE_VERSIONS

_VERSION = re.compile(r"^(\d+\.\d+)(\.\d+)?$")


def spine_version_string(version: str = DEFAULT_SPINE_VERSION) -> str:
    """The ``skeleton.spine`` string for ``version`` (``"4.2"`` or a full ``"4.2.17"``).

    Raises :class:`InvalidParametersError` for other versions; 3.8 is refused because its
    runtimes read an older atlas format (``xy``/``size``/``orig`` fields in a fixed order)
    that SpineLift does not write yet.
    """
    match = _VERSION.match(version)
    if match is None or match.group(1) not in SPINE_VERSIONS:
        hint = (
            " (Spine 3.8 runtimes need the legacy atlas format, which is not written yet)"
            if version.startswith("3.")
            else ""
        )
        raise InvalidParametersError(
            f"unsupported Spine version {version!r}{hint}; "
            f"choose one of {', '.join(SPINE_VERSIONS)}",
            details={"fields": {"spine_version": version}},
        )
    return version if match.group(2) else SPINE_VERSIONS[match.group(1)]


def skeleton_point(
    canvas_x: float, canvas_y: float, *, origin_x: float, origin_y: float, scale: float = 1.0
) -> tuple[float, float]:
    """A canvas point (pixels, y down) in skeleton space (y up)."""
    return (canvas_x - origin_x) * scale, (origin_y - canvas_y) * scale


def mesh_attachment_for_layer(
    mesh: Mesh,
    *,
    canvas_left: float,
    canvas_top: float,
    bone_world_x: float,
    bone_world_y: float,
    origin_x: float,
    origin_y: float,
    scale: float = 1.0,
    path: str | None = None,
    vertex_decimals: int = 3,
    pixel_scale: tuple[float, float] = (1.0, 1.0),
) -> dict[str, Any]:
    """The mesh attachment for ``mesh`` (in its layer image's pixels) placed on a bone.

    The layer image's top-left corner lies at canvas ``(canvas_left, canvas_top)``; the
    bone (not rotated or scaled) at skeleton ``(bone_world_x, bone_world_y)``. Vertices
    are in bone space; uvs, triangles, hull, edges and width/height are those of
    :func:`spinelift.spine.mesh_attachment` (uvs relative to the region image, so the
    atlas page layout never changes the JSON). ``path`` names the atlas region / image.
    ``pixel_scale``: image pixels per canvas pixel (x, y) of a resampled image.
    """
    sx, sy = pixel_scale
    out = mesh_attachment(mesh, path=path, scale=scale / sx, vertex_decimals=vertex_decimals)
    verts = np.asarray(mesh.vertices, dtype=np.float64)
    local = np.empty_like(verts)
    if sx == 1.0 and sy == 1.0:  # the same arithmetic as ever: same bytes
        local[:, 0] = (canvas_left + verts[:, 0] - origin_x) * scale - bone_world_x
        local[:, 1] = (origin_y - canvas_top - verts[:, 1]) * scale - bone_world_y
    else:
        local[:, 0] = (canvas_left + verts[:, 0] / sx - origin_x) * scale - bone_world_x
        local[:, 1] = (origin_y - canvas_top - verts[:, 1] / sy) * scale - bone_world_y
    if not np.isfinite(local).all():
        raise InvalidParametersError("the placement gives non-finite vertex positions")
    out["vertices"] = normalize(np.round(local.ravel(), vertex_decimals))
    return out


def region_attachment_for_layer(
    width: int,
    height: int,
    *,
    canvas_left: float,
    canvas_top: float,
    bone_world_x: float,
    bone_world_y: float,
    origin_x: float,
    origin_y: float,
    scale: float = 1.0,
    path: str | None = None,
    decimals: int = 3,
    pixel_scale: tuple[float, float] = (1.0, 1.0),
) -> dict[str, Any]:
    """The region attachment for a ``width`` x ``height`` layer image placed on a bone.

    A region attachment is placed by its centre (``x``, ``y`` in bone space); ``width``
    and ``height`` are the image size and ``scaleX``/``scaleY`` carry ``scale`` divided
    by ``pixel_scale`` (image pixels per canvas pixel of a resampled image).
    """
    if width <= 0 or height <= 0:
        raise InvalidParametersError(f"image size must be positive, got {width}x{height}")
    sx, sy = pixel_scale
    centre_x, centre_y = canvas_left + width / sx / 2, canvas_top + height / sy / 2
    cx, cy = skeleton_point(centre_x, centre_y, origin_x=origin_x, origin_y=origin_y, scale=scale)
    out: dict[str, Any] = {}
    if path is not None:
        out["path"] = path
    out["x"] = round(cx - bone_world_x, decimals)
    out["y"] = round(cy - bone_world_y, decimals)
    if scale / sx != 1.0 or scale / sy != 1.0:
        out["scaleX"] = round(scale / sx, 6)
        out["scaleY"] = round(scale / sy, 6)
    out["width"] = width
    out["height"] = height
    placed: dict[str, Any] = normalize(out)
    return placed


def bone_world_positions(bones: tuple[Bone, ...] | list[Bone]) -> dict[str, tuple[float, float]]:
    """Each bone's world position, for bones listed parents first.

    Raises :class:`InvalidParametersError` for a rotated or scaled bone that has children
    (placing attachments would then need the full transform) or an unknown parent.
    """
    world: dict[str, tuple[float, float]] = {}
    plain: dict[str, bool] = {}
    for bone in bones:
        if bone.parent is None:
            px, py = 0.0, 0.0
        elif bone.parent not in world:
            raise InvalidParametersError(f"bone {bone.name!r}: parent {bone.parent!r} unknown")
        elif not plain[bone.parent]:
            raise InvalidParametersError(
                f"bone {bone.name!r}: its parent {bone.parent!r} is rotated or scaled"
            )
        else:
            px, py = world[bone.parent]
        world[bone.name] = (px + bone.x, py + bone.y)
        plain[bone.name] = bone.rotation == 0 and bone.scale_x == 1 and bone.scale_y == 1
    return world


def setup_pose_bounds(skeleton: Skeleton) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` around every slot's setup attachment, in skeleton units.

    Mesh attachments count by their (unweighted) vertices, region attachments by their
    corners, turned and scaled with their slot's bone; other kinds are ignored. A slot's
    attachment is looked up in the ``default`` skin first, then the others in order.
    ``(0, 0, 0, 0)`` when there is none.
    """
    world = bone_world_positions(skeleton.bones)
    bones = {bone.name: bone for bone in skeleton.bones}
    skins = sorted(skeleton.skins, key=lambda s: s.name != "default")
    points: list[np.ndarray[Any, np.dtype[np.float64]]] = []
    for slot in skeleton.slots:
        if slot.attachment is None:
            continue
        att = next(
            (
                skin.attachments[slot.name][slot.attachment]
                for skin in skins
                if slot.attachment in skin.attachments.get(slot.name, {})
            ),
            None,
        )
        if att is None:
            continue
        local = _attachment_outline(att)
        if local is not None:
            bone = bones[slot.bone]
            angle = math.radians(bone.rotation)
            cos, sin = math.cos(angle), math.sin(angle)
            # the bone's own rotation and scale (Spine's local matrix without shear)
            matrix = np.array([[cos * bone.scale_x, -sin * bone.scale_y],
                               [sin * bone.scale_x, cos * bone.scale_y]])  # fmt: skip
            points.append(local @ matrix.T + np.array(world[slot.bone]))
    if not points:
        return (0.0, 0.0, 0.0, 0.0)
    allpts = np.concatenate(points)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))


def skeleton_json(
    skeleton: Skeleton,
    *,
    spine_version: str = DEFAULT_SPINE_VERSION,
    decimals: int = 2,
) -> dict[str, Any]:
    """The skeleton JSON mapping, in the key order Spine writes.

    Checked first (:func:`~spinelift.spine.model.check_skeleton`). Bounds and bone
    values are rounded to ``decimals`` (Spine writes 2); attachments are written as
    given. Raises :class:`InvalidParametersError` for an unsupported version or a
    skeleton the runtimes would refuse.
    """
    version = spine_version_string(spine_version)
    check_skeleton(skeleton)
    bounds = skeleton.bounds if skeleton.bounds is not None else setup_pose_bounds(skeleton)
    if not all(math.isfinite(v) for v in bounds):
        raise InvalidParametersError(f"skeleton bounds must be finite, got {bounds}")
    header: dict[str, Any] = {"hash": "", "spine": version}
    for key, value in zip(("x", "y", "width", "height"), bounds, strict=True):
        header[key] = round(value, decimals)
    if skeleton.fps is not None:
        header["fps"] = skeleton.fps
    header["images"] = skeleton.images
    header["audio"] = skeleton.audio
    out: dict[str, Any] = {
        "skeleton": header,
        "bones": [_bone_json(bone, decimals) for bone in skeleton.bones],
        "slots": [_slot_json(slot) for slot in skeleton.slots],
        "skins": [
            {"name": skin.name, "attachments": _plain(skin.attachments)} for skin in skeleton.skins
        ],
        "animations": {},
    }
    out = normalize(out)
    out["skeleton"]["hash"] = skeleton.hash if skeleton.hash is not None else _content_hash(out)
    return out


def skeleton_dumps(
    skeleton: Skeleton,
    *,
    spine_version: str = DEFAULT_SPINE_VERSION,
    indent: int | None = None,
) -> str:
    """:func:`skeleton_json` as deterministic JSON text (byte-identical for equal input)."""
    return dumps(skeleton_json(skeleton, spine_version=spine_version), indent=indent)


def _bone_json(bone: Bone, decimals: int) -> dict[str, Any]:
    out: dict[str, Any] = {"name": bone.name}
    if bone.parent is not None:
        out["parent"] = bone.parent
    optional = (
        ("length", bone.length, 0.0),
        ("rotation", bone.rotation, 0.0),
        ("x", bone.x, 0.0),
        ("y", bone.y, 0.0),
        ("scaleX", bone.scale_x, 1.0),
        ("scaleY", bone.scale_y, 1.0),
    )
    for key, value, default in optional:
        if not math.isfinite(value):
            raise InvalidParametersError(f"bone {bone.name!r}: {key} is {value}")
        rounded = round(value, decimals)
        if rounded != default:
            out[key] = rounded
    if bone.color is not None:
        out["color"] = bone.color
    return out


def _slot_json(slot: Slot) -> dict[str, Any]:
    out: dict[str, Any] = {"name": slot.name, "bone": slot.bone}
    if slot.color != "ffffffff":
        out["color"] = slot.color
    if slot.attachment is not None:
        out["attachment"] = slot.attachment
    if slot.blend != "normal":
        out["blend"] = slot.blend
    return out


def _plain(attachments: Any) -> dict[str, Any]:
    return {
        slot: {name: dict(att) for name, att in entries.items()}
        for slot, entries in attachments.items()
    }


def _attachment_outline(att: Any) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    kind = att.get("type", "region")
    if kind == "mesh" and "vertices" in att and len(att["vertices"]) == len(att.get("uvs", ())):
        return np.asarray(att["vertices"], dtype=np.float64).reshape(-1, 2)
    if kind == "region" and "width" in att and "height" in att:
        w = float(att["width"]) * float(att.get("scaleX", 1)) / 2
        h = float(att["height"]) * float(att.get("scaleY", 1)) / 2
        corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]], dtype=np.float64)
        angle = math.radians(float(att.get("rotation", 0)))
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        offset = np.array([float(att.get("x", 0)), float(att.get("y", 0))])
        return np.asarray(corners @ rot.T + offset, dtype=np.float64)
    return None


def _content_hash(data: dict[str, Any]) -> str:
    """11 characters of base64 (Spine's hash length) over the JSON without its hash."""
    digest = hashlib.sha256(dumps(data).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")[:11]
