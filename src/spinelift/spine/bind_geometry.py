"""Geometry for binding an attachment to bones (PURE): where its texels are in the setup
pose, samples of its art, bone segments in its image's pixels, and which bones carry art
or are controls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from spinelift.spine.bound_mesh import TexelPlacement, is_weighted, texel_placement
from spinelift.spine.skeleton_data import SkeletonData

FloatArray = npt.NDArray[np.float64]
RgbaArray = npt.NDArray[np.uint8]


def bone_roles(data: SkeletonData) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """``(art, control)`` masks over the bones: bones of slots that draw an image (region
    or mesh in some skin), and control bones (IK targets, IK chains with no slot)."""
    art = np.zeros(len(data.bones), dtype=bool)
    drawn = {r.slot for r in data.attachments() if r.kind in ("region", "mesh", "linkedmesh")}
    for slot, bone in data.slots.items():
        if slot in drawn:
            art[bone] = True
    with_slot = set(data.slots.values())
    control = np.zeros(len(data.bones), dtype=bool)
    names = {b.name: i for i, b in enumerate(data.bones)}
    for constraint in data.document.get("ik") or []:
        if not isinstance(constraint, dict):
            continue
        target = names.get(str(constraint.get("target")))
        if target is not None:
            control[target] = True
        for bone in constraint.get("bones") or []:
            index = names.get(str(bone))
            if index is not None and index not in with_slot:
                control[index] = True
    return art, control


def world_placement(
    mapping: Mapping[str, Any],
    rgba: RgbaArray,
    world: FloatArray,
    slot_bone: int,
    data: SkeletonData,
) -> Callable[[FloatArray], FloatArray]:
    height, width = rgba.shape[:2]
    if mapping.get("type", "region") == "mesh" and is_weighted(mapping):
        placement = weighted_placement(mapping, width, height, world)
        return placement
    local = texel_placement(mapping, width, height)
    matrix = world[slot_bone]

    def to_world(pixels: FloatArray) -> FloatArray:
        return np.asarray(local(pixels) @ matrix[:, :2].T + matrix[:, 2], dtype=np.float64)

    return to_world


def weighted_placement(
    mapping: Mapping[str, Any], width: int, height: int, world: FloatArray
) -> TexelPlacement:
    """A weighted mesh's texels in the setup pose: its world vertices, linear per triangle."""
    values = mapping["vertices"]
    uvs = np.asarray(mapping["uvs"], dtype=np.float64).reshape(-1, 2)
    points = np.zeros((len(uvs), 2))
    k = 0
    for i in range(len(uvs)):
        count = int(values[k])
        k += 1
        for _ in range(count):
            bone, x, y, w = int(values[k]), values[k + 1], values[k + 2], values[k + 3]
            points[i] += w * (world[bone, :, :2] @ [x, y] + world[bone, :, 2])
            k += 4
    flat = {"type": "mesh", "uvs": mapping["uvs"], "triangles": mapping["triangles"]}
    flat["vertices"] = points.ravel().tolist()
    return texel_placement(flat, width, height)


def art_samples(rgba: RgbaArray, threshold: int, count: int = 24) -> FloatArray:
    """Pixel centres of opaque pixels on a coarse grid (about count x count at most)."""
    height, width = rgba.shape[:2]
    step = max(1, round(max(width, height) / count))
    ys, xs = np.nonzero(rgba[::step, ::step, 3] > threshold)
    if len(xs) == 0:
        ys, xs = np.nonzero(rgba[:, :, 3] > threshold)
        step = 1
    return np.stack([xs * step + 0.5, ys * step + 0.5], axis=1).astype(np.float64)


def to_pixels(world_segments: FloatArray, pixels: FloatArray, art: FloatArray) -> FloatArray:
    """Bone segments mapped into the image's pixel space by the affine map that best fits
    pixel -> world over the art (exact for regions and flat meshes)."""
    if len(pixels) < 3:
        return np.zeros((0, 2, 2))
    design = np.concatenate([pixels, np.ones((len(pixels), 1))], axis=1)
    forward, *_ = np.linalg.lstsq(design, art, rcond=None)  # (3, 2): [x y 1] @ forward
    linear, offset = forward[:2].T, forward[2]
    if abs(np.linalg.det(linear)) < 1e-12:
        return np.zeros((0, 2, 2))
    inverse = np.linalg.inv(linear)
    flat = world_segments.reshape(-1, 2)
    return np.asarray(((flat - offset) @ inverse.T).reshape(-1, 2, 2), dtype=np.float64)
