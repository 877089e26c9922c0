"""Bones in the setup pose: world matrices and segments, as spine-core computes them (PURE).

:func:`world_transforms` follows spine-core 4.2 ``Bone.updateWorldTransformWith`` for
every inherit mode (skeleton at 0, 0, scale 1; constraints are not applied: this is the
pose the bones are bound in); :func:`bone_segments` gives each bone's segment from its
start along its local x axis for ``length``; :func:`bone_parents` the parent indices.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from spinelift.spine.skeleton_data import BoneSetup

FloatArray = npt.NDArray[np.float64]


def world_transforms(bones: tuple[BoneSetup, ...] | list[BoneSetup]) -> FloatArray:
    """(n, 2, 3) float64: each bone's setup-pose world matrix ``[[a, b, x], [c, d, y]]``.

    A point ``(lx, ly)`` in bone ``i``'s space is at ``M[i, :, :2] @ (lx, ly) + M[i, :, 2]``
    in skeleton space. Follows spine-core 4.2 ``Bone.updateWorldTransformWith`` for every
    inherit mode, with the skeleton at (0, 0) and scale (1, 1).
    """
    out = np.zeros((len(bones), 2, 3), dtype=np.float64)
    deg = math.pi / 180.0
    for i, bone in enumerate(bones):
        rx = (bone.rotation + bone.shear_x) * deg
        ry = (bone.rotation + 90.0 + bone.shear_y) * deg
        la, lb = math.cos(rx) * bone.scale_x, math.cos(ry) * bone.scale_y
        lc, ld = math.sin(rx) * bone.scale_x, math.sin(ry) * bone.scale_y
        if bone.parent < 0:
            out[i] = [[la, lb, bone.x], [lc, ld, bone.y]]
            continue
        pa, pb, px = out[bone.parent, 0]
        pc, pd, py = out[bone.parent, 1]
        wx = pa * bone.x + pb * bone.y + px
        wy = pc * bone.x + pd * bone.y + py
        if bone.inherit == "normal":
            a, b = pa * la + pb * lc, pa * lb + pb * ld
            c, d = pc * la + pd * lc, pc * lb + pd * ld
        elif bone.inherit == "onlyTranslation":
            a, b, c, d = la, lb, lc, ld
        elif bone.inherit == "noRotationOrReflection":
            a, b, c, d = _no_rotation(bone, pa, pb, pc, pd)
        else:
            a, b, c, d = _no_scale(bone, pa, pb, pc, pd)
        out[i] = [[a, b, wx], [c, d, wy]]
    return out


def _no_rotation(
    bone: BoneSetup, pa: float, pb: float, pc: float, pd: float
) -> tuple[float, float, float, float]:
    s = pa * pa + pc * pc
    if s > 0.0001:
        s = abs(pa * pd - pb * pc) / s
        pb, pd = pc * s, pa * s
        prx = math.degrees(math.atan2(pc, pa))
    else:
        pa = pc = 0.0
        prx = 90.0 - math.degrees(math.atan2(pd, pb))
    rx = math.radians(bone.rotation + bone.shear_x - prx)
    ry = math.radians(bone.rotation + bone.shear_y - prx + 90.0)
    la, lb = math.cos(rx) * bone.scale_x, math.cos(ry) * bone.scale_y
    lc, ld = math.sin(rx) * bone.scale_x, math.sin(ry) * bone.scale_y
    return pa * la - pb * lc, pa * lb - pb * ld, pc * la + pd * lc, pc * lb + pd * ld


def _no_scale(
    bone: BoneSetup, pa: float, pb: float, pc: float, pd: float
) -> tuple[float, float, float, float]:
    rotation = math.radians(bone.rotation)
    cos, sin = math.cos(rotation), math.sin(rotation)
    za, zc = pa * cos + pb * sin, pc * cos + pd * sin
    s = math.sqrt(za * za + zc * zc)
    if s > 0.00001:
        s = 1.0 / s
    za, zc = za * s, zc * s
    s = math.sqrt(za * za + zc * zc)
    if bone.inherit == "noScale" and (pa * pd - pb * pc < 0):
        s = -s
    rotation = math.pi / 2.0 + math.atan2(zc, za)
    zb, zd = math.cos(rotation) * s, math.sin(rotation) * s
    shear_x = math.radians(bone.shear_x)
    shear_y = math.radians(90.0 + bone.shear_y)
    la, lb = math.cos(shear_x) * bone.scale_x, math.cos(shear_y) * bone.scale_y
    lc, ld = math.sin(shear_x) * bone.scale_x, math.sin(shear_y) * bone.scale_y
    return za * la + zb * lc, za * lb + zb * ld, zc * la + zd * lc, zc * lb + zd * ld


def bone_segments(bones: tuple[BoneSetup, ...] | list[BoneSetup], world: FloatArray) -> FloatArray:
    """(n, 2, 2) float64: each bone's segment in skeleton space, ``[start, end]`` (the end is
    ``length`` along the bone's local x axis; a zero-length bone is a point)."""
    starts = world[:, :, 2]
    lengths = np.array([b.length for b in bones], dtype=np.float64)
    ends = starts + world[:, :, 0] * lengths[:, None]
    return np.stack([starts, ends], axis=1)


def bone_parents(bones: tuple[BoneSetup, ...] | list[BoneSetup]) -> npt.NDArray[np.int64]:
    """(n,) int64: each bone's parent index, -1 for the root."""
    return np.array([b.parent for b in bones], dtype=np.int64)
