"""IK constraints applied to a :class:`~spinelift.spine.bone_math.Pose` (PURE).

:func:`apply_ik` follows spine-core 4.2 ``IkConstraint.update``: one bone is rotated (and
with ``compress``/``stretch`` scaled, ``uniform``: on both axes) toward the target's
origin; two bones (parent, child) are solved for the target with the law of cosines
(parent scaled uniformly) or, for a non-uniformly scaled parent, on the ellipse, with
``softness`` easing the reach near full extension and ``bend_direction`` choosing the
elbow side; ``mix`` blends with the unconstrained rotation. The world matrices of the
constrained bones are written; their children are updated later, in the update order.
"""

from __future__ import annotations

import math

from spinelift.spine.bone_math import RAD_DEG, SPINE_PI, Pose, divide
from spinelift.spine.constraints import IkConstraint


def apply_ik(pose: Pose, constraint: IkConstraint) -> None:
    """Apply ``constraint`` to ``pose`` (nothing at ``mix`` 0 or with 3+ bones)."""
    if constraint.mix == 0:
        return
    tx, ty = pose.wx[constraint.target], pose.wy[constraint.target]
    bones = constraint.bones
    if len(bones) == 1:
        apply_one(
            pose,
            bones[0],
            tx,
            ty,
            constraint.compress,
            constraint.stretch,
            constraint.uniform,
            constraint.mix,
        )
    elif len(bones) == 2:
        _apply_two(pose, bones[0], bones[1], tx, ty, constraint)


def _wrap(degrees: float) -> float:
    if degrees > 180:
        return degrees - 360
    if degrees < -180:
        return degrees + 360
    return degrees


def apply_one(
    pose: Pose,
    i: int,
    target_x: float,
    target_y: float,
    compress: bool,
    stretch: bool,
    uniform: bool,
    alpha: float,
) -> None:
    """One-bone IK (``IkConstraint.apply1``); a root bone is left as it is (spine-core
    refuses an IK on the root)."""
    bone = pose.bones[i]
    p = bone.parent
    if p < 0:
        return
    pa, pb, pc, pd = pose.a[p], pose.b[p], pose.c[p], pose.d[p]
    rotation_ik = -pose.ashear_x[i] - pose.arotation[i]
    if bone.inherit == "onlyTranslation":
        tx, ty = target_x - pose.wx[i], target_y - pose.wy[i]
    else:
        if bone.inherit == "noRotationOrReflection":
            s = abs(pa * pd - pb * pc) / max(0.0001, pa * pa + pc * pc)
            sa, sc = pa, pc
            pb, pd = -sc * s, sa * s
            rotation_ik += math.atan2(sc, sa) * RAD_DEG
        x, y = target_x - pose.wx[p], target_y - pose.wy[p]
        d = pa * pd - pb * pc
        if abs(d) <= 0.0001:
            tx = ty = 0.0
        else:
            tx = (x * pd - y * pb) / d - pose.ax[i]
            ty = (y * pa - x * pc) / d - pose.ay[i]
    rotation_ik += math.atan2(ty, tx) * RAD_DEG
    if pose.ascale_x[i] < 0:
        rotation_ik += 180
    rotation_ik = _wrap(rotation_ik)
    sx, sy = pose.ascale_x[i], pose.ascale_y[i]
    if compress or stretch:
        if bone.inherit in ("noScale", "noScaleOrReflection"):
            tx, ty = target_x - pose.wx[i], target_y - pose.wy[i]
        b = bone.length * sx
        if b > 0.0001:
            dd = tx * tx + ty * ty
            if (compress and dd < b * b) or (stretch and dd > b * b):
                s = (math.sqrt(dd) / b - 1) * alpha + 1
                sx *= s
                if uniform:
                    sy *= s
    pose.update_world(
        i,
        pose.ax[i],
        pose.ay[i],
        pose.arotation[i] + rotation_ik * alpha,
        sx,
        sy,
        pose.ashear_x[i],
        pose.ashear_y[i],
    )


def _apply_two(
    pose: Pose, parent: int, child: int, target_x: float, target_y: float, ik: IkConstraint
) -> None:
    """Two-bone IK (``IkConstraint.apply2``): only for bones that inherit normally."""
    bones = pose.bones
    if bones[parent].inherit != "normal" or bones[child].inherit != "normal":
        return
    alpha, bend, stretch = ik.mix, ik.bend_direction, ik.stretch
    px, py = pose.ax[parent], pose.ay[parent]
    psx, psy = pose.ascale_x[parent], pose.ascale_y[parent]
    sx, sy, csx = psx, psy, pose.ascale_x[child]
    os1, s2 = (180.0, -1.0) if psx < 0 else (0.0, 1.0)
    psx = abs(psx)
    if psy < 0:
        psy, s2 = -psy, -s2
    os2 = 180.0 if csx < 0 else 0.0
    csx = abs(csx)
    cx = pose.ax[child]
    a, b, c, d = pose.a[parent], pose.b[parent], pose.c[parent], pose.d[parent]
    uniform_scale = abs(psx - psy) <= 0.0001
    if not uniform_scale or stretch:
        cy = 0.0
        cwx, cwy = a * cx + pose.wx[parent], c * cx + pose.wy[parent]
    else:
        cy = pose.ay[child]
        cwx = a * cx + b * cy + pose.wx[parent]
        cwy = c * cx + d * cy + pose.wy[parent]
    pp = bones[parent].parent
    if pp < 0:
        return
    a, b, c, d = pose.a[pp], pose.b[pp], pose.c[pp], pose.d[pp]
    det = a * d - b * c
    inv = 0.0 if abs(det) <= 0.0001 else 1 / det
    x, y = cwx - pose.wx[pp], cwy - pose.wy[pp]
    dx, dy = (x * d - y * b) * inv - px, (y * a - x * c) * inv - py
    l1, l2 = math.sqrt(dx * dx + dy * dy), bones[child].length * csx
    if l1 < 0.0001:
        apply_one(pose, parent, target_x, target_y, False, stretch, False, alpha)
        pose.update_world(
            child,
            cx,
            cy,
            0.0,
            pose.ascale_x[child],
            pose.ascale_y[child],
            pose.ashear_x[child],
            pose.ashear_y[child],
        )
        return
    x, y = target_x - pose.wx[pp], target_y - pose.wy[pp]
    tx, ty = (x * d - y * b) * inv - px, (y * a - x * c) * inv - py
    dd = tx * tx + ty * ty
    softness = ik.softness
    if softness != 0:
        softness *= psx * (csx + 1) * 0.5
        td = math.sqrt(dd)
        sd = td - l1 - l2 * psx + softness
        if sd > 0:
            p = min(1.0, divide(sd, softness * 2)) - 1
            p = divide(sd - softness * (1 - p * p), td)
            tx -= p * tx
            ty -= p * ty
            dd = tx * tx + ty * ty
    if uniform_scale:
        l2 *= psx
        cos = divide(dd - l1 * l1 - l2 * l2, 2 * l1 * l2)
        if cos < -1:
            cos, a2 = -1.0, math.pi * bend
        elif cos > 1:
            cos, a2 = 1.0, 0.0
            if stretch:
                s = (math.sqrt(dd) / (l1 + l2) - 1) * alpha + 1
                sx *= s
                if ik.uniform:
                    sy *= s
        else:
            a2 = math.acos(cos) * bend
        a = l1 + l2 * cos
        b = l2 * math.sin(a2)
        a1 = math.atan2(ty * a - tx * b, tx * a + ty * b)
    else:
        a1, a2 = _ellipse(l1, psx * l2, psy * l2, psx, psy, tx, ty, dd, bend)
    os = math.atan2(cy, cx) * s2
    rotation = pose.arotation[parent]
    a1 = _wrap((a1 - os) * RAD_DEG + os1 - rotation)
    pose.update_world(parent, px, py, rotation + a1 * alpha, sx, sy, 0.0, 0.0)
    rotation = pose.arotation[child]
    a2 = _wrap(((a2 + os) * RAD_DEG - pose.ashear_x[child]) * s2 + os2 - rotation)
    pose.update_world(
        child,
        cx,
        cy,
        rotation + a2 * alpha,
        pose.ascale_x[child],
        pose.ascale_y[child],
        pose.ashear_x[child],
        pose.ashear_y[child],
    )


def _ellipse(
    l1: float,
    a: float,
    b: float,
    psx: float,
    psy: float,
    tx: float,
    ty: float,
    dd: float,
    bend: int,
) -> tuple[float, float]:
    """The two angles for a non-uniformly scaled parent (the child's reach is an ellipse
    of half-axes ``a``, ``b``): the exact solution, else the nearest or farthest reach."""
    aa, bb, ta = a * a, b * b, math.atan2(ty, tx)
    c = bb * l1 * l1 + aa * dd - aa * bb
    c1, c2 = -2 * bb * l1, bb - aa
    d = c1 * c1 - 4 * c2 * c
    if d >= 0:
        q = math.sqrt(d)
        if c1 < 0:
            q = -q
        q = -(c1 + q) * 0.5
        r0, r1 = divide(q, c2), divide(c, q)
        r = r0 if abs(r0) < abs(r1) else r1
        r0 = dd - r * r
        if r0 >= 0:
            y = math.sqrt(r0) * bend
            return ta - math.atan2(y, r), math.atan2(divide(y, psy), divide(r - l1, psx))
    min_angle, min_x, min_y = SPINE_PI, l1 - a, 0.0
    max_angle, max_x, max_y = 0.0, l1 + a, 0.0
    min_dist, max_dist = min_x * min_x, max_x * max_x
    c = divide(-a * l1, aa - bb)
    if -1 <= c <= 1:
        c = math.acos(c)
        x, y = a * math.cos(c) + l1, b * math.sin(c)
        d = x * x + y * y
        if d < min_dist:
            min_angle, min_dist, min_x, min_y = c, d, x, y
        if d > max_dist:
            max_angle, max_dist, max_x, max_y = c, d, x, y
    if dd <= (min_dist + max_dist) * 0.5:
        return ta - math.atan2(min_y * bend, min_x), min_angle * bend
    return ta - math.atan2(max_y * bend, max_x), max_angle * bend
