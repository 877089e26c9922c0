"""Bones in the setup pose: world matrices and segments, as spine-core computes them (PURE).

:func:`world_transforms` is spine-core 4.2 ``skeleton.setToSetupPose();
skeleton.updateWorldTransform(Physics.none)`` (skeleton at 0, 0, scale 1): bones and
constraints are updated in the order of ``Skeleton.updateCache`` (:func:`update_order`),
IK, transform and path constraints applied (:mod:`spinelift.spine.ik_solver`,
:mod:`spinelift.spine.transform_solver`, :mod:`spinelift.spine.path_solver`); physics
constraints do nothing in the setup pose, as with ``Physics.none``. This is the pose
weighted vertices are bound in. :func:`bone_segments`
gives each bone's segment from its start along its local x axis for ``length``;
:func:`bone_parents` the parent indices.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spinelift.spine.bone_math import Pose
from spinelift.spine.constraints import (
    Constraints,
    IkConstraint,
    InertConstraint,
    PathConstraint,
    TransformConstraint,
)
from spinelift.spine.ik_solver import apply_ik
from spinelift.spine.path_solver import apply_path
from spinelift.spine.skeleton_data import BoneSetup
from spinelift.spine.transform_solver import apply_transform

FloatArray = npt.NDArray[np.float64]
Constraint = IkConstraint | TransformConstraint | PathConstraint | InertConstraint
Step = int | Constraint
"""One entry of the update order: a bone index, or a constraint."""


def world_transforms(
    bones: tuple[BoneSetup, ...] | list[BoneSetup], constraints: Constraints | None = None
) -> FloatArray:
    """(n, 2, 3) float64: each bone's setup-pose world matrix ``[[a, b, x], [c, d, y]]``.

    A point ``(lx, ly)`` in bone ``i``'s space is at ``M[i, :, :2] @ (lx, ly) + M[i, :, 2]``
    in skeleton space. With ``constraints``, their IK, transform and path constraints are
    applied as spine-core does (every one active: skin-required ones as if their skin were
    set; a path follows the attachment its slot shows with no skin set).
    """
    pose = Pose(bones)
    for step in update_order(pose, constraints or Constraints()):
        if isinstance(step, int):
            pose.update(step)
        elif isinstance(step, IkConstraint):
            apply_ik(pose, step)
        elif isinstance(step, TransformConstraint):
            apply_transform(pose, step)
        elif isinstance(step, PathConstraint):
            apply_path(pose, step)
    return np.array(
        [[pose.a, pose.b, pose.wx], [pose.c, pose.d, pose.wy]], dtype=np.float64
    ).transpose(2, 0, 1)


def update_order(pose: Pose, constraints: Constraints) -> list[Step]:
    """Bones and constraints in the order spine-core updates them (``Skeleton.updateCache``:
    constraints by ``order``, each after the bones it reads, bones under a constrained
    bone again after it; then every bone not placed yet)."""
    order: list[Step] = []
    placed = [False] * len(pose.bones)

    def place(i: int) -> None:
        if i < 0 or placed[i]:
            return
        place(pose.bones[i].parent)
        placed[i] = True
        order.append(i)

    def unplace(children: list[int]) -> None:
        for child in children:
            if placed[child]:
                unplace(pose.children[child])
            placed[child] = False

    kinds: tuple[tuple[Constraint, ...], ...] = (
        constraints.ik,
        constraints.transform,
        constraints.path,
        constraints.physics,
    )
    count = sum(len(kind) for kind in kinds)
    for position in range(count):
        found = next((c for kind in kinds for c in kind if c.order == position), None)
        if found is None:
            continue
        if isinstance(found, IkConstraint):
            place(found.target)
            parent = found.bones[0]
            place(parent)
            if len(found.bones) > 1:
                place(found.bones[-1])
            order.append(found)
            unplace(pose.children[parent])
            if len(found.bones) > 1:
                placed[found.bones[-1]] = True
            continue
        if isinstance(found, TransformConstraint):
            place(found.target)
            for i in found.bones:
                if found.local:
                    place(pose.bones[i].parent)
                place(i)
        else:
            for i in found.first:
                place(i)
            for i in found.bones:
                place(i)
        order.append(found)
        for i in found.bones:
            unplace(pose.children[i])
        for i in found.bones:
            placed[i] = True
    for i in range(len(pose.bones)):
        place(i)
    return order


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
