"""Path constraints applied to a :class:`~spinelift.spine.bone_math.Pose` (PURE).

:func:`apply_path` follows spine-core 4.2 ``PathConstraint.update``: the bones are spaced
along the target slot's path attachment (``length``, ``fixed``, ``percent`` or
``proportional`` spacing from ``position``), moved onto it (``mix_x``/``mix_y``) and
rotated along it (``tangent``, ``chain``, ``chainScale``: also scaled to the spacing),
their world matrices written and applied transforms recomputed. Positions on the path
come from its cubic Bézier curves, measured by their stored lengths or, with constant
speed, by spine-core's own forward differences (``computeWorldPositions``).
"""

from __future__ import annotations

import math

from spinelift.spine.bone_math import DEG_RAD, SPINE_PI, Pose, divide
from spinelift.spine.constraints import PathConstraint
from spinelift.spine.path_data import PathShape
from spinelift.spine.path_geometry import (
    after_point,
    before_point,
    curve_point,
    curve_steps,
    world_vertices,
)

EPSILON = 0.00001
NONE, BEFORE, AFTER = -1, -2, -3


def apply_path(pose: Pose, con: PathConstraint) -> None:
    """Apply ``con`` to ``pose`` (nothing without a path attachment or at mixes 0)."""
    shape = con.shape
    if shape is None or (con.mix_rotate == 0 and con.mix_x == 0 and con.mix_y == 0):
        return
    tangents, scale = con.rotate_mode == "tangent", con.rotate_mode == "chainScale"
    bones = con.bones
    count = len(bones)
    spaces_count = count if tangents else count + 1
    spaces = [0.0] * spaces_count
    lengths = [0.0] * count
    for i in range(spaces_count - 1):
        bone = bones[i]
        setup = pose.bones[bone].length
        x, y = setup * pose.a[bone], setup * pose.c[bone]
        length = math.sqrt(x * x + y * y)
        if scale:
            lengths[i] = 0.0 if setup < EPSILON and con.spacing_mode != "percent" else length
        if con.spacing_mode == "percent" or setup < EPSILON:
            spaces[i + 1] = con.spacing
        elif con.spacing_mode == "proportional":
            spaces[i + 1] = length
        else:
            spacing = setup + con.spacing if con.spacing_mode == "length" else con.spacing
            spaces[i + 1] = spacing * length / setup
    if con.spacing_mode == "proportional":
        total = sum(
            spaces[i + 1] for i in range(spaces_count - 1) if pose.bones[bones[i]].length >= EPSILON
        )
        if total > 0:
            factor = spaces_count / total * con.spacing
            for i in range(1, spaces_count):
                spaces[i] *= factor
    positions = _positions(pose, con, shape, spaces, tangents)
    bone_x, bone_y = positions[0], positions[1]
    offset_rotation = con.offset_rotation
    if offset_rotation == 0:
        tip = con.rotate_mode == "chain"
    else:
        tip = False
        p = con.slot_bone
        reflect = pose.a[p] * pose.d[p] - pose.b[p] * pose.c[p] > 0
        offset_rotation *= DEG_RAD if reflect else -DEG_RAD
    for i, bone in enumerate(bones):
        p = 3 * (i + 1)
        pose.wx[bone] += (bone_x - pose.wx[bone]) * con.mix_x
        pose.wy[bone] += (bone_y - pose.wy[bone]) * con.mix_y
        x, y = positions[p], positions[p + 1]
        dx, dy = x - bone_x, y - bone_y
        if scale and lengths[i] != 0:
            s = (math.sqrt(dx * dx + dy * dy) / lengths[i] - 1) * con.mix_rotate + 1
            pose.a[bone] *= s
            pose.c[bone] *= s
        bone_x, bone_y = x, y
        if con.mix_rotate > 0:
            a, b, c, d = pose.a[bone], pose.b[bone], pose.c[bone], pose.d[bone]
            if tangents:
                r = positions[p - 1]
            elif spaces[i + 1] == 0:
                r = positions[p + 2]
            else:
                r = math.atan2(dy, dx)
            r -= math.atan2(c, a)
            if tip:
                cos, sin = math.cos(r), math.sin(r)
                length = pose.bones[bone].length
                bone_x += (length * (cos * a - sin * c) - dx) * con.mix_rotate
                bone_y += (length * (sin * a + cos * c) - dy) * con.mix_rotate
            else:
                r += offset_rotation
            if r > SPINE_PI:
                r -= SPINE_PI * 2
            elif r < -SPINE_PI:
                r += SPINE_PI * 2
            r *= con.mix_rotate
            cos, sin = math.cos(r), math.sin(r)
            pose.a[bone], pose.b[bone] = cos * a - sin * c, cos * b - sin * d
            pose.c[bone], pose.d[bone] = sin * a + cos * c, sin * b + cos * d
        pose.update_applied(bone)


def _at(values: list[float], i: int) -> float:
    """``values[i]``, NaN past the end (JavaScript's ``undefined`` in arithmetic)."""
    return values[i] if 0 <= i < len(values) else math.nan


def _find(p: float, lengths: list[float], start: int) -> tuple[int, float]:
    """The curve (from ``start``) whose cumulative length reaches ``p``, and ``p`` in it."""
    curve = start
    while p > _at(lengths, curve):
        curve += 1
        if curve >= len(lengths):
            return curve, math.nan
    if curve == 0:
        return curve, divide(p, lengths[0])
    prev = lengths[curve - 1]
    return curve, divide(p - prev, _at(lengths, curve) - prev)


def _multiplier(con: PathConstraint, path_length: float, spaces_count: int) -> float:
    if con.spacing_mode == "percent":
        return path_length
    if con.spacing_mode == "proportional":
        return divide(path_length, spaces_count)
    return 1.0


def _positions(
    pose: Pose, con: PathConstraint, shape: PathShape, spaces: list[float], tangents: bool
) -> list[float]:
    """``computeWorldPositions``: x, y, angle for each space, flat."""
    spaces_count = len(spaces)
    out = [0.0] * (spaces_count * 3 + 2)
    position = con.position
    closed = shape.closed
    length = shape.world_length
    curve_count = length // 6
    prev_curve = NONE
    if not shape.constant_speed:
        lengths = list(shape.lengths)
        curve_count -= 1 if closed else 2
        path_length = lengths[curve_count]
        if con.position_mode == "percent":
            position *= path_length
        multiplier = _multiplier(con, path_length, spaces_count)
        world: list[float] = [0.0] * 8
        curve = 0
        for i in range(spaces_count):
            o = 3 * i
            space = spaces[i] * multiplier
            position += space
            p = position
            if closed:
                p = math.fmod(p, path_length) if path_length else math.nan
                if p < 0:
                    p += path_length
                curve = 0
            elif p < 0:
                if prev_curve != BEFORE:
                    prev_curve = BEFORE
                    world[0:4] = world_vertices(pose, shape, con.slot_bone, 2, 4)
                before_point(p, world, 0, out, o)
                continue
            elif p > path_length:
                if prev_curve != AFTER:
                    prev_curve = AFTER
                    world[0:4] = world_vertices(pose, shape, con.slot_bone, length - 6, 4)
                after_point(p - path_length, world, 0, out, o)
                continue
            curve, p = _find(p, lengths, curve)
            if curve != prev_curve:
                prev_curve = curve
                if closed and curve == curve_count:
                    world[0:4] = world_vertices(pose, shape, con.slot_bone, length - 4, 4)
                    world[4:8] = world_vertices(pose, shape, con.slot_bone, 0, 4)
                else:
                    world[0:8] = world_vertices(pose, shape, con.slot_bone, curve * 6 + 2, 8)
            curve_point(p, world, 0, out, o, tangents or (i > 0 and space == 0))
        return out
    if closed:
        length += 2
        world = world_vertices(pose, shape, con.slot_bone, 2, length - 4)
        world += world_vertices(pose, shape, con.slot_bone, 0, 2)
        world += world[0:2]
    else:
        curve_count -= 1
        length -= 4
        world = world_vertices(pose, shape, con.slot_bone, 2, length)
    curves = []
    path_length = 0.0
    for i in range(curve_count):
        for step in curve_steps(world, i * 6, 0.1875, 0.09375, 0.75, 4):
            path_length += step
        curves.append(path_length)
    if con.position_mode == "percent":
        position *= path_length
    multiplier = _multiplier(con, path_length, spaces_count)
    segments: list[float] = []
    curve_length = 0.0
    curve = segment = 0
    for i in range(spaces_count):
        o = 3 * i
        space = spaces[i] * multiplier
        position += space
        p = position
        if closed:
            p = math.fmod(p, path_length) if path_length else math.nan
            if p < 0:
                p += path_length
            curve = 0
        elif p < 0:
            before_point(p, world, 0, out, o)
            continue
        elif p > path_length:
            after_point(p - path_length, world, length - 4, out, o)
            continue
        curve, p = _find(p, curves, curve)
        if curve != prev_curve:
            prev_curve = curve
            segments = []
            curve_length = 0.0
            for step in curve_steps(world, curve * 6, 0.03, 0.006, 0.3, 10):
                curve_length += step
                segments.append(curve_length)
            segment = 0
        p *= curve_length
        segment, p = _find(p, segments, segment)
        if segment > 0:
            p += segment
        curve_point(p * 0.1, world, curve * 6, out, o, tangents or (i > 0 and space == 0))
    return out
