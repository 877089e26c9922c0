"""Points on a path attachment in the pose (PURE): its world vertices
(``VertexAttachment.computeWorldVertices``) and spine-core 4.2 ``PathConstraint``'s
Bézier helpers (``addBeforePosition``, ``addAfterPosition``, ``addCurvePosition`` and the
forward differences that measure a curve), for :mod:`spinelift.spine.path_solver`.
"""

from __future__ import annotations

import math

from spinelift.spine.bone_math import Pose
from spinelift.spine.path_data import PathShape


def world_vertices(
    pose: Pose, shape: PathShape, slot_bone: int, start: int, count: int
) -> list[float]:
    """``count / 2`` world points of the path from value ``start`` on, flat
    (``VertexAttachment.computeWorldVertices`` without deform)."""
    out: list[float] = []
    vertices = shape.vertices
    if shape.bones is None:
        i = slot_bone
        a, b, c, d, x, y = pose.a[i], pose.b[i], pose.c[i], pose.d[i], pose.wx[i], pose.wy[i]
        for v in range(start, start + count, 2):
            vx, vy = vertices[v], vertices[v + 1]
            out += [vx * a + vy * b + x, vx * c + vy * d + y]
        return out
    bones = shape.bones
    v = skip = 0
    for _ in range(0, start, 2):
        n = bones[v]
        v += n + 1
        skip += n
    w = skip * 3
    for _ in range(count // 2):
        wx = wy = 0.0
        n = bones[v]
        v += 1
        for _ in range(n):
            i = bones[v]
            vx, vy, weight = vertices[w], vertices[w + 1], vertices[w + 2]
            wx += (vx * pose.a[i] + vy * pose.b[i] + pose.wx[i]) * weight
            wy += (vx * pose.c[i] + vy * pose.d[i] + pose.wy[i]) * weight
            v += 1
            w += 3
        out += [wx, wy]
    return out


def curve_steps(
    world: list[float], at: int, k2: float, k3: float, k1: float, count: int
) -> list[float]:
    """Forward-difference step lengths along the Bézier from ``world[at]`` (spine-core's
    constants: 4 steps to measure a curve, 10 to place on it)."""
    if at + 8 > len(world):
        return [math.nan] * count
    x1, y1, cx1, cy1, cx2, cy2, x2, y2 = world[at : at + 8]
    tmpx, tmpy = (x1 - cx1 * 2 + cx2) * k2, (y1 - cy1 * 2 + cy2) * k2
    dddfx, dddfy = ((cx1 - cx2) * 3 - x1 + x2) * k3, ((cy1 - cy2) * 3 - y1 + y2) * k3
    ddfx, ddfy = tmpx * 2 + dddfx, tmpy * 2 + dddfy
    dfx = (cx1 - x1) * k1 + tmpx + dddfx * 0.16666667
    dfy = (cy1 - y1) * k1 + tmpy + dddfy * 0.16666667
    steps = [math.sqrt(dfx * dfx + dfy * dfy)]
    for _ in range(count - 3):
        dfx += ddfx
        dfy += ddfy
        ddfx += dddfx
        ddfy += dddfy
        steps.append(math.sqrt(dfx * dfx + dfy * dfy))
    dfx += ddfx
    dfy += ddfy
    steps.append(math.sqrt(dfx * dfx + dfy * dfy))
    dfx += ddfx + dddfx
    dfy += ddfy + dddfy
    steps.append(math.sqrt(dfx * dfx + dfy * dfy))
    return steps


def before_point(p: float, world: list[float], i: int, out: list[float], o: int) -> None:
    x1, y1 = world[i], world[i + 1]
    r = math.atan2(world[i + 3] - y1, world[i + 2] - x1)
    out[o], out[o + 1], out[o + 2] = x1 + p * math.cos(r), y1 + p * math.sin(r), r


def after_point(p: float, world: list[float], i: int, out: list[float], o: int) -> None:
    x1, y1 = world[i + 2], world[i + 3]
    r = math.atan2(y1 - world[i + 1], x1 - world[i])
    out[o], out[o + 1], out[o + 2] = x1 + p * math.cos(r), y1 + p * math.sin(r), r


def curve_point(
    p: float, world: list[float], at: int, out: list[float], o: int, tangents: bool
) -> None:
    """``addCurvePosition``: the point at ``p`` (0-1) on the Bézier from ``world[at]``."""
    x1, y1, cx1, cy1, cx2, cy2, x2, y2 = world[at : at + 8]
    if p == 0 or math.isnan(p):
        out[o], out[o + 1], out[o + 2] = x1, y1, math.atan2(cy1 - y1, cx1 - x1)
        return
    tt, u = p * p, 1 - p
    ttt, uu = tt * p, u * u
    uuu, ut = uu * u, u * p
    ut3 = ut * 3
    uut3, utt3 = u * ut3, ut3 * p
    x = x1 * uuu + cx1 * uut3 + cx2 * utt3 + x2 * ttt
    y = y1 * uuu + cy1 * uut3 + cy2 * utt3 + y2 * ttt
    out[o], out[o + 1] = x, y
    if tangents:
        if p < 0.001:
            out[o + 2] = math.atan2(cy1 - y1, cx1 - x1)
        else:
            out[o + 2] = math.atan2(
                y - (y1 * uu + cy1 * ut * 2 + cy2 * tt), x - (x1 * uu + cx1 * ut * 2 + cx2 * tt)
            )
