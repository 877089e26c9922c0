"""Transform constraints applied to a :class:`~spinelift.spine.bone_math.Pose` (PURE).

:func:`apply_transform` follows spine-core 4.2 ``TransformConstraint.update``: in world
space (``local`` false) the bones' world matrices take a mix of the target's rotation,
origin (plus the offset, in the target's space), scales and shear, absolutely or added
(``relative``), and their applied transforms are recomputed; in local space the applied
transforms take a mix of the target's, and the world matrices are recomputed.
"""

from __future__ import annotations

import math

from spinelift.spine.bone_math import DEG_RAD, SPINE_PI, Pose
from spinelift.spine.constraints import TransformConstraint

SPINE_PI2 = SPINE_PI * 2


def apply_transform(pose: Pose, constraint: TransformConstraint) -> None:
    """Apply ``constraint`` to ``pose`` (nothing when every mix is 0)."""
    c = constraint
    mixes = (c.mix_rotate, c.mix_x, c.mix_y, c.mix_scale_x, c.mix_scale_y, c.mix_shear_y)
    if not any(mixes):
        return
    if c.local:
        for i in c.bones:
            (_relative_local if c.relative else _absolute_local)(pose, i, c)
    else:
        _world(pose, c)


def _wrap(radians: float) -> float:
    if radians > SPINE_PI:
        return radians - SPINE_PI2
    if radians < -SPINE_PI:
        return radians + SPINE_PI2
    return radians


def _world(pose: Pose, con: TransformConstraint) -> None:
    """``applyAbsoluteWorld`` and ``applyRelativeWorld``."""
    t = con.target
    ta, tb, tc, td = pose.a[t], pose.b[t], pose.c[t], pose.d[t]
    reflect = DEG_RAD if ta * td - tb * tc > 0 else -DEG_RAD
    offset_rotation = con.offset_rotation * reflect
    offset_shear_y = con.offset_shear_y * reflect
    relative = con.relative
    for i in con.bones:
        if con.mix_rotate != 0:
            a, b, c, d = pose.a[i], pose.b[i], pose.c[i], pose.d[i]
            if relative:
                r = math.atan2(tc, ta) + offset_rotation
            else:
                r = math.atan2(tc, ta) - math.atan2(c, a) + offset_rotation
            r = _wrap(r) * con.mix_rotate
            cos, sin = math.cos(r), math.sin(r)
            pose.a[i], pose.b[i] = cos * a - sin * c, cos * b - sin * d
            pose.c[i], pose.d[i] = sin * a + cos * c, sin * b + cos * d
        if con.mix_x != 0 or con.mix_y != 0:
            x, y = pose.local_to_world(t, con.offset_x, con.offset_y)
            if relative:
                pose.wx[i] += x * con.mix_x
                pose.wy[i] += y * con.mix_y
            else:
                pose.wx[i] += (x - pose.wx[i]) * con.mix_x
                pose.wy[i] += (y - pose.wy[i]) * con.mix_y
        if con.mix_scale_x != 0:
            target = math.sqrt(ta * ta + tc * tc)
            if relative:
                s = (target - 1 + con.offset_scale_x) * con.mix_scale_x + 1
            else:
                s = math.sqrt(pose.a[i] * pose.a[i] + pose.c[i] * pose.c[i])
                if s != 0:
                    s = (s + (target - s + con.offset_scale_x) * con.mix_scale_x) / s
            pose.a[i] *= s
            pose.c[i] *= s
        if con.mix_scale_y != 0:
            target = math.sqrt(tb * tb + td * td)
            if relative:
                s = (target - 1 + con.offset_scale_y) * con.mix_scale_y + 1
            else:
                s = math.sqrt(pose.b[i] * pose.b[i] + pose.d[i] * pose.d[i])
                if s != 0:
                    s = (s + (target - s + con.offset_scale_y) * con.mix_scale_y) / s
            pose.b[i] *= s
            pose.d[i] *= s
        if con.mix_shear_y > 0:
            b, d = pose.b[i], pose.d[i]
            by = math.atan2(d, b)
            if relative:
                r = _wrap(math.atan2(td, tb) - math.atan2(tc, ta))
                r = by + (r - SPINE_PI / 2 + offset_shear_y) * con.mix_shear_y
            else:
                r = math.atan2(td, tb) - math.atan2(tc, ta)
                r = _wrap(r - (by - math.atan2(pose.c[i], pose.a[i])))
                r = by + (r + offset_shear_y) * con.mix_shear_y
            s = math.sqrt(b * b + d * d)
            pose.b[i], pose.d[i] = math.cos(r) * s, math.sin(r) * s
        pose.update_applied(i)


def _absolute_local(pose: Pose, i: int, con: TransformConstraint) -> None:
    t = con.target
    rotation = pose.arotation[i]
    if con.mix_rotate != 0:
        rotation += (pose.arotation[t] - rotation + con.offset_rotation) * con.mix_rotate
    x, y = pose.ax[i], pose.ay[i]
    x += (pose.ax[t] - x + con.offset_x) * con.mix_x
    y += (pose.ay[t] - y + con.offset_y) * con.mix_y
    scale_x, scale_y = pose.ascale_x[i], pose.ascale_y[i]
    if con.mix_scale_x != 0 and scale_x != 0:
        scale_x = (
            scale_x + (pose.ascale_x[t] - scale_x + con.offset_scale_x) * con.mix_scale_x
        ) / scale_x
    if con.mix_scale_y != 0 and scale_y != 0:
        scale_y = (
            scale_y + (pose.ascale_y[t] - scale_y + con.offset_scale_y) * con.mix_scale_y
        ) / scale_y
    shear_y = pose.ashear_y[i]
    if con.mix_shear_y != 0:
        shear_y += (pose.ashear_y[t] - shear_y + con.offset_shear_y) * con.mix_shear_y
    pose.update_world(i, x, y, rotation, scale_x, scale_y, pose.ashear_x[i], shear_y)


def _relative_local(pose: Pose, i: int, con: TransformConstraint) -> None:
    t = con.target
    rotation = pose.arotation[i] + (pose.arotation[t] + con.offset_rotation) * con.mix_rotate
    x = pose.ax[i] + (pose.ax[t] + con.offset_x) * con.mix_x
    y = pose.ay[i] + (pose.ay[t] + con.offset_y) * con.mix_y
    scale_x = pose.ascale_x[i] * ((pose.ascale_x[t] - 1 + con.offset_scale_x) * con.mix_scale_x + 1)
    scale_y = pose.ascale_y[i] * ((pose.ascale_y[t] - 1 + con.offset_scale_y) * con.mix_scale_y + 1)
    shear_y = pose.ashear_y[i] + (pose.ashear_y[t] + con.offset_shear_y) * con.mix_shear_y
    pose.update_world(i, x, y, rotation, scale_x, scale_y, pose.ashear_x[i], shear_y)
