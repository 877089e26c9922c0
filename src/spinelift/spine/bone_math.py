"""One skeleton's bones being posed: applied transforms and world matrices (PURE).

:class:`Pose` holds, per bone, the *applied* local transform (what constraints write) and
the world matrix, and updates them as spine-core 4.2 ``Bone`` does:

* :meth:`Pose.update_world` is ``Bone.updateWorldTransformWith`` (every inherit mode);
* :meth:`Pose.update_applied` is ``Bone.updateAppliedTransform`` (after a constraint wrote
  the world matrix);

with the skeleton at (0, 0), scale (1, 1). Angles use spine-core's own π (``MathUtils.PI``
is 3.1415927) where spine-core does, and JavaScript's ``Math.PI`` where it does, so that
the poses agree to ~1e-12 rather than ~1e-6.
"""

from __future__ import annotations

import math

from spinelift.spine.skeleton_data import BoneSetup

SPINE_PI = 3.1415927
"""``MathUtils.PI`` of spine-core (not ``math.pi``)."""
DEG_RAD = SPINE_PI / 180.0
RAD_DEG = 180.0 / SPINE_PI


def divide(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` as JavaScript computes it (±infinity or NaN for a zero
    denominator, never an exception)."""
    if denominator == 0.0:
        if numerator == 0.0 or math.isnan(numerator):
            return math.nan
        return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)
    return numerator / denominator


class Pose:
    """Per-bone applied transforms (``ax`` ... ``ashear_y``) and world matrices
    (``a``, ``b``, ``c``, ``d``, ``wx``, ``wy``), as plain lists indexed by bone."""

    def __init__(self, bones: tuple[BoneSetup, ...] | list[BoneSetup]) -> None:
        self.bones = tuple(bones)
        self.children: list[list[int]] = [[] for _ in self.bones]
        for i, bone in enumerate(self.bones):
            if bone.parent >= 0:
                self.children[bone.parent].append(i)
        self.ax = [b.x for b in self.bones]
        self.ay = [b.y for b in self.bones]
        self.arotation = [b.rotation for b in self.bones]
        self.ascale_x = [b.scale_x for b in self.bones]
        self.ascale_y = [b.scale_y for b in self.bones]
        self.ashear_x = [b.shear_x for b in self.bones]
        self.ashear_y = [b.shear_y for b in self.bones]
        zeros = [0.0] * len(self.bones)
        self.a, self.b, self.c, self.d = zeros[:], zeros[:], zeros[:], zeros[:]
        self.wx, self.wy = zeros[:], zeros[:]

    def update(self, i: int) -> None:
        """``Bone.update``: the world matrix from the applied transform."""
        self.update_world(
            i,
            self.ax[i],
            self.ay[i],
            self.arotation[i],
            self.ascale_x[i],
            self.ascale_y[i],
            self.ashear_x[i],
            self.ashear_y[i],
        )

    def update_world(
        self,
        i: int,
        x: float,
        y: float,
        rotation: float,
        scale_x: float,
        scale_y: float,
        shear_x: float,
        shear_y: float,
    ) -> None:
        """Set bone ``i``'s applied transform and compute its world matrix from its
        parent's (``Bone.updateWorldTransformWith``; children are not updated)."""
        self.ax[i], self.ay[i], self.arotation[i] = x, y, rotation
        self.ascale_x[i], self.ascale_y[i] = scale_x, scale_y
        self.ashear_x[i], self.ashear_y[i] = shear_x, shear_y
        bone = self.bones[i]
        rx = (rotation + shear_x) * DEG_RAD
        ry = (rotation + 90.0 + shear_y) * DEG_RAD
        if bone.parent < 0:
            self.a[i], self.b[i] = math.cos(rx) * scale_x, math.cos(ry) * scale_y
            self.c[i], self.d[i] = math.sin(rx) * scale_x, math.sin(ry) * scale_y
            self.wx[i], self.wy[i] = x, y
            return
        p = bone.parent
        pa, pb, pc, pd = self.a[p], self.b[p], self.c[p], self.d[p]
        self.wx[i] = pa * x + pb * y + self.wx[p]
        self.wy[i] = pc * x + pd * y + self.wy[p]
        inherit = bone.inherit
        if inherit == "normal" or inherit == "onlyTranslation":
            la, lb = math.cos(rx) * scale_x, math.cos(ry) * scale_y
            lc, ld = math.sin(rx) * scale_x, math.sin(ry) * scale_y
            if inherit == "onlyTranslation":
                self.a[i], self.b[i], self.c[i], self.d[i] = la, lb, lc, ld
                return
            self.a[i], self.b[i] = pa * la + pb * lc, pa * lb + pb * ld
            self.c[i], self.d[i] = pc * la + pd * lc, pc * lb + pd * ld
            return
        if inherit == "noRotationOrReflection":
            s = pa * pa + pc * pc
            if s > 0.0001:
                s = abs(pa * pd - pb * pc) / s
                pb, pd = pc * s, pa * s
                prx = math.atan2(pc, pa) * RAD_DEG
            else:
                pa = pc = 0.0
                prx = 90.0 - math.atan2(pd, pb) * RAD_DEG
            rx = (rotation + shear_x - prx) * DEG_RAD
            ry = (rotation + shear_y - prx + 90.0) * DEG_RAD
            la, lb = math.cos(rx) * scale_x, math.cos(ry) * scale_y
            lc, ld = math.sin(rx) * scale_x, math.sin(ry) * scale_y
            self.a[i], self.b[i] = pa * la - pb * lc, pa * lb - pb * ld
            self.c[i], self.d[i] = pc * la + pd * lc, pc * lb + pd * ld
            return
        # noScale, noScaleOrReflection
        r = rotation * DEG_RAD
        cos, sin = math.cos(r), math.sin(r)
        za, zc = pa * cos + pb * sin, pc * cos + pd * sin
        s = math.sqrt(za * za + zc * zc)
        if s > 0.00001:
            s = 1.0 / s
        za, zc = za * s, zc * s
        s = math.sqrt(za * za + zc * zc)
        if inherit == "noScale" and pa * pd - pb * pc < 0:
            s = -s
        r = math.pi / 2.0 + math.atan2(zc, za)
        zb, zd = math.cos(r) * s, math.sin(r) * s
        sx, sy = shear_x * DEG_RAD, (90.0 + shear_y) * DEG_RAD
        la, lb = math.cos(sx) * scale_x, math.cos(sy) * scale_y
        lc, ld = math.sin(sx) * scale_x, math.sin(sy) * scale_y
        self.a[i], self.b[i] = za * la + zb * lc, za * lb + zb * ld
        self.c[i], self.d[i] = zc * la + zd * lc, zc * lb + zd * ld

    def update_applied(self, i: int) -> None:
        """Recompute bone ``i``'s applied transform from its world matrix
        (``Bone.updateAppliedTransform``, with its ambiguities kept as they are)."""
        a, b, c, d = self.a[i], self.b[i], self.c[i], self.d[i]
        bone = self.bones[i]
        if bone.parent < 0:
            self.ax[i], self.ay[i] = self.wx[i], self.wy[i]
            self.arotation[i] = math.atan2(c, a) * RAD_DEG
            self.ascale_x[i] = math.sqrt(a * a + c * c)
            self.ascale_y[i] = math.sqrt(b * b + d * d)
            self.ashear_x[i] = 0.0
            self.ashear_y[i] = math.atan2(a * b + c * d, a * d - b * c) * RAD_DEG
            return
        p = bone.parent
        pa, pb, pc, pd = self.a[p], self.b[p], self.c[p], self.d[p]
        pid = divide(1.0, pa * pd - pb * pc)
        ia, ib, ic, id_ = pd * pid, pb * pid, pc * pid, pa * pid
        dx, dy = self.wx[i] - self.wx[p], self.wy[i] - self.wy[p]
        self.ax[i] = dx * ia - dy * ib
        self.ay[i] = dy * id_ - dx * ic
        inherit = bone.inherit
        if inherit == "onlyTranslation":
            ra, rb, rc, rd = a, b, c, d
        else:
            if inherit == "noRotationOrReflection":
                s = divide(abs(pa * pd - pb * pc), pa * pa + pc * pc)
                pb, pd = -pc * s, pa * s
                pid = divide(1.0, pa * pd - pb * pc)
                ia, ib = pd * pid, pb * pid
            elif inherit in ("noScale", "noScaleOrReflection"):
                r = bone.rotation * DEG_RAD
                cos, sin = math.cos(r), math.sin(r)
                pa, pc = pa * cos + pb * sin, pc * cos + pd * sin
                s = math.sqrt(pa * pa + pc * pc)
                if s > 0.00001:
                    s = 1.0 / s
                pa, pc = pa * s, pc * s
                s = math.sqrt(pa * pa + pc * pc)
                if inherit == "noScale" and pid < 0:
                    s = -s
                r = SPINE_PI / 2.0 + math.atan2(pc, pa)
                pb, pd = math.cos(r) * s, math.sin(r) * s
                pid = divide(1.0, pa * pd - pb * pc)
                ia, ib, ic, id_ = pd * pid, pb * pid, pc * pid, pa * pid
            ra, rb = ia * a - ib * c, ia * b - ib * d
            rc, rd = id_ * c - ic * a, id_ * d - ic * b
        self.ashear_x[i] = 0.0
        scale_x = math.sqrt(ra * ra + rc * rc)
        if scale_x > 0.0001:
            det = ra * rd - rb * rc
            self.ascale_x[i] = scale_x
            self.ascale_y[i] = det / scale_x
            self.ashear_y[i] = -math.atan2(ra * rb + rc * rd, det) * RAD_DEG
            self.arotation[i] = math.atan2(rc, ra) * RAD_DEG
        else:
            self.ascale_x[i] = 0.0
            self.ascale_y[i] = math.sqrt(rb * rb + rd * rd)
            self.ashear_y[i] = 0.0
            self.arotation[i] = 90.0 - math.atan2(rd, rb) * RAD_DEG

    def local_to_world(self, i: int, x: float, y: float) -> tuple[float, float]:
        """A point in bone ``i``'s space, in skeleton space (``Bone.localToWorld``)."""
        return (
            x * self.a[i] + y * self.b[i] + self.wx[i],
            x * self.c[i] + y * self.d[i] + self.wy[i],
        )
